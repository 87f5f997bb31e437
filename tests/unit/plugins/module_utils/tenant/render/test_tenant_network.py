"""render/network.py: default deny and the allowances; in platform namespaces only
the tenant-facing services, by pod labels and ports."""

from ansible_collections.openova.platform.plugins.module_utils import facts
from ansible_collections.openova.platform.plugins.module_utils.tenant import validate as v
from ansible_collections.openova.platform.plugins.module_utils.tenant.render.network import (
    platform_egress_namespaces,
    render_network_policies,
)


def by_name(objs, ns="acme-dev"):
    return dict((o["metadata"]["name"], o["spec"]) for o in objs if o["metadata"]["namespace"] == ns)


def rules(policy):
    """{(namespaces, pod labels): ports} of an egress policy."""
    out = {}
    for rule in policy["egress"]:
        (peer,) = rule["to"]
        key = (tuple(peer["namespaceSelector"]["matchExpressions"][0]["values"]),
               tuple(sorted(peer["podSelector"]["matchLabels"].items())))
        out[key] = sorted((p["protocol"], p["port"]) for p in rule["ports"])
    return out


def test_default_policies(tenant, platform, passwords):
    pols = by_name(render_network_policies(tenant(), platform))
    assert sorted(pols) == ["openova-allow-dns", "openova-allow-ingress-gateway", "openova-allow-platform",
                            "openova-allow-tenant", "openova-default-deny"]
    assert pols["openova-default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    assert pols["openova-allow-tenant"]["ingress"][0]["from"][0]["namespaceSelector"]["matchLabels"] == {
        "openova.io/tenant": "acme"}
    assert rules(pols["openova-allow-dns"]) == {(("kube-system",), (("k8s-app", "kube-dns"),)): [
        ("TCP", 53), ("UDP", 53)]}
    (gw,) = pols["openova-allow-ingress-gateway"]["ingress"][0]["from"]
    assert gw["namespaceSelector"]["matchExpressions"][0]["values"] == ["istio-ingress"]
    assert gw["podSelector"] == {"matchLabels": {"istio": "ingressgateway"}}  # the gateway's pods, nothing else there


def test_platform_services_only_by_pods_and_ports(tenant, platform, passwords):
    found = rules(by_name(render_network_policies(tenant(), platform))["openova-allow-platform"])
    assert found == {
        (("istio-system",), (("app", "istiod"),)): [("TCP", 15012)],
        (("openova-llm-gateway",), (("app.kubernetes.io/name", "litellm"),)): [("TCP", 4000)],
        (("openova-observability",), (("app.kubernetes.io/name", "opentelemetry-collector"),)): [
            ("TCP", 4317), ("TCP", 4318)],
        (("openova-data",), (("cnpg.io/cluster", "platform-pg"),)): [("TCP", 5432)],
        (("openova-data",), (("app.kubernetes.io/name", "valkey"),)): [("TCP", 6379)],
        (("openova-redpanda",), (("app.kubernetes.io/name", "redpanda"),)): [("TCP", 9093)],
    }
    for rule in by_name(render_network_policies(tenant(), platform))["openova-allow-platform"]["egress"]:
        assert rule["ports"] and rule["to"][0]["podSelector"]["matchLabels"]  # never a whole namespace


def test_platform_egress_follows_configured_names(tenant, platform, passwords):
    platform = v.normalize_platform({"llm_gateway_namespace": "llm", "telemetry_namespaces": ["otel", "alloy"],
                                     "postgres_cluster": "pg2"})
    assert platform_egress_namespaces(platform) == sorted(
        ["istio-system", "llm", "otel", "alloy", "openova-data", "openova-redpanda"])
    found = rules(by_name(render_network_policies(tenant(), platform))["openova-allow-platform"])
    assert (("alloy", "otel"), (("app.kubernetes.io/name", "opentelemetry-collector"),)) in found
    assert (("llm",), (("app.kubernetes.io/name", "litellm"),)) in found
    assert (("openova-data",), (("cnpg.io/cluster", "pg2"),)) in found


def test_services_come_from_the_facts(tenant, platform, passwords):
    found = rules(by_name(render_network_policies(tenant(), platform))["openova-allow-platform"])
    ports = sorted(p for ports in found.values() for _proto, p in ports)
    assert ports == sorted(p for name, s in facts.TENANT_SERVICES.items() if name != "dns" for p in s["ports"])


def test_extra_allowances(tenant, platform, passwords):
    t = tenant(network={"ingress_from_namespaces": ["partners"], "egress_cidrs": ["10.0.0.0/8"]})
    extra = by_name(render_network_policies(t, platform))["openova-allow-extra"]
    assert extra["policyTypes"] == ["Ingress", "Egress"]
    assert extra["egress"] == [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}]


def test_rendering_is_deterministic(tenant, platform, passwords):
    assert render_network_policies(tenant(), platform) == render_network_policies(tenant(), platform)
    assert len(render_network_policies(tenant(), platform)) == 10
