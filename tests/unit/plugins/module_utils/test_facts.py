"""facts.py: the platform's facts are consistent with each other and with what the
roles install; the guard rails exempt exactly the platform namespaces, and a tenant
can take none of the names they exempt."""

import pytest
import yaml

from ansible_collections.openova.platform.plugins.module_utils import facts
from ansible_collections.openova.platform.plugins.module_utils.guardrails.rules import Params
from ansible_collections.openova.platform.plugins.module_utils.tenant import validate as tenant_validate


def test_registry_follows_the_domain():
    assert facts.DOMAIN == "openova.io"
    assert facts.registry_host() == "harbor.openova.io" == facts.registry_host("")
    assert facts.registry_host("example.com") == "harbor.example.com"
    assert facts.registry_prefix("acme") == "harbor.openova.io/acme/"
    assert facts.harbor_url("example.com") == "https://harbor.example.com"
    assert facts.ingress_hosts() == ["*.openova.io"]


def test_platform_namespaces_are_unique_and_cover_every_component():
    assert set(facts.PLATFORM_NAMESPACES) == {ns for c in facts.COMPONENTS for ns in facts.COMPONENT_NAMESPACES[c]}
    assert len(set(facts.PLATFORM_NAMESPACES)) == len(facts.PLATFORM_NAMESPACES)
    assert set(facts.COMPONENT_NAMESPACES) == set(facts.COMPONENTS)


def test_guard_rails_exempt_exactly_the_system_and_platform_namespaces():
    exempt = set(Params().platform_namespaces)
    assert exempt == set(facts.SYSTEM_NAMESPACES) | set(facts.PLATFORM_NAMESPACES)
    for ghost in ("redpanda", "observability", "monitoring", "cilium", "openova-system"):
        assert ghost not in exempt


@pytest.mark.parametrize("name", sorted(set(facts.EXEMPT_NAMESPACES) | {"default", "kube-x", "openova-x", "istio-x"}))
def test_no_tenant_can_take_an_exempt_or_reserved_name(name):
    assert facts.is_reserved(name)
    platform = tenant_validate.normalize_platform({})
    spec = {"name": "acme", "owners": {"admin": ["g"]}, "namespaces": [name]}
    with pytest.raises(Exception) as err:
        tenant_validate.validate([spec], platform)
    assert "namespaces[0]" in str(err.value)


def test_managed_labels_and_selector():
    assert facts.managed_labels(part_of="p", tenant="acme") == {
        "app.kubernetes.io/managed-by": "openova-platform", "app.kubernetes.io/part-of": "p",
        "openova.io/tenant": "acme"}
    assert facts.selector({"b": "2", "a": "1"}) == "a=1,b=2"
    assert facts.is_managed({"metadata": {"labels": facts.managed_labels()}})
    assert not facts.is_managed({"metadata": {}})


def test_namespaces_of_keeps_install_order_and_drops_repeats():
    assert facts.namespaces_of(["redis", "postgresql", "istio"]) == ["istio-system", "istio-ingress", "cnpg-system",
                                                                     "openova-data"]


def test_as_dict_is_plain_data_and_a_copy():
    one = facts.as_dict("example.com")
    assert one["registry_host"] == "harbor.example.com"
    one["tiers"]["small"]["pods"] = 0
    assert facts.TIERS["small"]["pods"] == 20
    assert yaml.safe_load(yaml.safe_dump(facts.as_dict())) == facts.as_dict()
