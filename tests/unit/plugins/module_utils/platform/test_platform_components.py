"""platform/components.py: a component's custom resources and generated Secrets, rendered in Python."""

import pytest

from ansible_collections.openova.platform.plugins.module_utils import facts
from ansible_collections.openova.platform.plugins.module_utils.errors import SpecError
from ansible_collections.openova.platform.plugins.module_utils.platform import components


def test_cnpg_cluster_owns_the_databases():
    spec = {"instances": 3, "managed": {"services": []}}
    objects = components.render_resources("postgresql", [
        {"type": "cnpg_cluster", "name": "platform-pg", "namespace": "openova-data", "spec": spec,
         "databases": ["harbor", "litellm"]}])
    cluster, harbor, litellm = objects
    assert cluster["spec"]["managed"] == {"services": [], "roles": [
        {"name": "harbor", "ensure": "present", "login": True, "passwordSecret": {"name": "harbor-db"}},
        {"name": "litellm", "ensure": "present", "login": True, "passwordSecret": {"name": "litellm-db"}}]}
    assert "roles" not in spec["managed"]  # the input is not changed
    assert harbor["metadata"]["name"] == "platform-pg-harbor" and harbor["spec"] == {
        "name": "harbor", "owner": "harbor", "cluster": {"name": "platform-pg"}}
    assert all(o["metadata"]["labels"][facts.COMPONENT_LABEL] == "postgresql" for o in objects)
    assert litellm["metadata"]["labels"] == components.labels("postgresql")


def test_redpanda_and_grafana():
    redpanda = {"type": "redpanda_cluster", "name": "redpanda", "namespace": "openova-redpanda", "spec": {"tls": {}}}
    (rp,) = components.render_resources("redpanda", [redpanda])
    assert rp["kind"] == "Redpanda" and rp["spec"] == {"clusterSpec": {"tls": {}}}
    instance = {"type": "grafana", "name": "grafana", "namespace": "openova-observability", "spec": {}}
    (grafana,) = components.render_resources("observability", [instance])
    assert grafana["metadata"]["labels"]["dashboards"] == "grafana"
    assert grafana["metadata"]["labels"][facts.COMPONENT_LABEL] == "observability"


def test_generated_values_and_secret():
    values = components.generated_values({"data": {"superusers.txt": "admin:{password}:SCRAM-SHA-512"}}, "pw")
    assert values == {"superusers.txt": "admin:pw:SCRAM-SHA-512"}
    secret = components.render_secret("redpanda", {"name": "s", "namespace": "n"}, {"b": "Yg==", "a": "YQ=="})
    assert list(secret["data"]) == ["a", "b"] and secret["type"] == "Opaque"


def test_bad_options_are_named_before_anything_is_read():
    with pytest.raises(SpecError) as err:
        components.check({"component": "Redpanda", "namespaces": ["ok", "Not OK"], "resources": [
            {"type": "cnpg_cluster", "name": "pg", "namespace": "ns", "spec": None, "databases": ["drop table"]},
            {"type": "cnpg_cluster", "name": "pg", "namespace": "ns", "spec": {}}],
            "secrets": [{"name": "s", "namespace": "ns"}, {"name": "t", "namespace": "ns", "data": {"a": "b"},
                                                           "copy_from": {"namespace": "x", "name": "y"}}]})
    assert [field for field, _message in err.value.problems] == [
        "component", "namespaces[1]", "resources[0].spec", "resources[0].databases[0]", "resources[1]",
        "secrets[0]", "secrets[1]"]
