"""guardrail_policies against the real API server with Kyverno v1.19.0's CRDs: the
schemas accept every rendered ClusterPolicy, check mode writes nothing, a re-run is
unchanged, mode switches update and prune, state=absent removes everything. No Kyverno
controller runs here, so verdicts are proven by the Kyverno CLI suite (tests/kyverno);
this file also proves that the offline defaulting predicts Pod Security Admission."""

import copy
import sys
import uuid
from pathlib import Path

import pytest

from ansible_collections.openova.platform.plugins.module_utils import facts
from ansible_collections.openova.platform.plugins.module_utils.errors import ApiError
from ansible_collections.openova.platform.plugins.module_utils.platform.render import render_priority_classes
from ansible_collections.openova.platform.plugins.module_utils.guardrails.check import apply_defaults, check_objects
from ansible_collections.openova.platform.plugins.module_utils.guardrails.run import (
    OWNED_KINDS, OWNED_SELECTOR, run_guardrail_policies,
)
from ansible_collections.openova.platform.plugins.module_utils.guardrails.rules import POD_KINDS, RULE_IDS, Params

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "kyverno"))
import corpus  # noqa: E402
from harness import run_playbook

KYVERNO = "kyverno.io/v1"


def owned(engine):
    out = []
    for api_version, kind in OWNED_KINDS:
        out += engine.list(api_version, kind, label_selector=OWNED_SELECTOR)
    return sorted((o["kind"], o["metadata"]["name"]) for o in out)


@pytest.fixture()
def clean(client, engine):
    run_guardrail_policies({"state": "absent"}, client=client)
    yield
    run_guardrail_policies({"state": "absent"}, client=client)


def test_policies_install_idempotently_and_switch_modes(client, engine, clean):
    dry = run_guardrail_policies({"state": "present"}, check_mode=True, diff=True, client=client)
    assert not dry.get("failed"), dry.get("msg")
    assert dry["changed"] and dry["summary"]["created"] == 14  # 13 ClusterPolicies and the PDB ClusterRole
    assert owned(engine) == []  # check mode wrote nothing

    first = run_guardrail_policies({"state": "present"}, diff=True, client=client)
    assert not first.get("failed"), first.get("msg")
    assert first["summary"]["created"] == 14 and len(first["diff"]) == 14
    assert len(owned(engine)) == 14
    live = engine.get(KYVERNO, "ClusterPolicy", "openova-require-probes")
    assert live["spec"]["rules"][0]["validate"]["failureAction"] == "Enforce"
    rv = live["metadata"]["resourceVersion"]

    again = run_guardrail_policies({"state": "present"}, diff=True, client=client)
    assert not again["changed"] and again["summary"]["unchanged"] == 14 and again["diff"] == []
    assert engine.get(KYVERNO, "ClusterPolicy", "openova-require-probes")["metadata"]["resourceVersion"] == rv

    strict = run_guardrail_policies({"state": "present", "pdb_mode": "validate", "validation_failure_action": "Audit"},
                                    client=client)
    assert strict["changed"] and strict["summary"]["deleted"] == 1  # the PDB ClusterRole is pruned
    assert ("ClusterRole", "openova-kyverno-generate-pdb") not in owned(engine)
    live = engine.get(KYVERNO, "ClusterPolicy", "openova-require-pdb")
    assert live["spec"]["rules"][0]["validate"]["failureAction"] == "Audit"

    gone_dry = run_guardrail_policies({"state": "absent"}, check_mode=True, client=client)
    assert gone_dry["changed"] and len(owned(engine)) == 13
    gone = run_guardrail_policies({"state": "absent"}, client=client)
    assert gone["summary"]["deleted"] == 13 and owned(engine) == []


def test_schema_rejects_a_broken_policy_in_check_mode(client, engine):
    """The CRD schema is enforced, so check mode is a real validation of what we render."""
    bad = {"apiVersion": KYVERNO, "kind": "ClusterPolicy", "metadata": {"name": "it-guardrails-bad"},
           "spec": {"rules": [{"name": "x", "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
                               "validate": {"failureAction": "Block", "deny": {}}}]}}
    dry = type(engine)(client, check_mode=True)
    result = dry.apply([bad])[0]
    assert result.action == "failed" and "failureAction" in result.error


