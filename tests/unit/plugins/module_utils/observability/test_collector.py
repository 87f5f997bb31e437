"""The collector configuration renderer: org ids come only from the API server, unknown
sources are dropped, the routing file follows the tenant list, and the configuration uses
exactly the components the test collector is built with."""

import json
import sys
from pathlib import Path

import pytest

from ansible_collections.openova.platform.plugins.module_utils.errors import SpecError
from ansible_collections.openova.platform.plugins.module_utils.observability import collector

REPO = Path(__file__).resolve().parents[5]
sys.path.insert(0, str(REPO / "tools"))
import toolchain  # noqa: E402


def test_receivers_keep_no_client_metadata_and_no_header_is_taken_from_a_request():
    config = collector.render_config({}, ["acme"])
    for proto in ("grpc", "http"):
        assert config["receivers"]["otlp"]["protocols"][proto]["include_metadata"] is False
    text = json.dumps(config)
    assert "headers_setter" not in text and "from_context" not in text and "metadata_keys" not in text


def test_workload_attributes_are_deleted_before_the_api_server_sets_them():
    config = collector.render_base_config({})
    for signal, _store in collector.SIGNALS:
        processors = config["service"]["pipelines"]["%s/in" % signal]["processors"]
        assert processors.index("resource/strip") < processors.index("k8sattributes")
    deletes = config["processors"]["resource/strip"]["attributes"]
    # k8s.namespace.name from the data would otherwise choose the namespace (and so the tenant
    # label) of a pod k8sattributes cannot identify
    assert {"action": "delete", "pattern": r"^k8s\."} in deletes
    assert {"action": "delete", "pattern": r"^openova\."} in deletes


def test_pods_are_identified_by_connection_only_and_the_tenant_is_the_namespace_label():
    k8s = collector.render_base_config({})["processors"]["k8sattributes"]
    assert k8s["pod_association"] == [{"sources": [{"from": "connection"}]}]
    assert k8s["passthrough"] is False
    assert {"tag_name": "openova.tenant", "key": "openova.io/tenant", "from": "namespace"} in k8s["extract"]["labels"]
    assert {"tag_name": "openova.platform", "key": "openova.io/platform", "from": "namespace"} in k8s["extract"]["labels"]
    assert "otel_annotations" not in k8s and "annotations" not in k8s["extract"]
    assert k8s["filter"] == {"node_from_env_var": "K8S_NODE_NAME"}
    assert "filter" not in collector.render_base_config({"node_env": ""})["processors"]["k8sattributes"]


@pytest.mark.parametrize("signal,store", collector.SIGNALS)
def test_each_tenant_gets_its_own_org_id_and_the_rest_is_dropped(signal, store):
    config = collector.render_config({}, ["globex", "acme"])
    routing = config["connectors"]["routing/%s" % signal]
    assert routing["default_pipelines"] == ["%s/dropped" % signal]
    assert config["service"]["pipelines"]["%s/dropped" % signal]["exporters"] == ["debug/dropped"]
    conditions = [(r["condition"], r["pipelines"]) for r in routing["table"]]
    assert conditions == [
        ('attributes["openova.platform"] == "true"', ["%s/platform" % signal]),
        ('attributes["openova.tenant"] == "acme"', ["%s/tenant-acme" % signal]),
        ('attributes["openova.tenant"] == "globex"', ["%s/tenant-globex" % signal]),
    ]
    for org, suffix in (("acme", "tenant-acme"), ("globex", "tenant-globex"), ("platform", "platform")):
        exporters = config["service"]["pipelines"]["%s/%s" % (signal, suffix)]["exporters"]
        assert exporters == ["otlphttp/%s-%s" % (store, suffix)]
        assert config["exporters"][exporters[0]]["headers"] == {"X-Scope-OrgID": org}
        assert config["exporters"][exporters[0]]["endpoint"] == collector.DEFAULTS["endpoints"][store]


