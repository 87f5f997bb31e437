"""site.yml against the local control plane, every chart from the project's own test charts
(inventories/test: openova_chart_source=local, tests/charts/). The tests run in file order and
share the cluster state: removal of everything, a fresh install in dependency order with waits
on kwok-Ready pods, an idempotent re-run, check mode, an upgrade through a chart version bump,
the removal of one component, and a fast, named failure for an unreachable chart source."""

import base64
import json
import os
import subprocess
import time

import pytest

from harness import REPO, kubectl_bin, run_playbook

INVENTORY = REPO / "inventories" / "test" / "hosts.yml"
SITE = REPO / "site.yml"
ALL = ["cilium", "istio", "cert_manager", "kyverno", "redpanda", "postgresql", "redis", "observability",
       "llm_gateway", "harbor"]
# Helm releases as site.yml must install them: CRD-bearing charts and operators before what uses them.
ORDER = ["kube-system/cilium", "istio-system/istio-base", "istio-system/istiod", "istio-ingress/istio-ingressgateway",
         "cert-manager/cert-manager", "kyverno/kyverno", "openova-redpanda/redpanda-operator", "cnpg-system/cnpg",
         "openova-data/valkey", "openova-observability/loki", "openova-observability/mimir",
         "openova-observability/tempo", "openova-observability/grafana-operator", "openova-observability/otel",
         "openova-llm-gateway/litellm", "harbor/harbor"]


def site(kubeconfig, extra=None, tags=None, **kw):
    """Run site.yml with the test inventory; `tags` limits the run like --tags (ANSIBLE_RUN_TAGS)."""
    saved = os.environ.pop("ANSIBLE_RUN_TAGS", None)
    if tags:
        os.environ["ANSIBLE_RUN_TAGS"] = tags
    try:
        return run_playbook(SITE, kubeconfig, extra_vars=extra, inventory=INVENTORY, **kw)
    finally:
        os.environ.pop("ANSIBLE_RUN_TAGS", None)
        if saved is not None:
            os.environ["ANSIBLE_RUN_TAGS"] = saved


def tasks(out):
    """(task name, host result) for every task run, in order."""
    for play in out.get("plays", []):
        for task in play["tasks"]:
            if "localhost" in task["hosts"]:
                # role tasks are named "<role> : <task>"
                yield task["task"]["name"].split(" : ", 1)[-1], task["hosts"]["localhost"]


def changed_tasks(out):
    return [name for name, res in tasks(out) if res.get("changed")]


def kubectl(kubeconfig, *args):
    proc = subprocess.run([kubectl_bin(), "--kubeconfig", kubeconfig, *args], capture_output=True, text=True,
                          check=False)
    return proc


def releases(kubeconfig):
    helm = REPO / ".cache" / "bin" / "helm-v3.19.5" / "helm"
    proc = subprocess.run([str(helm), "list", "-A", "-o", "json"], capture_output=True, text=True, check=True,
                          env=dict(os.environ, KUBECONFIG=kubeconfig))
    return {f"{r['namespace']}/{r['name']}": r for r in json.loads(proc.stdout)}


def test_prune_everything_first(kubeconfig):
    """With openova_prune_components and an empty selection, every release goes away."""
    site(kubeconfig, {"openova_components": [], "openova_prune_components": True})
    assert not set(releases(kubeconfig)) & set(ORDER)


