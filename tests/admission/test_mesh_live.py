"""istiod live (the admission profile's local pilot-discovery) with the guard rails enforced by
the live Kyverno:

- a `deploy_service.yml` run in a tenant namespace ends with Ready pods (kwok) that carry the
  injected istio-proxy, admitted by the live guard rails; `istioctl analyze` over the service's
  traffic objects on the cluster reports no errors;
- istiod's validation webhook accepts every object traffic_policy and the platform
  configuration render, and rejects malformed ones that the CRD schemas let through."""

import copy
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml

from ansible_collections.openova.platform.plugins.module_utils.apply import Engine
from ansible_collections.openova.platform.plugins.module_utils.errors import ApiError
from ansible_collections.openova.platform.plugins.module_utils.traffic.run import run_traffic_policy
from ansible_collections.openova.platform.plugins.module_utils.traffic.render import render_traffic

import live
from harness import run_playbook

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))
import toolchain  # noqa: E402

DEPLOY = REPO / "playbooks" / "deploy_service.yml"
NET = "networking.istio.io/v1"
ISTIO_DENIED = 'admission webhook "validation.istio.io" denied the request'
SERVICE = {"name": "shop", "tenant": live.TENANT, "namespace": live.NAMESPACE,
           "image": "harbor.openova.io/acme/shop:1.0.0", "replicas": 3,
           "ports": [{"name": "http", "port": 8080}],
           "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "512Mi"}},
           "probes": {"liveness": {"path": "/health"}, "readiness": {"path": "/ready"}},
           "produces": ["acme.orders.created"], "autoscaling": {"min_replicas": 3, "max_replicas": 6}}
TRAFFIC = {"timeout": "5s", "retries": {"attempts": 3, "per_try_timeout": "2s", "retry_on": "5xx,connect-failure"},
           "connection_pool": {"tcp": {"max_connections": 100}, "http": {"http1_max_pending_requests": 10}},
           "outlier_detection": {"consecutive_5xx_errors": 5, "interval": "10s", "base_ejection_time": "30s"},
           "rate_limit": {"max_tokens": 100, "tokens_per_fill": 10, "fill_interval": "1s"},
           "gateway": {"hosts": ["shop.acme.openova.io"], "path": "/"}}
FULL_POLICY = dict(
    name="shop-policy", namespace=live.NAMESPACE, tenant=live.TENANT, port=8080,
    subsets=[{"name": "v1"}, {"name": "v2"}], weights={"v1": 90, "v2": 10},
    routes=[{"name": "beta", "match": [{"headers": {"x-beta": {"exact": "1"}}},
                                       {"cookie": {"name": "group", "value": "beta"}}],
             "destinations": [{"subset": "v2"}]}],
    timeout="5s", retries={"attempts": 3, "per_try_timeout": "2s", "retry_on": "5xx,connect-failure"},
    connection_pool={"tcp": {"max_connections": 100, "connect_timeout": "1s"},
                     "http": {"http1_max_pending_requests": 10, "max_retries": 3}},
    outlier_detection={"consecutive_5xx_errors": 5, "interval": "10s", "base_ejection_time": "30s",
                       "max_ejection_percent": 50},
    rate_limit={"max_tokens": 100, "tokens_per_fill": 10, "fill_interval": "1s"},
    gateway={"hosts": ["shop-policy.acme.openova.io"], "path": "/shop", "gateway": "istio-ingress/openova-ingress"},
)


@pytest.fixture(scope="module")
def guardrails(client, tenant):
    live.install_guardrails(client, "generate")
    live.wait_policies_ready(client)


@pytest.fixture(scope="module")
def platform_configuration(kubeconfig, client):
    """The platform configuration of site.yml's platform_config role (mesh-wide STRICT mTLS,
    the ingress Gateway, the platform namespaces' network policies), applied for real through
    istiod's validation webhook."""
    playbook = Path(tempfile.mkdtemp()) / "platform_config.yml"
    playbook.write_text(yaml.safe_dump([{
        "name": "The platform configuration", "hosts": "localhost", "gather_facts": False,
        "module_defaults": {"group/kubernetes.core.k8s": {"kubeconfig": kubeconfig}},
        "tasks": [{"name": "platform_config",
                   "ansible.builtin.include_role": {"name": "openova.platform.platform_config"},
                   "vars": {"platform_config_components": ["istio"]}}]}]))
    run_playbook(playbook, kubeconfig)
    return Engine(client)


