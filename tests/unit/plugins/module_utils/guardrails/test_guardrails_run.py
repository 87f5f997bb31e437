"""guardrails/run.py: the guardrail_policies entry point - the module's options become the
rule parameters, bad options fail before any request, and state present/absent reconcile
or remove exactly the guard-rail objects (found by their labels). The API server itself is
exercised in tests/integration/test_guardrails.py."""

import pytest

from ansible_collections.openova.platform.plugins.module_utils import facts
from ansible_collections.openova.platform.plugins.module_utils.errors import SpecError
from ansible_collections.openova.platform.plugins.module_utils.guardrails import run
from ansible_collections.openova.platform.plugins.module_utils.guardrails.policies import LABELS


class NoClient:
    requests = 0

    def __getattr__(self, name):
        raise AssertionError("the API was called (%s) before the options were checked" % name)


class RecordingEngine:
    """Stands in for the Engine: records what the entry point asks of it."""

    def __init__(self, owned):
        self.owned = owned
        self.calls = []

    def list_owned(self, kinds, selector):
        self.calls.append(("list_owned", tuple(kinds), selector))
        return self.owned

    def reconcile(self, objects, owned):
        self.calls.append(("reconcile", [o["metadata"]["name"] for o in objects], owned))
        return []

    def delete(self, refs, existing=None):
        self.calls.append(("delete", list(refs)))
        return []


def test_options_become_the_rule_parameters():
    params = run.policy_params({"registry": "harbor.example.com", "validation_failure_action": "Audit",
                                "pdb_mode": "validate", "zone_spread": True, "platform_namespaces": ["x"]})
    assert (params.registry, params.action, params.pdb_mode, params.zone_spread) == (
        "harbor.example.com", "Audit", "validate", True)
    assert params.platform_namespaces == ("x",)
    defaults = run.policy_params({})
    assert defaults.registry == facts.registry_host()
    assert set(defaults.platform_namespaces) == set(facts.EXEMPT_NAMESPACES)


@pytest.mark.parametrize("params, field", [({"registry": "harbor.openova.io/acme"}, "registry"),
                                           ({"validation_failure_action": "Block"}, "action"),
                                           ({"pdb_mode": "maybe"}, "pdb_mode")])
def test_bad_options_fail_before_any_request(params, field):
    with pytest.raises(SpecError) as err:
        run.run_guardrail_policies(params, client=NoClient())
    assert err.value.problems[0][0] == field


def test_owned_objects_are_found_by_the_guardrail_labels():
    assert run.OWNED_SELECTOR == facts.selector(LABELS)
    assert "app.kubernetes.io/part-of=openova-guardrails" in run.OWNED_SELECTOR


def test_present_reconciles_and_absent_deletes_only_what_is_owned(monkeypatch):
    owned = [{"apiVersion": "kyverno.io/v1", "kind": "ClusterPolicy", "metadata": {"name": "openova-old"}}]
    engine = RecordingEngine(owned)
    monkeypatch.setattr(run, "engine_for", lambda params, client, check_mode: engine)
    result = run.run_guardrail_policies({"return_objects": True}, client=None)
    assert engine.calls[0] == ("list_owned", run.OWNED_KINDS, run.OWNED_SELECTOR)
    assert engine.calls[1][0] == "reconcile" and "openova-require-probes" in engine.calls[1][1]
    assert engine.calls[1][2] is owned
    assert result["policies"][0] == "openova-pod-security-defaults" and result["objects"]
    engine.calls.clear()
    run.run_guardrail_policies({"state": "absent"}, client=None)
    assert engine.calls[1] == ("delete", owned)


class _PermissionRaceEngine:
    """reconcile() fails the generate policy until the aggregated permission has arrived."""

    check_mode = False

    def __init__(self, denials):
        self.denials = denials
        self.calls = 0

    def reconcile(self, objects, owned):
        from ansible_collections.openova.platform.plugins.module_utils.apply import ObjectResult

        self.calls += 1
        role = ("rbac.authorization.k8s.io/v1", "ClusterRole", "", "openova-kyverno-generate-pdb")
        policy = ("kyverno.io/v1", "ClusterPolicy", "", "openova-require-pdb")
        if self.calls <= self.denials:
            return [ObjectResult(role, "created" if self.calls == 1 else "unchanged"),
                    ObjectResult(policy, "failed", error="ClusterPolicy openova-require-pdb: admission webhook "
                                 "denied the request: kyverno-background-controller requires permissions create")]
        return [ObjectResult(role, "unchanged"), ObjectResult(policy, "updated")]

    def list_owned(self, kinds, selector):
        return []


def test_a_generate_policy_waits_for_its_aggregated_permission(monkeypatch):
    monkeypatch.setattr(run.time, "sleep", lambda seconds: None)
    engine = _PermissionRaceEngine(denials=2)
    results = run._reconcile_until_permitted(engine, [], [])
    assert engine.calls == 3
    assert [(r.ref[1], r.action) for r in results] == [("ClusterRole", "created"), ("ClusterPolicy", "updated")]


def test_a_lasting_denial_is_reported_after_the_wait(monkeypatch):
    monkeypatch.setattr(run.time, "sleep", lambda seconds: None)
    engine = _PermissionRaceEngine(denials=10 ** 6)
    results = run._reconcile_until_permitted(engine, [], [], wait=0)
    assert engine.calls == 1 and results[1].action == "failed"