def test_install_in_dependency_order_and_wait_for_ready_pods(kubeconfig):
    start = time.monotonic()
    _rc, out, _stdout = site(kubeconfig)
    installs = [(name.split(" ", 2)[2], res) for name, res in tasks(out) if name.startswith("Install release ")]
    assert [n for n, _res in installs] == ORDER
    assert all(res["changed"] for _name, res in installs)
    # every release waited for its resources to be Ready
    assert all(res["invocation"]["module_args"]["wait"] is True for _name, res in installs)
    live = releases(kubeconfig)
    assert all(live[r]["status"] == "deployed" for r in ORDER)
    pods = json.loads(kubectl(kubeconfig, "get", "pods", "-A", "-l", "app.kubernetes.io/instance", "-o", "json").stdout)
    ours = [p for p in pods["items"] if f"{p['metadata']['namespace']}/{p['metadata']['labels']['app.kubernetes.io/instance']}" in ORDER]
    assert len(ours) == len(ORDER)
    assert all(any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"]["conditions"]) for p in ours)
    # the values the roles rendered reached the charts
    cm = json.loads(kubectl(kubeconfig, "get", "configmap", "-n", "openova-observability", "loki-test-values", "-o", "json").stdout)
    assert json.loads(base64.b64decode(cm["data"]["values.json.b64"]))["loki"]["auth_enabled"] is True
    # platform configuration after the components
    pa = json.loads(kubectl(kubeconfig, "get", "peerauthentication", "-n", "istio-system", "default", "-o", "json").stdout)
    assert pa["spec"]["mtls"]["mode"] == "STRICT"
    rp = json.loads(kubectl(kubeconfig, "get", "redpanda", "-n", "openova-redpanda", "redpanda", "-o", "json").stdout)
    assert rp["spec"]["clusterSpec"]["auth"]["sasl"]["enabled"] is True
    # generated, never default, admin credentials
    secret = json.loads(kubectl(kubeconfig, "get", "secret", "-n", "openova-observability", "grafana-admin", "-o", "json").stdout)
    assert set(secret["data"]) == {"admin-user", "admin-password"}
    grafana = json.loads(kubectl(kubeconfig, "get", "grafana", "-n", "openova-observability", "grafana", "-o", "json").stdout)
    assert grafana["spec"]["disableDefaultAdminSecret"] is True
    print(f"install took {time.monotonic() - start:.0f}s")


def test_second_run_changes_nothing(kubeconfig):
    _rc, out, _stdout = site(kubeconfig)
    assert out["stats"]["localhost"]["changed"] == 0, changed_tasks(out)


def test_check_mode_changes_nothing(kubeconfig):
    before = releases(kubeconfig)
    _rc, out, _stdout = site(kubeconfig, {"redis_values_overrides": {"replica": {"replicaCount": 5}}}, check=True)
    # check mode reports the change it would make, and makes none
    assert any(n.startswith("Install release openova-data/valkey") for n in changed_tasks(out))
    after = releases(kubeconfig)
    assert {k: v["revision"] for k, v in after.items()} == {k: v["revision"] for k, v in before.items()}


def test_upgrade_through_a_version_bump(kubeconfig):
    _rc, out, _stdout = site(kubeconfig, {"redis_chart_version": "3.0.32"}, tags="redis")
    assert "Install release openova-data/valkey" in changed_tasks(out)
    assert releases(kubeconfig)["openova-data/valkey"]["chart"] == "valkey-3.0.32"
    cm = json.loads(kubectl(kubeconfig, "get", "configmap", "-n", "openova-data", "valkey-test-values", "-o", "json").stdout)
    assert cm["data"]["chart"] == "valkey-3.0.32"


def test_component_dropped_from_the_selection_is_removed(kubeconfig):
    keep = [c for c in ALL if c != "harbor"]
    # without openova_prune_components nothing is removed
    _rc, out, _stdout = site(kubeconfig, {"openova_components": keep, "redis_chart_version": "3.0.32"}, tags="harbor")
    assert "harbor/harbor" in releases(kubeconfig)
    _rc, out, _stdout = site(kubeconfig, {"openova_components": keep, "openova_prune_components": True,
                                          "redis_chart_version": "3.0.32"}, tags="harbor")
    assert "Remove release harbor/harbor" in changed_tasks(out)
    assert "harbor/harbor" not in releases(kubeconfig)


@pytest.mark.parametrize("extra,source", [
    ({"openova_chart_source": "oci", "openova_chart_mirror": "oci://127.0.0.1:9/openova-charts"},
     "OCI mirror oci://127.0.0.1:9/openova-charts"),
    ({"openova_chart_source": "upstream", "redis_chart_repo": "https://127.0.0.1:9/charts"},
     "upstream https://127.0.0.1:9/charts"),
    ({"openova_chart_dir": "/nonexistent/charts"}, "local directory /nonexistent/charts"),
])
def test_unreachable_source_fails_fast_naming_component_source_and_variable(kubeconfig, extra, source):
    start = time.monotonic()
    rc, out, _stdout = site(kubeconfig, dict(extra, openova_components=["redis"]), tags="redis", expect_rc=None)
    elapsed = time.monotonic() - start
    assert rc != 0
    failed = [res for _name, res in tasks(out) if res.get("failed")]
    msg = failed[0]["msg"]
    assert msg.startswith("component 'redis': chart 'valkey' 3.0.31 from " + source + " is unreachable")
    assert "redis_chart_source" in msg and "openova_chart_unreachable=skip" in msg
    assert elapsed < 60


def test_unreachable_source_is_skipped_with_a_report_when_asked(kubeconfig):
    _rc, out, _stdout = site(kubeconfig, {"openova_components": ["redis"], "openova_chart_unreachable": "skip",
                                          "redis_chart_repo": "https://127.0.0.1:9/charts",
                                          "openova_chart_source": "upstream"},
                             tags="redis")
    messages = [res.get("msg", "") for name, res in tasks(out) if name == "Summarise the platform"]
    assert messages[0][0].endswith("installed: none")
    assert messages[0][1].startswith("SKIPPED component 'redis': chart 'valkey' 3.0.31 from upstream https://127.0.0.1:9/charts")
    assert "openova-data/valkey" in releases(kubeconfig)  # skipping never removes
