"""playbooks/awx_configure.yml without a controller: syntax, input checks, and that it reads the
catalogue before its first request. The only address it is given is 127.0.0.1:9 (nothing listens)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PLAYBOOK = REPO / "playbooks" / "awx_configure.yml"
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
NOWHERE = "http://127.0.0.1:9"
COMPLETE = {
    "awx_configure_controller_host": NOWHERE,
    "awx_configure_controller_oauthtoken": "not-a-token",
    "awx_configure_scm_url": "https://git.example.com/openova.platform.git",
    "awx_configure_ee_image": "registry.example.com/openova-platform-ee:0.1.0",
}


def _run(*args: str, extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONTROLLER_", "TOWER_", "AAP_"))}
    env.update(ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1",
               CONTROLLER_HOST=NOWHERE)
    cmd = [str(ANSIBLE_PLAYBOOK), str(PLAYBOOK), *args]
    for key, value in (extra or {}).items():
        cmd += ["-e", f"{key}={value}"]
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=240, check=False)


def test_syntax_check():
    run = _run("--syntax-check")
    assert run.returncode == 0, run.stdout + run.stderr


def test_missing_project_url_fails_before_any_request():
    run = _run(extra={k: v for k, v in COMPLETE.items() if k != "awx_configure_scm_url"})
    assert run.returncode != 0
    assert "set awx_configure_scm_url" in run.stdout
    assert "Create or update the execution environment" not in run.stdout


def test_bad_choice_fails_the_argument_spec():
    run = _run(extra={**COMPLETE, "awx_configure_ee_pull": "sometimes"})
    assert run.returncode != 0
    assert "Check the variables" in run.stdout and "awx_configure_ee_pull" in run.stdout
    assert "Create or update the execution environment" not in run.stdout


@pytest.mark.parametrize("secret", ["awx_configure_controller_oauthtoken", "awx_configure_kubeconfig"])
def test_secrets_do_not_show(secret):
    run = _run("-v", extra={**COMPLETE, secret: "s3cr3t-value"})
    assert "s3cr3t-value" not in run.stdout + run.stderr


def test_complete_input_reaches_the_controller():
    # Everything before the first request passes (input checks, catalogue read); the first
    # awx.awx task then fails because nothing answers on 127.0.0.1:9.
    run = _run(extra=COMPLETE)
    assert run.returncode != 0
    out = run.stdout
    assert "ok: [localhost]" in out.split("TASK [Read the job template catalogue]")[1].split("TASK [")[0]
    failed = out.split("TASK [Create or update the execution environment]")[1]
    assert "127.0.0.1" in failed and "fatal" in failed, out
