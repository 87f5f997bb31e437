"""Helpers for integration tests that drive ansible-playbook and the pinned
binaries. Import them as `from harness import run_playbook, task_result`
(pytest puts this folder on sys.path); fixtures live in conftest.py."""

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("OPENOVA_CACHE_DIR") or REPO / ".cache")
# tools/devcluster.py and its helpers (egress registrations, the loopback check).
if str(REPO / "tools") not in sys.path:
    sys.path.insert(0, str(REPO / "tools"))
# Replaces ansible.cfg's profile_tasks, which would print into the JSON output. A stdout
# callback listed here is ignored, and an empty list is not accepted.
QUIET_CALLBACKS = "ansible.builtin.minimal"


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


def changed(out):
    """The play recap's changed count for localhost."""
    return out["stats"]["localhost"]["changed"]


def task_result(out, task_name):
    """The localhost result of the (first) task whose name ends with ``task_name``."""
    for play in out["plays"]:
        for task in play["tasks"]:
            if task["task"]["name"].endswith(task_name):
                return task["hosts"]["localhost"]
    raise AssertionError("no task %r" % task_name)
