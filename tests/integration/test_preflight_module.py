"""openova.platform.preflight through ansible-playbook, against the local cluster."""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from harness import CACHE, QUIET_CALLBACKS, REPO

VENV = Path(os.environ.get("VIRTUAL_ENV", REPO / ".venv"))


def _task(kubeconfig, **options):
    """Run preflight as an ad-hoc task; return (rc, result dict, raw output)."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(CACHE / "collections"), ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
               ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json", ANSIBLE_NOCOLOR="1",
               ANSIBLE_CALLBACKS_ENABLED=QUIET_CALLBACKS)
    env.pop("K8S_AUTH_KUBECONFIG", None)
    args = json.dumps(dict(options, kubeconfig=kubeconfig))
    proc = subprocess.run([str(VENV / "bin" / "ansible"), "localhost", "-c", "local", "-i", "localhost,",
                           "-e", "ansible_python_interpreter=" + str(VENV / "bin" / "python"),
                           "-m", "openova.platform.preflight", "-a", args],
                          cwd=REPO, env=env, capture_output=True, text=True, check=False)
    doc = json.loads(proc.stdout)
    result = doc["plays"][0]["tasks"][0]["hosts"]["localhost"]
    return proc.returncode, result, proc.stdout + proc.stderr


def test_site_yml_runs_preflight_and_prints_facts(kubeconfig):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(CACHE / "collections"), ANSIBLE_NOCOLOR="1",
               K8S_AUTH_KUBECONFIG=kubeconfig)
    proc = subprocess.run([str(VENV / "bin" / "ansible-playbook"), "site.yml", "--tags", "preflight"],
                          cwd=REPO, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "Run the platform preflight checks" in proc.stdout
    assert "Ready node(s) in zones zone-a, zone-b, zone-c" in proc.stdout


def test_facts(kubeconfig):
    rc, result, _raw = _task(kubeconfig, min_nodes=3, min_zones=3, required_crd_groups=["networking.istio.io"])
    assert rc == 0
    facts = result["ansible_facts"]["openova_cluster"]
    assert facts["ready_nodes"] >= 3 and facts["zones"] == ["zone-a", "zone-b", "zone-c"]
    assert facts["version"] == "1.36"
    assert "kyverno.io" in facts["crd_groups"] and "cluster.redpanda.com" in facts["crd_groups"]
    assert facts["default_storage_class"] == "local-kwok"
    assert result["unmet"] == [] and result["changed"] is False
    assert result["api_requests"] <= 8


def test_unmet_requirements_fail_and_are_named(kubeconfig):
    rc, result, _raw = _task(kubeconfig, min_zones=4, required_crd_groups=["example.openova.io"])
    assert rc != 0
    assert result["unmet"] == ["zones", "crd_groups"]
    assert "zones (3 zone(s), 4 required)" in result["msg"] and "example.openova.io" in result["msg"]


@pytest.mark.parametrize("content, expected", [
    ("apiVersion: v1\nclusters: [unclosed\n", "cannot parse kubeconfig"),
    ("not: a: kubeconfig: at: all\n", "kubeconfig"),
])
def test_malformed_kubeconfig_gives_one_line(tmp_path, content, expected):
    path = tmp_path / "kubeconfig"
    path.write_text(content)
    rc, result, raw = _task(str(path))
    assert rc != 0
    assert expected in result["msg"] and "\n" not in result["msg"]
    assert "Traceback (most recent call last)" not in raw
    assert result.get("exception", "(traceback unavailable)") == "(traceback unavailable)"


def test_unreachable_server_gives_one_line(tmp_path, kubeconfig):
    # The real kubeconfig pointed at a loopback port nothing listens on.
    text = re.sub(r"server: https://127\.0\.0\.1:\d+", "server: https://127.0.0.1:1", Path(kubeconfig).read_text())
    path = tmp_path / "kubeconfig"
    path.write_text(text)
    rc, result, raw = _task(str(path), request_timeout=3, retry_deadline=0)
    assert rc != 0
    assert result["msg"] == "cannot reach the Kubernetes API at https://127.0.0.1:1: connection refused"
    # With retries (the default), the same line says how long it tried.
    rc, result, raw = _task(str(path), request_timeout=3, retry_deadline=2)
    assert rc != 0 and "\n" not in result["msg"]
    assert re.match(r"cannot reach the Kubernetes API at https://127\.0\.0\.1:1: connection refused; gave up after "
                    r"\d+ retr(y|ies) in \d+s \(retry_deadline 2s\)$", result["msg"]), result["msg"]
    assert "Traceback (most recent call last)" not in raw


def test_installed_collection_runs_site_by_fqcn(tmp_path, kubeconfig):
    """`ansible-galaxy collection build` makes a tarball, and `ansible-playbook
    openova.platform.site` runs from the installed collection, away from this checkout."""
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_CALLBACKS_ENABLED=QUIET_CALLBACKS,
               ANSIBLE_CONFIG=str(tmp_path / "none.cfg"), K8S_AUTH_KUBECONFIG=kubeconfig)
    env.pop("ANSIBLE_COLLECTIONS_PATH", None)
    galaxy = str(VENV / "bin" / "ansible-galaxy")
    subprocess.run([galaxy, "collection", "build", "--force", "--output-path", str(tmp_path), str(REPO)],
                   cwd=tmp_path, env=env, check=True, capture_output=True)
    tarball = next(tmp_path.glob("openova-platform-*.tar.gz"))
    subprocess.run([galaxy, "collection", "install", "--offline", "--no-deps", "-p", str(tmp_path / "collections"),
                    str(tarball)], cwd=tmp_path, env=env, check=True, capture_output=True)
    env["ANSIBLE_COLLECTIONS_PATH"] = str(tmp_path / "collections")
    proc = subprocess.run([str(VENV / "bin" / "ansible-playbook"), "-i", "localhost,", "-c", "local",
                           "-e", "ansible_python_interpreter=" + str(VENV / "bin" / "python"),
                           "openova.platform.site", "--tags", "preflight"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "Ready node(s) in zones zone-a, zone-b, zone-c" in proc.stdout
