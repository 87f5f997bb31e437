"""Integration fixtures: a client and engine for the local control plane
started by `make cluster-up` (tools/devcluster.py). Nothing here fakes the
API server; without a running cluster these tests fail with a clear message."""

import os
import uuid
from pathlib import Path

import pytest

from ansible_collections.openova.platform.plugins.module_utils.apply import Engine
from ansible_collections.openova.platform.plugins.module_utils.client import Client
from harness import CACHE

DEVCLUSTER_KUBECONFIG = CACHE / "cluster" / "admin.kubeconfig"


def _kubeconfig():
    path = os.environ.get("OPENOVA_TEST_KUBECONFIG") or str(DEVCLUSTER_KUBECONFIG)
    if not Path(path).exists():
        pytest.fail("integration tests need the local cluster: run `make cluster-up` "
                    f"(no kubeconfig at {path})", pytrace=False)
    return path


@pytest.fixture(scope="session")
def kubeconfig():
    return _kubeconfig()


@pytest.fixture(scope="session")
def client(kubeconfig):
    c = Client({"kubeconfig": kubeconfig})
    try:
        c.version()
    except Exception as exc:  # noqa: BLE001 - turned into one readable failure
        pytest.fail(f"the local cluster is not reachable ({exc}); run `make cluster-up`", pytrace=False)
    return c


@pytest.fixture()
def engine(client):
    return Engine(client)


@pytest.fixture()
def namespace(engine):
    """A fresh namespace, deleted after the test."""
    name = "it-" + uuid.uuid4().hex[:8]
    engine.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}])
    yield name
    engine.delete([("v1", "Namespace", "", name)])


@pytest.fixture(scope="session")
def platform_cluster():
    """The named cluster 'platform' (profile platform: no preinstalled CRDs,
    webhook admission off, load-balancer addresses, a volume provisioner and
    operator status simulated by kwok), started once per session next to the
    default cluster; stopped at the end if this session started it."""
    import devcluster  # noqa: PLC0415 (tools/ is on sys.path through harness)

    try:
        running = devcluster._running_pid(devcluster.get_cluster("platform"), "kube-apiserver") is not None
    except devcluster.ClusterError:
        running = False
    try:
        cluster = devcluster.up(name="platform", profile="platform")
    except (devcluster.ClusterError, devcluster.toolchain.ToolchainError) as exc:
        pytest.fail(f"the platform cluster did not start: {exc}", pytrace=False)
    yield cluster
    if not running:
        devcluster.down(name="platform")
