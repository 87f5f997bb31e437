"""The reachability matrix from an independent NetworkPolicy engine: cyclonus judges the
rendered tenant and platform NetworkPolicies on a model of the platform's namespaces and
two tenants (tools/reachability.py), without a cluster. The matrix is printed (run with
-s, or -rP, to see it on success)."""

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "tools"))

import reachability  # noqa: E402
import toolchain  # noqa: E402

CYCLONUS = toolchain.BINARIES["cyclonus"].path

pytestmark = pytest.mark.skipif(not os.access(str(CYCLONUS), os.X_OK),
                                reason="cyclonus not built: run `python3 tools/toolchain.py cyclonus`")

WEB, API, SHOP, GATEWAY = "acme-dev/web", "acme-prod/api", "globex/shop", "istio-ingress/gateway"
TENANT_PODS = (WEB, API, SHOP)


@pytest.fixture(scope="module")
def verdicts():
    found, _raw = reachability.compute(binary=str(CYCLONUS))
    print("\nReachability matrix (cyclonus %s; simulated: a model of pods, no cluster):"
          % toolchain.CYCLONUS_VERSION)
    print(reachability.matrix(found))
    return found


def v(verdicts, source, dest, port, proto="TCP"):
    return verdicts[(source, dest, port, proto)]


def test_every_pair_was_judged(verdicts):
    pods = sum(len(members) for _labels, members in reachability.MODEL.values())
    ports = sum(len(p) for _labels, members in reachability.MODEL.values() for _l, p in members.values())
    assert len(verdicts) == pods * ports  # every pod (itself included) to every port every pod serves


def test_same_tenant_allowed_other_tenant_denied(verdicts):
    assert v(verdicts, WEB, API, 8080) == "allowed" and v(verdicts, API, WEB, 8080) == "allowed"
    for a, b in ((WEB, SHOP), (API, SHOP), (SHOP, WEB), (SHOP, API)):
        assert v(verdicts, a, b, 8080) == "denied", (a, b)


def test_tenants_resolve_names_with_kube_dns(verdicts):
    for pod in TENANT_PODS:
        assert v(verdicts, pod, "kube-system/coredns", 53, "UDP") == "allowed"
        assert v(verdicts, pod, "kube-system/coredns", 53, "TCP") == "allowed"
        assert v(verdicts, pod, "kube-system/coredns", 9153) == "denied"


def test_tenant_sidecars_reach_istiod_xds_only(verdicts):
    for pod in TENANT_PODS:
        assert v(verdicts, pod, "istio-system/istiod", 15012) == "allowed", pod
        for port in (15010, 15014, 15017):
            assert v(verdicts, pod, "istio-system/istiod", port) == "denied", (pod, port)


def test_tenants_reach_the_collector_never_the_stores(verdicts):
    obs = "openova-observability/"
    for pod in TENANT_PODS:
        assert v(verdicts, pod, obs + "otel-collector", 4317) == "allowed"
        assert v(verdicts, pod, obs + "otel-collector", 4318) == "allowed"
        assert v(verdicts, pod, obs + "otel-collector", 8888) == "denied"
        for store, port in (("loki-gateway", 8080), ("loki-read", 3100), ("mimir", 8080), ("tempo", 3200),
                            ("tempo", 4317), ("tempo", 4318), ("grafana", 3000)):
            assert v(verdicts, pod, obs + store, port) == "denied", (pod, store, port)


def test_the_ingress_gateway_reaches_tenants(verdicts):
    for pod in TENANT_PODS:
        assert v(verdicts, GATEWAY, pod, 8080) == "allowed"
    # and nothing else of the platform does
    for source in ("openova-observability/grafana", "openova-data/postgres", "istio-system/istiod"):
        assert v(verdicts, source, WEB, 8080) == "denied", source


def test_platform_data_services_only_on_their_ports(verdicts):
    expected = {
        "openova-data/postgres": {5432: "allowed", 8000: "denied", 9187: "denied"},
        "openova-data/valkey": {6379: "allowed", 9121: "denied"},
        "openova-redpanda/redpanda": {9093: "allowed", 9644: "denied", 8081: "denied", 8082: "denied",
                                      33145: "denied"},
        "openova-llm-gateway/litellm": {4000: "allowed"},
        "openova-llm-gateway/litellm-postgresql": {5432: "denied"},  # the gateway's own database
        "harbor/harbor": {8080: "denied"},
        "kyverno/kyverno": {9443: "denied"},
    }
    for pod in TENANT_PODS:
        for dest, ports in expected.items():
            for port, verdict in ports.items():
                assert v(verdicts, pod, dest, port) == verdict, (pod, dest, port)


def test_tenants_do_not_reach_the_api_server(verdicts):
    """By design: tenant pods get no service account token and no egress to the API server."""
    for pod in TENANT_PODS:
        assert v(verdicts, pod, "default/kube-apiserver", 6443) == "denied"


def test_the_facts_name_the_pods_the_charts_run():
    """facts.TENANT_SERVICES (what tenant policies allow) selects the model's pods (what the charts
    run), in the right namespace, on ports those pods serve."""
    from ansible_collections.openova.platform.plugins.module_utils import facts

    for name, service in facts.TENANT_SERVICES.items():
        _labels, members = reachability.MODEL[service["namespace"]]
        chosen = [pod for pod, (labels, _ports) in members.items()
                  if all(labels.get(k) == v for k, v in service["pods"].items())]
        assert len(chosen) == 1, (name, chosen)
        served = {port for port, _proto in members[chosen[0]][1]}
        assert set(service["ports"]) <= served, name
