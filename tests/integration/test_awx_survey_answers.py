"""The job playbooks take what their AWX surveys give: extra vars built from the survey files
the way AWX builds them (text and choices as strings, integers as numbers, multiselect as a
list; unanswered questions fall back to the survey default), run against the local control
plane."""

import uuid
from pathlib import Path

import yaml
from harness import run_playbook, task_result


REPO = Path(__file__).resolve().parents[2]
PLATFORM_NAMESPACES = ("openova-redpanda", "openova-data", "openova-observability", "istio-ingress")


def survey_answers(survey_file: str, answers: dict) -> dict:
    """The extra vars AWX sends for these answers to the survey in awx/surveys/<survey_file>."""
    survey = yaml.safe_load((REPO / "awx" / "surveys" / survey_file).read_text())
    extra = {}
    for question in survey["spec"]:
        var, qtype = question["variable"], question["type"]
        value = answers.pop(var, question.get("default"))
        if value is None:
            assert not question["required"], f"{var} is required: answer it"
            continue
        if qtype == "integer":
            value = int(value)
        elif qtype == "multiselect":
            value = value if isinstance(value, list) else [v for v in str(value).split("\n") if v]
            assert set(value) <= set(question["choices"]), var
        else:
            value = str(value)
            if qtype == "multiplechoice":
                assert value in question["choices"], var
        extra[var] = value
    assert not answers, f"no question for {sorted(answers)}"
    return extra


def test_onboard_and_offboard_from_survey_answers(kubeconfig, engine):
    engine.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}} for n in PLATFORM_NAMESPACES])
    name = "awx" + uuid.uuid4().hex[:6]
    onboard = survey_answers("onboard_tenant.yml", {
        "tenant_name": name, "tenant_tier": "medium", "tenant_owner_groups": f"{name}-admins, {name}-leads",
        "tenant_viewer_groups": f"{name}-auditors", "tenant_namespaces": f"{name}-dev,{name}-prod"})
    assert onboard["tenant_developer_groups"] == "" and onboard["tenant_display_name"] == ""
    offboard = survey_answers("offboard_tenant.yml", {"tenant_name": name})
    assert offboard == {"tenant_name": name, "tenant_namespaces": "", "confirm_delete_pvcs": "false",
                        "confirm_delete_registry_project": "false"}
    try:
        out = run_playbook(REPO / "playbooks" / "onboard_tenant.yml", kubeconfig, extra_vars=onboard)[1]
        result = task_result(out, "Apply the tenants in one batch")
        assert f"Namespace {name}-prod" in result["tenants"][name]["created"]
        binding = engine.get("rbac.authorization.k8s.io/v1", "RoleBinding", "openova-tenant-admin", f"{name}-dev")
        assert sorted(s["name"] for s in binding["subjects"]) == [f"{name}-admins", f"{name}-leads"]
        quota = engine.list("v1", "ResourceQuota", label_selector=f"openova.io/tenant={name}")
        assert quota, "no ResourceQuota for the medium tier"
        out = run_playbook(REPO / "playbooks" / "offboard_tenant.yml", kubeconfig, extra_vars=offboard)[1]
        result = task_result(out, "Apply the tenants in one batch")
        assert f"Namespace {name}-dev" in result["tenants"][name]["deleted"]
    finally:
        run_playbook(REPO / "playbooks" / "offboard_tenant.yml", kubeconfig, extra_vars={"tenant_name": name},
                     expect_rc=None)


def test_check_workloads_from_survey_answers(kubeconfig):
    fixtures = REPO / "tests" / "kyverno" / "fixtures"
    good = survey_answers("check_workloads.yml", {"tenant": "acme", "src": str(fixtures / "adr-example.yaml")})
    assert good["report_only"] == "false" and good["zone_spread"] == "false"
    run_playbook(REPO / "playbooks" / "check_workloads.yml", kubeconfig, extra_vars=good)
    bad = survey_answers("check_workloads.yml", {"tenant": "acme", "src": str(fixtures / "deploy-no-spread.yaml")})
    stdout = run_playbook(REPO / "playbooks" / "check_workloads.yml", kubeconfig, extra_vars=bad, expect_rc=2)[2]
    assert "require-topology-spread" in stdout
    report = survey_answers("check_workloads.yml", {"tenant": "acme", "src": str(fixtures / "deploy-no-spread.yaml"),
                                                    "report_only": "true"})
    run_playbook(REPO / "playbooks" / "check_workloads.yml", kubeconfig, extra_vars=report)
