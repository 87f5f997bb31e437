"""The Kyverno ClusterPolicy renderer (plugins/module_utils/guardrails/policies.py)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.openova.platform.plugins.module_utils.guardrails.policies import (
    MUTATE_POLICY, PDB_ROLE, render_policies, validate_params,
)
from ansible_collections.openova.platform.plugins.module_utils.guardrails.rules import (
    OBJECT_RULE_IDS, POD_RULES, RULE_IDS, Params, policy_name,
)

REPO = Path(__file__).resolve().parents[5]


def by_name(objs):
    return {o["metadata"]["name"]: o for o in objs}


def test_one_policy_per_rule_plus_mutate_and_role_in_a_fixed_order():
    objs = render_policies(Params())
    names = [o["metadata"]["name"] for o in objs]
    assert names == ([MUTATE_POLICY] + [policy_name(r) for r in RULE_IDS] + [policy_name(r) for r in OBJECT_RULE_IDS]
                     + [PDB_ROLE])
    assert render_policies(Params()) == objs  # deterministic


def test_validate_mode_has_no_role_and_rejects():
    objs = by_name(render_policies(Params(pdb_mode="validate")))
    assert PDB_ROLE not in objs
    rule = objs["openova-require-pdb"]["spec"]["rules"][0]
    assert rule["validate"]["failureAction"] == "Enforce"
    assert rule["match"]["any"][0]["resources"]["kinds"] == ["Deployment", "StatefulSet"]
    assert "generate" not in rule


def test_generate_mode_generates_only_when_no_pdb_selects_the_pods():
    rule = by_name(render_policies(Params()))["openova-require-pdb"]["spec"]["rules"][0]
    assert rule["generate"]["kind"] == "PodDisruptionBudget"
    assert {"key": "{{ pdb_count }}", "operator": "Equals", "value": 0} in rule["preconditions"]["all"]


@pytest.mark.parametrize("action", ["Enforce", "Audit"])
def test_failure_action_on_every_validate_rule(action):
    for obj in render_policies(Params(action=action, pdb_mode="validate")):
        for rule in obj.get("spec", {}).get("rules", []):
            if "validate" in rule:
                assert rule["validate"]["failureAction"] == action


def test_match_tenant_label_and_exempt_platform_namespaces():
    objs = render_policies(Params(tenant_label="example.com/team", platform_namespaces=["b-sys", "a-sys"]))
    for obj in objs:
        for rule in obj.get("spec", {}).get("rules", []):
            res = rule["match"]["any"][0]["resources"]
            assert res["namespaceSelector"] == {"matchExpressions": [{"key": "example.com/team", "operator": "Exists"}]}
            assert rule["exclude"]["any"][0]["resources"]["namespaces"] == ["a-sys", "b-sys"]
    ctx = by_name(objs)["openova-restrict-image-registries"]["spec"]["rules"][0]["context"][0]
    assert '"example.com/team"' in ctx["apiCall"]["jmesPath"]


def test_pod_rules_autogen_to_every_controller_including_cronjob():
    for rule in POD_RULES:
        obj = by_name(render_policies(Params()))[policy_name(rule.id)]
        assert "CronJob" in obj["metadata"]["annotations"]["pod-policies.kyverno.io/autogen-controllers"]
        assert obj["spec"]["rules"][0]["match"]["any"][0]["resources"]["kinds"] == ["Pod"]
        assert obj["spec"]["rules"][0]["validate"]["message"].startswith(rule.id + ":")


def test_zone_spread_and_registry_are_rendered():
    objs = by_name(render_policies(Params(zone_spread=True, registry="registry.example")))
    cond = objs["openova-require-topology-spread"]["spec"]["rules"][0]["validate"]["deny"]["conditions"]["any"][0]
    assert cond["key"] == ["kubernetes.io/hostname", "topology.kubernetes.io/zone"]
    pattern = objs["openova-restrict-image-registries"]["spec"]["rules"][0]["validate"]["pattern"]
    assert pattern["spec"]["containers"][0]["image"].startswith("registry.example/{{tenant}}/* | ")


def test_mutate_policy_only_adds_what_is_absent():
    text = json.dumps(by_name(render_policies(Params()))[MUTATE_POLICY])
    for anchor in ("+(seccompProfile)", "+(allowPrivilegeEscalation)", "+(drop)"):
        assert anchor in text


@pytest.mark.parametrize("params, fields", [
    (Params(action="Warn"), ["action"]),
    (Params(pdb_mode="strict"), ["pdb_mode"]),
    (Params(registry="harbor.openova.io/acme"), ["registry"]),
    (Params(), []),
])
def test_validate_params(params, fields):
    assert [p[0] for p in validate_params(params)] == fields


def test_committed_kyverno_suite_matches_the_renderer():
    """tests/kyverno is generated; a drift means someone edited it by hand or forgot to re-run."""
    proc = subprocess.run([sys.executable, str(REPO / "tests/kyverno/generate.py"), "--check"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr + "\nrun: python3 tests/kyverno/generate.py"


def test_scoped_rules_carry_their_preconditions():
    objs = by_name(render_policies(Params()))
    long_running = {"key": "{{ request.object.spec.restartPolicy || 'Always' }}", "operator": "Equals",
                    "value": "Always"}
    templates_only = {"key": "{{ request.object.kind }}", "operator": "NotEquals", "value": "Pod"}
    for rule in POD_RULES:
        spec_rule = objs[policy_name(rule.id)]["spec"]["rules"][0]
        if rule.id in ("require-probes", "require-topology-spread"):
            assert spec_rule["preconditions"] == {"all": [long_running]}
        elif rule.id == "require-requests-limits":
            assert spec_rule["preconditions"] == {"all": [templates_only]}
        else:
            assert "preconditions" not in spec_rule, rule.id


def test_privileged_containers_get_no_allow_privilege_escalation_default():
    mutate = by_name(render_policies(Params()))[MUTATE_POLICY]["spec"]["rules"][1]["mutate"]["foreach"]
    ape = [e for e in mutate if "+(allowPrivilegeEscalation)" in json.dumps(e)]
    drop = [e for e in mutate if "+(drop)" in json.dumps(e)]
    assert len(ape) == len(drop) == 2
    assert all("preconditions" not in e for e in drop)
    for entry in ape:
        assert entry["preconditions"]["all"][0]["key"] == "{{ element.securityContext.privileged || `false` }}"
