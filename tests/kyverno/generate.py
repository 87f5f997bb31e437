"""Write the guard-rail fixture corpus and the Kyverno CLI suites.

    python3 tests/kyverno/generate.py          # (re)write fixtures/ and the suites
    python3 tests/kyverno/generate.py --check  # exit 1 when a committed file drifted

The policies come from the collection's renderer; the expected results come only from
each fixture's label (annotation guardrails.openova.io/expect), never from workload_check.
The suites are self-contained, so `kyverno test tests/kyverno` needs no set-up step."""

import copy
import os
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "tests"))

import collection  # noqa: E402

collection.install()

import corpus  # noqa: E402
from ansible_collections.openova.platform.plugins.module_utils.guardrails.check import apply_defaults  # noqa: E402
from ansible_collections.openova.platform.plugins.module_utils.guardrails.policies import (  # noqa: E402
    LABELS, MUTATE_POLICY, render_policies,
)
from ansible_collections.openova.platform.plugins.module_utils.guardrails.rules import (  # noqa: E402
    OBJECT_KINDS, OBJECT_RULES, PDB_RULE_ID, POD_KINDS, POD_RULES, Params, needs_pdb, policy_name,
)

SUITES = {"validate-pdb": "validate", "generate-pdb": "generate"}
# Fixtures whose mutated form Kyverno must produce exactly as workload_check's defaulting does.
PATCHED = ("adr-example", "pod-compliant", "cronjob-drop-net-raw-only", "deploy-cap-sys-admin", "pod-level-nonroot",
           "sts-privilege-escalation")


def patched(docs):
    """The first document after workload_check's mirror of the mutate policy."""
    obj = copy.deepcopy(docs[0])
    spec_keys = POD_KINDS[obj["kind"]][0]
    spec = obj
    for key in spec_keys:
        spec = spec[key]
    apply_defaults(spec, ".".join(spec_keys))
    return obj


def dump(docs):
    return yaml.safe_dump_all(docs, sort_keys=False, width=120, default_flow_style=False)


def rule_name(rule_id, kind):
    if kind == "Pod" or kind in OBJECT_KINDS:  # object rules have no autogen
        return rule_id
    return ("autogen-cronjob-%s" if kind == "CronJob" else "autogen-%s") % rule_id


def expected(fixtures, pdb_mode):
    """[(policy, rule, kind, result, resource name)] from the fixture labels. Resource names
    must be unique: `kyverno test` silently ignores a result whose resource it cannot find,
    which is why the unit test also compares the number of results it reports."""
    out = []
    for docs in fixtures.values():
        obj = docs[0]
        name = obj["metadata"]["name"]
        expect = obj["metadata"]["annotations"][corpus.EXPECT]
        if expect == "exempt":
            continue  # not matched at all: Kyverno reports nothing for it
        kind = obj["kind"]
        if kind in OBJECT_KINDS:
            for rule in OBJECT_RULES:
                if kind in rule.kinds:
                    out.append((policy_name(rule.id), rule.id, kind, "fail" if expect == rule.id else "pass", name))
            continue
        spec = obj
        for key in POD_KINDS[kind][0]:
            spec = spec[key]
        for rule in POD_RULES:
            if not rule.applies_to(kind, spec):
                result = "skip"  # a long-running rule on a run-to-completion pod, a template rule on a Pod
            else:
                result = "fail" if expect == rule.id else "pass"
            out.append((policy_name(rule.id), rule_name(rule.id, kind), kind, result, name))
        if kind in ("Deployment", "StatefulSet"):
            if not needs_pdb(obj):
                result = "skip"
            elif pdb_mode == "validate":
                result = "fail" if expect == PDB_RULE_ID else "pass"
            else:
                result = "pass" if expect == PDB_RULE_ID else "skip"
            out.append((policy_name(PDB_RULE_ID), PDB_RULE_ID, kind, result, name))
    return out


def generated_pdb(obj):
    """The PodDisruptionBudget Kyverno must generate for a workload no PDB selects."""
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": obj["metadata"]["name"], "namespace": obj["metadata"]["namespace"],
                         "labels": dict(LABELS, **{"app.kubernetes.io/managed-by": "kyverno"})},
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": obj["spec"]["selector"]["matchLabels"]}}}


