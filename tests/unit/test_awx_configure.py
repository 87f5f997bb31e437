"""playbooks/awx_configure.yml without a controller: syntax, input checks, and that it reads the
catalogue before its first request. The only address it is given is 127.0.0.1:9 (nothing listens)."""

from __future__ import annotations

import json
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
    if extra:
        cmd += ["-e", json.dumps(extra)]
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


KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters: []\n"


def _changed(stdout: str) -> int:
    recap = stdout.split("PLAY RECAP")[1]
    return int(recap.split("changed=")[1].split()[0])


def test_creates_everything_then_changes_nothing():
    import yaml
    from awx_fake import FakeController

    with FakeController() as awx:
        extra = {**COMPLETE, "awx_configure_controller_host": awx.url, "awx_configure_kubeconfig": KUBECONFIG}
        first = _run(extra=extra)
        assert first.returncode == 0, first.stdout + first.stderr
        assert _changed(first.stdout) > 0
        writes = len(awx.writes)

        second = _run(extra=extra)
        assert second.returncode == 0, second.stdout + second.stderr
        assert _changed(second.stdout) == 0, second.stdout
        assert awx.writes[writes:] == []

        catalogue = yaml.safe_load((REPO / "awx" / "job_templates.yml").read_text())["job_templates"]
        templates = awx.objects["job_templates"]
        assert sorted(t["name"] for t in templates.values()) == sorted(t["name"] for t in catalogue)
        project = awx.named("projects", "openova.platform")
        assert project["scm_url"] == COMPLETE["awx_configure_scm_url"] and project["scm_branch"] == "main"
        ee = awx.named("execution_environments", "openova.platform")
        assert ee["image"] == COMPLETE["awx_configure_ee_image"]
        source = awx.named("inventory_sources", "openova.platform from inventories/production/hosts.yml")
        assert source["source"] == "scm" and source["source_project"] == project["id"]
        assert (REPO / source["source_path"]).is_file()
        ctype = awx.named("credential_types", "Kubeconfig (openova.platform)")
        assert ctype["injectors"] == {"file": {"template.kubeconfig": "{{ kubeconfig }}"},
                                      "env": {"K8S_AUTH_KUBECONFIG": "{{ tower.filename.kubeconfig }}"}}
        credential = awx.named("credentials", "openova.platform kubeconfig")
        assert credential["inputs"] == {"kubeconfig": KUBECONFIG}
        assert credential["credential_type"] == ctype["id"]
        for entry in catalogue:
            template = awx.named("job_templates", entry["name"])
            assert template["playbook"] == entry["playbook"]
            assert template["survey_enabled"] is True
            assert template["execution_environment"] == ee["id"] and template["project"] == project["id"]
            assert template["ask_variables_on_launch"] is bool(entry.get("prompted_variables"))
            assert awx.surveys[template["id"]] == yaml.safe_load((REPO / "awx" / entry["survey"]).read_text())
            attached = awx.associations.get(("job_templates", template["id"], "credentials"), [])
            assert attached == ([credential["id"]] if entry["credentials"] else []), entry["name"]


def test_survey_change_is_applied_on_the_next_run(tmp_path):
    import shutil

    import yaml
    from awx_fake import FakeController

    # A copy of the catalogue whose "Check workloads" survey then changes.
    shutil.copytree(REPO / "awx", tmp_path / "awx")
    with FakeController() as awx:
        extra = {**COMPLETE, "awx_configure_controller_host": awx.url, "awx_configure_kubeconfig": KUBECONFIG,
                 "awx_configure_catalogue": str(tmp_path / "awx" / "job_templates.yml")}
        assert _run(extra=extra).returncode == 0
        survey_file = tmp_path / "awx" / "surveys" / "check_workloads.yml"
        survey = yaml.safe_load(survey_file.read_text())
        survey["spec"][0]["question_name"] = "Tenant name"
        survey_file.write_text(yaml.safe_dump(survey))
        writes = len(awx.writes)
        run = _run(extra=extra)
        assert run.returncode == 0 and _changed(run.stdout) == 1, run.stdout
        template = awx.named("job_templates", "Check workloads")
        assert awx.surveys[template["id"]]["spec"][0]["question_name"] == "Tenant name"
        assert [write[1] for write in awx.writes[writes:]] == [f"job_templates/{template['id']}/survey_spec"]
