"""render/network.py: default deny and the allowances."""

from ansible_collections.openova.platform.plugins.module_utils.tenant import validate as v
from ansible_collections.openova.platform.plugins.module_utils.tenant.render.network import (
    platform_egress_namespaces,
    render_network_policies,
)


def by_name(objs, ns="acme-dev"):
    return dict((o["metadata"]["name"], o["spec"]) for o in objs if o["metadata"]["namespace"] == ns)


def test_default_policies(tenant, platform, passwords):
    pols = by_name(render_network_policies(tenant(), platform))
    assert sorted(pols) == ["openova-allow-dns", "openova-allow-ingress-gateway", "openova-allow-platform",
                            "openova-allow-tenant", "openova-default-deny"]
    assert pols["openova-default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    assert pols["openova-allow-tenant"]["ingress"][0]["from"][0]["namespaceSelector"]["matchLabels"] == {
        "openova.io/tenant": "acme"}
    assert pols["openova-allow-dns"]["egress"][0]["ports"] == [{"protocol": "UDP", "port": 53},
                                                               {"protocol": "TCP", "port": 53}]
    gw = pols["openova-allow-ingress-gateway"]["ingress"][0]["from"][0]["namespaceSelector"]["matchExpressions"][0]
    assert gw["values"] == ["istio-ingress"]


def test_platform_egress_follows_configured_names(tenant, platform, passwords):
    platform = v.normalize_platform({"llm_gateway_namespace": "llm", "telemetry_namespaces": ["otel", "alloy"]})
    assert platform_egress_namespaces(platform) == sorted(
        ["istio-system", "llm", "otel", "alloy", "openova-data", "openova-redpanda"])
    pols = by_name(render_network_policies(tenant(), platform))
    values = pols["openova-allow-platform"]["egress"][0]["to"][0]["namespaceSelector"]["matchExpressions"][0]
    assert "llm" in values["values"] and "alloy" in values["values"]


def test_extra_allowances(tenant, platform, passwords):
    t = tenant(network={"ingress_from_namespaces": ["partners"], "egress_cidrs": ["10.0.0.0/8"]})
    extra = by_name(render_network_policies(t, platform))["openova-allow-extra"]
    assert extra["policyTypes"] == ["Ingress", "Egress"]
    assert extra["egress"] == [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}]


def test_rendering_is_deterministic(tenant, platform, passwords):
    assert render_network_policies(tenant(), platform) == render_network_policies(tenant(), platform)
    assert len(render_network_policies(tenant(), platform)) == 10