@pytest.fixture()
def restricted_ns(engine):
    """A tenant namespace under Pod Security restricted, with the platform's PriorityClasses in place
    (as site.yml's prepare phase applies them), which fixtures with a priorityClassName need."""
    engine.apply(render_priority_classes({"priority_classes": [dict(pc) for pc in facts.PRIORITY_CLASSES]}))
    name = "it-guardrails-" + uuid.uuid4().hex[:6]
    engine.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": {
        "openova.io/tenant": corpus.TENANT, "pod-security.kubernetes.io/enforce": "restricted"}}}])
    yield name
    engine.delete([("v1", "Namespace", "", name)])


def _pod_from(obj, namespace):
    template = copy.deepcopy(obj["spec"]["template"])
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "adr-pod", "namespace": namespace, "labels": template["metadata"]["labels"]},
            "spec": template["spec"]}


def test_adr_example_passes_offline_and_its_defaulted_pod_passes_psa_restricted(client, engine, restricted_ns):
    deployment, pdb = corpus.adr_example()
    findings = check_objects([("adr", 0, deployment), ("adr", 1, pdb)],
                             Params(tenant=corpus.TENANT, pdb_mode="validate"))[0]
    assert sorted(f["rule"] for f in findings) == sorted(RULE_IDS)
    assert {f["result"] for f in findings} == {"pass"}

    dry = type(engine)(client, check_mode=True)
    # As written, the ADR's pod is rejected by PSA restricted: this is why the mutate policy exists.
    raw = dry.apply([_pod_from(deployment, restricted_ns)])[0]
    assert raw.action == "failed" and "restricted" in raw.error
    # With the defaults workload_check applies (the mutate policy's), the API server admits it.
    pod = _pod_from(deployment, restricted_ns)
    apply_defaults(pod["spec"], "spec")
    ok = dry.apply([pod])[0]
    assert ok.action == "created", ok.error
    # And the Deployment plus its PDB are accepted as they are (check mode: nothing stored).
    for obj in (deployment, pdb):
        obj = copy.deepcopy(obj)
        obj["metadata"]["namespace"] = restricted_ns
        assert dry.apply([obj])[0].action == "created"
    with pytest.raises(ApiError):
        engine.client.request("GET", "/api/v1/namespaces/%s/pods/adr-pod" % restricted_ns)


def test_check_workloads_playbook(kubeconfig):
    fixtures = REPO / "tests" / "kyverno" / "fixtures"
    run_playbook(REPO / "playbooks" / "check_workloads.yml", kubeconfig,
                 extra_vars={"tenant": "acme", "src": str(fixtures / "adr-example.yaml")})
    stdout = run_playbook(REPO / "playbooks" / "check_workloads.yml", kubeconfig, expect_rc=2,
                          extra_vars={"tenant": "acme", "src": str(fixtures / "deploy-no-spread.yaml")})[2]
    assert "require-topology-spread" in stdout
    run_playbook(REPO / "playbooks" / "check_workloads.yml", kubeconfig, check=True,
                 extra_vars={"tenant": "acme", "src": str(fixtures), "report_only": True})


ADMITTED_LABELS = {"compliant", "require-requests-limits", "require-probes", "require-topology-spread",
                   "restrict-image-registries", "require-sidecar-injection", "require-pdb"}
REJECTED_LABELS = {"pod-security-restricted", "disallow-host-access"}


def _pod_of(obj, namespace, name):
    spec_keys, meta_keys = POD_KINDS[obj["kind"]]
    spec, meta = obj, obj
    for key in spec_keys:
        spec = spec[key]
    for key in meta_keys:
        meta = meta.get(key) or {}
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace, "labels": meta.get("labels") or {}},
            "spec": copy.deepcopy(spec)}


def test_defaulted_fixture_pods_meet_the_real_pod_security_admission(client, engine, restricted_ns):
    """The API server's own PSA 'restricted' admits the defaulted pod of every fixture that
    workload_check passes on the security rules, and rejects those it fails on them."""
    dry = type(engine)(client, check_mode=True)
    wrong, seen = [], {True: 0, False: 0}
    for name, docs in sorted(corpus.fixtures().items()):
        label = docs[0]["metadata"]["annotations"][corpus.EXPECT]
        if label not in ADMITTED_LABELS | REJECTED_LABELS or docs[0]["kind"] not in POD_KINDS:
            continue  # Services and VirtualServices (the object rules) have no pod
        pod = _pod_of(docs[0], restricted_ns, name)
        apply_defaults(pod["spec"], "spec")
        result = dry.apply([pod])[0]
        admitted = result.action == "created"
        seen[admitted] += 1
        if admitted != (label in ADMITTED_LABELS):
            wrong.append((name, label, result.action, result.error))
    assert wrong == []
    assert seen[True] >= 30 and seen[False] >= 12, seen