def test_the_routing_file_alone_follows_the_tenant_list():
    base = collector.render_base_config({})
    assert [r["condition"] for r in base["connectors"]["routing/logs"]["table"]] == [
        'attributes["openova.platform"] == "true"']
    routing = collector.render_routing_config({}, ["acme"])
    assert set(routing) == {"connectors", "exporters", "service"}
    assert set(routing["exporters"]) == {"otlphttp/loki-tenant-acme", "otlphttp/mimir-tenant-acme",
                                         "otlphttp/tempo-tenant-acme"}
    # offboarding the last tenant leaves the platform route, and no tenant exporter
    empty = collector.render_config({}, [])
    assert not [e for e in empty["exporters"] if "tenant-" in e]
    assert collector.render_config({}, ["acme"]) == collector.render_config({}, ["acme", "acme"])


def test_merge_is_what_the_collector_does_with_two_files():
    assert collector.merge({"a": {"b": [1], "c": 1}}, {"a": {"b": [2]}}) == {"a": {"b": [2], "c": 1}}


def test_tenant_names_that_cannot_be_an_org_id_are_rejected():
    with pytest.raises(SpecError) as err:
        collector.render_routing_config({}, ["platform", "Bad_Name"])
    assert "platform's own org id" in err.value.msg and "'Bad_Name'" in err.value.msg


def test_settings_are_checked_naming_the_field():
    with pytest.raises(SpecError) as err:
        collector.normalize_settings({"endpoints": {"loki": "loki:3100"}, "ports": {"health": 0},
                                      "k8s_auth": "token"})
    for field in ("endpoints.loki", "ports.health", "k8s_auth"):
        assert field in err.value.msg
    with pytest.raises(SpecError, match="routingg"):
        collector.normalize_settings({"routingg": 1})


def test_routing_configmap_records_its_settings_and_tenants_come_from_managed_namespaces():
    managed = {"openova.io/tenant": "acme", "app.kubernetes.io/managed-by": "openova-platform"}
    namespaces = [
        {"metadata": {"name": "acme-dev", "labels": managed}},
        {"metadata": {"name": "rogue", "labels": {"openova.io/tenant": "globex"}}},
        {"metadata": {"name": "old", "deletionTimestamp": "2026-01-01T00:00:00Z", "labels": {
            "openova.io/tenant": "initech", "app.kubernetes.io/managed-by": "openova-platform"}}},
    ]
    assert collector.tenants_from_namespaces(namespaces) == ["acme"]
    cm = collector.routing_configmap({"namespace": "obs"}, ["acme"])
    assert cm["metadata"]["namespace"] == "obs" and cm["metadata"]["name"] == "otel-routing"
    assert json.loads(cm["data"]["routing.yaml"]) == collector.render_routing_config({}, ["acme"])
    assert collector.settings_from_configmap(cm)["namespace"] == "obs"
    assert cm == collector.routing_configmap({"namespace": "obs"}, ["acme"])  # deterministic


def test_chart_values_carry_the_config_the_routing_file_and_its_reloader():
    values = collector.chart_values({})
    assert values["alternateConfig"] == collector.render_base_config({})
    assert values["presets"]["kubernetesAttributes"]["enabled"] is False
    assert values["command"]["extraArgs"] == ["--config=/conf/routing/routing.yaml"]
    assert values["extraVolumes"] == [{"name": "otel-routing", "configMap": {"name": "otel-routing"}}]
    assert values["shareProcessNamespace"] is True
    reloader = values["extraContainers"][0]
    assert reloader["command"][:2] == ["sh", "-c"] and "kill -HUP" in reloader["command"][2]
    assert {"name": "ROUTING_FILE", "value": "/conf/routing/routing.yaml"} in reloader["env"]
    rules = values["clusterRole"]["rules"]
    assert {"apiGroups": [""], "resources": ["pods", "namespaces"], "verbs": ["get", "list", "watch"]} in rules


def test_the_test_collector_is_built_with_exactly_the_components_the_configuration_uses():
    used = collector.components(collector.render_config({}, ["acme"]))
    built = dict(toolchain.COLLECTOR_COMPONENTS)
    for kind, types in used.items():
        modules = built[kind]
        # a component's type is its module's name without the kind suffix and underscores
        names = sorted(m.rsplit("/", 1)[1][:-len(kind) + 1] for m in modules)
        assert names == sorted(t.replace("_", "") for t in types), (kind, names, types)
    assert set(built) == set(used) | {"providers"}
    assert toolchain.COLLECTOR_VERSION == "v0.139.0"  # the chart 0.139.1's appVersion
