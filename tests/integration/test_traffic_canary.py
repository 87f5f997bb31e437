"""playbooks/canary.yml against the local cluster: a rollout goes 10 -> 50 -> 100
(the VirtualService is read while the play runs), a rollback returns to 100/0
and is idempotent, a failed check rolls back by itself, and check mode writes nothing."""

import threading
import time
import uuid
from pathlib import Path

import pytest

from ansible_collections.openova.platform.plugins.module_utils.service.run import run_tenant_service
from ansible_collections.openova.platform.plugins.module_utils.traffic.run import run_traffic_policy
from harness import run_playbook


REPO = Path(__file__).resolve().parents[2]
CANARY = REPO / "playbooks" / "canary.yml"
TENANT = "acme"
NET = "networking.istio.io/v1"


@pytest.fixture()
def tenant_ns(engine):
    """A namespace as the tenant module leaves it: tenant label, sidecar injection, PSA restricted."""
    name = "it-canary-" + uuid.uuid4().hex[:6]
    engine.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": {
        "openova.io/tenant": TENANT, "istio-injection": "enabled",
        "pod-security.kubernetes.io/enforce": "restricted"}}}])
    yield name
    engine.delete([("v1", "Namespace", "", name)])


@pytest.fixture()
def service(client, tenant_ns):
    """v1 (stable) and v2 (canary) of a service running, routed 100/0."""
    spec = {"name": "shop", "tenant": TENANT, "namespace": tenant_ns, "replicas": 1,
            "autoscaling": {"min_replicas": 1, "max_replicas": 2}}
    for version, tag in (("v1", "1.0.0"), ("v2", "1.1.0")):
        result = run_tenant_service(dict(spec, version=version, stable_version="v1", wait=True, wait_timeout=60,
                                         image="harbor.openova.io/acme/shop:" + tag), client=client)
        assert not result.get("failed"), result.get("msg")
    routed = run_traffic_policy(result["traffic"], client=client)
    assert not routed.get("failed"), routed.get("msg")
    return dict(spec, version="v2", stable_version="v1", image="harbor.openova.io/acme/shop:1.1.0")


def canary(kubeconfig, service, check=False, **extra):
    """Run canary.yml for ``service``; returns the parsed JSON output."""
    extra_vars = dict({"openova_domain": "openova.io", "service": service}, **extra)
    return run_playbook(CANARY, kubeconfig, extra_vars=extra_vars, check=check)[1]


def weights(engine, namespace):
    vs = engine.get(NET, "VirtualService", "shop", namespace)
    return tuple(sorted((r["destination"]["subset"], r["weight"]) for r in vs["spec"]["http"][-1]["route"]))


def task_results(out, name_part):
    """(changed, failed) of every task run whose name contains ``name_part``, in order."""
    found = []
    for play in out.get("plays", []):
        for task in play.get("tasks", []):
            if name_part in task["task"]["name"]:
                host = task["hosts"].get("localhost", {})
                if not host.get("skipped"):
                    found.append((bool(host.get("changed")), bool(host.get("failed"))))
    return found


class Watcher(threading.Thread):
    """Reads the VirtualService every 50ms and records each distinct split seen."""

    def __init__(self, engine, namespace):
        super().__init__(daemon=True)
        self.engine, self.namespace = engine, namespace
        self.seen, self.stop = [], threading.Event()

    def run(self):
        while not self.stop.is_set():
            split = weights(self.engine, self.namespace)
            if not self.seen or self.seen[-1] != split:
                self.seen.append(split)
            time.sleep(0.05)


def test_rollout_goes_10_50_100_and_rollback_returns_to_100_0(kubeconfig, engine, tenant_ns, service):
    assert weights(engine, tenant_ns) == (("v1", 100), ("v2", 0))
    watcher = Watcher(engine, tenant_ns)
    watcher.start()
    try:
        out = canary(kubeconfig, service, canary_pause_seconds=2)
    finally:
        time.sleep(0.2)
        watcher.stop.set()
        watcher.join()
    assert watcher.seen == [(("v1", 100), ("v2", 0)), (("v1", 90), ("v2", 10)), (("v1", 50), ("v2", 50)),
                            (("v1", 0), ("v2", 100))]
    assert task_results(out, "Set the canary weight") == [(True, False)] * 3
    assert len(task_results(out, "Check that the canary's pods are available")) == 3

    out = canary(kubeconfig, service, canary_rollback=True)
    assert weights(engine, tenant_ns) == (("v1", 100), ("v2", 0))
    assert task_results(out, "Set the canary weight") == [(True, False)]
    version = engine.get(NET, "VirtualService", "shop", tenant_ns)["metadata"]["resourceVersion"]

    out = canary(kubeconfig, service, canary_rollback=True)
    assert task_results(out, "Set the canary weight") == [(False, False)]
    assert engine.get(NET, "VirtualService", "shop", tenant_ns)["metadata"]["resourceVersion"] == version


def test_check_mode_writes_nothing(kubeconfig, engine, tenant_ns, service):
    version = engine.get(NET, "VirtualService", "shop", tenant_ns)["metadata"]["resourceVersion"]
    out = canary(kubeconfig, service, check=True, canary_pause_seconds=0)
    assert task_results(out, "Set the canary weight") == [(True, False)] * 3
    assert engine.get(NET, "VirtualService", "shop", tenant_ns)["metadata"]["resourceVersion"] == version
    assert weights(engine, tenant_ns) == (("v1", 100), ("v2", 0))


def test_failed_check_rolls_back(kubeconfig, engine, tenant_ns, service):
    rc, out, stdout = run_playbook(CANARY, kubeconfig, expect_rc=None, extra_vars={
        "openova_domain": "openova.io", "service": service, "canary_pause_seconds": 0, "canary_check_url": "http://127.0.0.1:9/health",
        "canary_check_retries": 0, "canary_check_delay": 0})
    assert rc != 0
    assert weights(engine, tenant_ns) == (("v1", 100), ("v2", 0))
    assert "all traffic is back on v1" in stdout