def istioctl(*args):
    binary = toolchain.BINARIES["istio"].command("istioctl")
    if not os.access(str(binary), os.X_OK):
        pytest.fail("istioctl is not built: python tools/toolchain.py istio", pytrace=False)
    return subprocess.run([str(binary), *args], capture_output=True, text=True, timeout=300, check=False)


def test_deploy_service_pods_are_ready_with_the_injected_sidecar(kubeconfig, client, engine, guardrails,
                                                                 platform_configuration):
    extra = {"openova_domain": "openova.io", "service": SERVICE, "traffic": TRAFFIC}
    run_playbook(DEPLOY, kubeconfig, extra_vars=extra)
    pods = engine.list("v1", "Pod", namespace=live.NAMESPACE, label_selector="app=shop,version=v1")
    assert len(pods) == 3
    for pod in pods:
        ready = [c for c in pod["status"].get("conditions", []) if c["type"] == "Ready"]
        assert ready and ready[0]["status"] == "True", pod["metadata"]["name"]  # reported by kwok
        spec = pod["spec"]
        containers = {c["name"] for c in spec["containers"] + spec.get("initContainers", [])}
        assert "istio-proxy" in containers, containers  # injected by the live istiod
        assert "sidecar.istio.io/status" in pod["metadata"]["annotations"]
        # Admitted by the live guard rails: the mutate policy's defaults are on every container,
        # the injected ones included.
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        for container in spec["containers"] + spec.get("initContainers", []):
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, container["name"]
            assert "ALL" in container["securityContext"]["capabilities"]["drop"], container["name"]
    # The generated PodDisruptionBudget is not needed: tenant_service renders its own.
    assert engine.get("policy/v1", "PodDisruptionBudget", "shop-v1", live.NAMESPACE) is not None

    proc = istioctl("analyze", "--kubeconfig", kubeconfig, "--namespace", live.NAMESPACE, "--color=false")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Error [" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    print(proc.stdout + proc.stderr)


def test_istiod_accepts_every_traffic_object_and_the_platform_configuration(client, engine, platform_configuration):
    gateway = engine.get(NET, "Gateway", "openova-ingress", "istio-ingress")
    assert gateway is not None  # applied through the validation webhook above
    assert engine.get("security.istio.io/v1", "PeerAuthentication", "default", "istio-system")["spec"]["mtls"][
        "mode"] == "STRICT"
    result = run_traffic_policy(dict(FULL_POLICY), client=client)
    assert not result.get("failed"), result.get("msg")
    kinds = sorted(r["kind"] for r in result["results"])
    assert kinds == ["DestinationRule", "EnvoyFilter", "VirtualService", "VirtualService"]


def _malformed():
    objs = {o["kind"] + "/" + o["metadata"]["name"]: o for o in render_traffic(dict(FULL_POLICY, name="bad"))}
    dr = copy.deepcopy(objs["DestinationRule/bad"])
    dr["spec"]["subsets"].append(copy.deepcopy(dr["spec"]["subsets"][0]))  # duplicate subset name
    vs = copy.deepcopy(objs["VirtualService/bad"])
    for route in vs["spec"]["http"][-1]["route"]:
        route["weight"] = 0  # no traffic goes anywhere
    gw = {"apiVersion": NET, "kind": "Gateway", "metadata": {"name": "bad", "namespace": "istio-ingress"},
          "spec": {"selector": {"istio": "ingressgateway"}, "servers": [
              {"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["a.openova.io"]},
              {"port": {"number": 8080, "name": "http", "protocol": "HTTP"}, "hosts": ["b.openova.io"]}]}}
    return [("duplicate subset names", dr), ("total destination weight = 0", vs),
            ("port names in servers must be unique", gw)]


@pytest.mark.parametrize("reason, obj", _malformed(),
                         ids=["dr-duplicate-subset", "vs-zero-weights", "gateway-duplicate-port-name"])
def test_istiod_rejects_malformed_mesh_objects(client, tenant, reason, obj):
    namespace = obj["metadata"].get("namespace") or live.NAMESPACE
    body = copy.deepcopy(obj)
    body["metadata"]["namespace"] = namespace
    plural = {"DestinationRule": "destinationrules", "VirtualService": "virtualservices", "Gateway": "gateways"}
    with pytest.raises(ApiError) as err:
        client.request("POST", "/apis/%s/namespaces/%s/%s" % (NET, namespace, plural[obj["kind"]]), body=body,
                       query={"dryRun": "All"})
    assert ISTIO_DENIED in str(err.value) and reason in str(err.value), str(err.value)