def test_doc(fixtures, pdb_mode, policy_files):
    groups, generated = {}, []
    for policy, rule, kind, result, name in expected(fixtures, pdb_mode):
        if pdb_mode == "generate" and rule == PDB_RULE_ID and result == "pass":
            generated.append((policy, rule, kind, name))
            continue
        groups.setdefault((policy, rule, kind, result), []).append(name)
    results = [{"policy": p, "rule": r, "kind": k, "result": res, "resources": sorted(names)}
               for (p, r, k, res), names in sorted(groups.items())]
    for policy, rule, kind, name in sorted(generated):
        results.append({"policy": policy, "rule": rule, "kind": kind, "result": "pass", "resources": [name],
                        "generatedResource": "../generated/%s.yaml" % name})
    for name in PATCHED:
        obj = fixtures[name][0]
        results.append({"policy": MUTATE_POLICY, "rule": rule_name("default-container-security", obj["kind"]),
                        "kind": obj["kind"], "result": "pass", "resources": [obj["metadata"]["name"]],
                        "patchedResources": "../patched/%s.yaml" % name})
    pdbs = [d for docs in fixtures.values() for d in docs[1:] if d["kind"] == "PodDisruptionBudget"]
    namespaces = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}
                  for name, labels in sorted(corpus.CLUSTER_NAMESPACES.items())]
    namespace = next(n for n in namespaces if n["metadata"]["name"] == corpus.NAMESPACE)
    return {
        "apiVersion": "cli.kyverno.io/v1alpha1",
        "kind": "Test",
        "metadata": {"name": "openova-guardrails-%s-pdb" % pdb_mode},
        "policies": policy_files,  # in render order: the mutate policy first, as the webhooks run
        "resources": ["../fixtures/%s.yaml" % n for n in sorted(fixtures)]
        + ["../fixtures/%s.pdb.yaml" % n for n in sorted(fixtures) if fixtures[n][1:]],
        "values": {"namespaceSelector": [{"name": corpus.NAMESPACE, "labels": {"openova.io/tenant": corpus.TENANT}}]},
        "apiCallResponses": [
            {"urlPath": "/api/v1/namespaces/%s" % corpus.NAMESPACE, "response": {"body": namespace}},
            {"urlPath": "/api/v1/namespaces",
             "response": {"body": {"apiVersion": "v1", "kind": "NamespaceList", "items": namespaces}}},
            {"urlPath": "/apis/policy/v1/namespaces/%s/poddisruptionbudgets" % corpus.NAMESPACE,
             "response": {"body": {"apiVersion": "policy/v1", "kind": "PodDisruptionBudgetList", "items": pdbs}}},
        ],
        "results": results,
    }


def outputs():
    """relative path -> file text, for everything this script owns."""
    fixtures = corpus.fixtures()
    # One document per file (ansible-test's yamllint); the Kyverno CLI reads no List kind.
    files = {"fixtures/%s.yaml" % name: dump(docs[:1]) for name, docs in fixtures.items()}
    files.update({"fixtures/%s.pdb.yaml" % name: dump(docs[1:2]) for name, docs in fixtures.items() if docs[1:]})
    assert all(len(docs) <= 2 for docs in fixtures.values())
    files.update({"patched/%s.yaml" % name: dump([patched(fixtures[name])]) for name in PATCHED})
    for docs in fixtures.values():
        obj = docs[0]
        if obj["metadata"]["annotations"][corpus.EXPECT] == PDB_RULE_ID:
            files["generated/%s.yaml" % obj["metadata"]["name"]] = dump([generated_pdb(obj)])
    for suite, mode in SUITES.items():
        policies = [p for p in render_policies(Params(pdb_mode=mode)) if p["kind"] == "ClusterPolicy"]
        names = ["policies/%02d-%s.yaml" % (i, p["metadata"]["name"]) for i, p in enumerate(policies)]
        files.update({"%s/%s" % (suite, n): dump([p]) for n, p in zip(names, policies)})
        files["%s/kyverno-test.yaml" % suite] = dump([test_doc(fixtures, mode, names)])
    return files


def main(argv):
    check = "--check" in argv
    drift = []
    wanted = outputs()
    for rel, text in sorted(wanted.items()):
        path = HERE / rel
        current = path.read_text() if path.exists() else None
        if current != text:
            drift.append(rel)
            if not check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
    owned = [p for d in ("fixtures", "patched", "generated") + tuple(SUITES) for p in (HERE / d).rglob("*.yaml")]
    stale = sorted(str(p.relative_to(HERE)) for p in owned if str(p.relative_to(HERE)) not in wanted)
    for rel in stale:
        drift.append(rel + " (stale)")
        if not check:
            os.remove(str(HERE / rel))
    if drift:
        print(("drifted: " if check else "wrote: ") + ", ".join(drift))
    return 1 if check and drift else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
