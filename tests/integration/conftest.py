"""Integration fixtures: a client and engine for the local control plane
started by `make cluster-up` (tools/devcluster.py). Nothing here fakes the
API server; without a running cluster these tests fail with a clear message."""

import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest

from ansible_collections.openova.platform.plugins.module_utils.apply import Engine
from ansible_collections.openova.platform.plugins.module_utils.client import Client

REPO = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("OPENOVA_CACHE_DIR") or REPO / ".cache")
# Replaces ansible.cfg's profile_tasks, which would print into the JSON output. A stdout
# callback listed here is ignored, and an empty list is not accepted.
QUIET_CALLBACKS = "ansible.builtin.minimal"
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


def kubectl_bin():
    return str(next((CACHE / "bin").glob("kubectl-*/kubectl")))


def run_playbook(playbook, kubeconfig, extra_vars=None, check=False, diff=False, inventory=None,
                 expect_rc=0):
    """Run ansible-playbook from the repo root with JSON output; return (rc, parsed stats, stdout)."""
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_CALLBACKS_ENABLED=QUIET_CALLBACKS,
               ANSIBLE_COLLECTIONS_PATH=str(CACHE / "collections"), K8S_AUTH_KUBECONFIG=kubeconfig,
               ANSIBLE_NOCOLOR="1")
    cmd = [str(Path(os.environ.get("VIRTUAL_ENV", REPO / ".venv")) / "bin" / "ansible-playbook"), str(playbook),
           "-i", str(inventory or REPO / "inventories" / "local" / "hosts.yml")]
    cmd += ["-e", json.dumps(dict({"openova_kubeconfig": kubeconfig}, **(extra_vars or {})))]
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    try:
        out = json.loads(proc.stdout[proc.stdout.index("{"):])
    except ValueError:
        out = {"raw": proc.stdout}
    if expect_rc is not None:
        assert proc.returncode == expect_rc, f"ansible-playbook exited {proc.returncode}:\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}"
    return proc.returncode, out, proc.stdout
