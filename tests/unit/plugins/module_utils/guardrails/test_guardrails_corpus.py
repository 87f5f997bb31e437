"""The fixture corpus (tests/kyverno/fixtures): workload_check and the Kyverno CLI must
both give, for every fixture and every rule, the verdict its label asks for, so they
agree with each other; each non-compliant fixture fails exactly its one target rule."""

import functools
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.openova.platform.plugins.module_utils.guardrails.check import check_objects, load
from ansible_collections.openova.platform.plugins.module_utils.guardrails.rules import ALL_RULE_IDS, RULE_IDS, Params

REPO = Path(__file__).resolve().parents[5]
SUITE = REPO / "tests" / "kyverno"
sys.path.insert(0, str(SUITE))
import corpus  # noqa: E402
import generate  # noqa: E402

FIXTURES = corpus.fixtures()
KYVERNO = os.environ.get("KYVERNO") or str(REPO / ".cache" / "bin" / "kyverno-v1.19.0" / "kyverno")


@functools.lru_cache(maxsize=None)
def offline_verdicts(pdb_mode):
    objects, problems = load(str(SUITE / "fixtures"))
    assert problems == []
    findings, skipped = check_objects(objects, Params(tenant=corpus.TENANT, pdb_mode=pdb_mode,
                                                      tenant_namespaces=corpus.TENANT_NAMESPACES))[:2]
    return findings, skipped


def expected_map(pdb_mode):
    return {(e[4], e[1]): e[3] for e in generate.expected(FIXTURES, pdb_mode)}


def offline_map(findings):
    out = {}
    for f in findings:
        rule = f["rule"] if f["rule"] == "require-pdb" else generate.rule_name(f["rule"], f["kind"])
        out[(f["name"], rule)] = f["result"]
    return out


def test_corpus_size_and_coverage():
    kinds = {docs[0]["kind"] for docs in FIXTURES.values()}
    labels = {docs[0]["metadata"]["annotations"][corpus.EXPECT] for docs in FIXTURES.values()}
    assert len(FIXTURES) >= 40
    assert kinds >= {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod", "VirtualService", "Service"}
    assert labels >= set(ALL_RULE_IDS) | {"compliant"}
    assert any(d[0].get("spec", {}).get("template", {}).get("spec", {}).get("initContainers") for d in FIXTURES.values())


@pytest.mark.parametrize("pdb_mode", ["validate", "generate"])
def test_workload_check_gives_every_labelled_verdict(pdb_mode):
    findings = offline_verdicts(pdb_mode)[0]
    assert offline_map(findings) == expected_map(pdb_mode)


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_each_fixture_fails_exactly_its_target_rule_offline(name):
    obj = FIXTURES[name][0]
    expect = obj["metadata"]["annotations"][corpus.EXPECT]
    findings, skipped = offline_verdicts("validate")
    mine = [f for f in findings if f["name"] == obj["metadata"]["name"]]
    if expect == "exempt":
        assert mine == [] and any(s.get("name") == obj["metadata"]["name"] for s in skipped)
        return
    failed = sorted(f["rule"] for f in mine if f["result"] == "fail")
    assert failed == ([] if expect == "compliant" else [expect])
    for f in mine:
        if f["result"] == "fail":
            assert f["path"] and f["message"].startswith(expect + ":")


def test_adr_example_with_pdb_passes():
    findings = offline_verdicts("validate")[0]
    mine = [f for f in findings if f["name"] == "my-service"]
    assert len(mine) == len(RULE_IDS) and {f["result"] for f in mine} == {"pass"}


ROW = re.compile(r"^│\s*\d+\s*│\s*(\S+)\s*│\s*(\S+)\s*│\s*(\S+)\s*│\s*(\w+)\s*│\s*(.*?)\s*│$")


@pytest.mark.skipif(not os.access(KYVERNO, os.X_OK),
                    reason="Kyverno CLI not built: run `python3 tools/toolchain.py kyverno` (or set KYVERNO)")
def test_kyverno_cli_agrees_with_workload_check_on_every_fixture_and_rule():
    proc = subprocess.run([KYVERNO, "test", str(SUITE), "--remove-color"], capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    rows = [m.groups() for m in map(ROW.match, proc.stdout.splitlines()) if m]
    # Each suite's table lists the rows it checked; a row "Pass" means Kyverno gave the
    # expected verdict. Every expected (fixture, rule) must appear: kyverno test silently
    # drops results whose resource it cannot find.
    seen, patched = {}, 0
    for policy, rule, resource, status, reason in rows:
        if resource.startswith("policy/v1/PodDisruptionBudget/"):
            continue
        assert status == "Pass", (policy, rule, resource, reason)
        if policy == "openova-pod-security-defaults":  # the mutated object equals workload_check's defaulting
            patched += 1
            continue
        seen[(resource.rsplit("/", 1)[-1], rule)] = seen.get((resource.rsplit("/", 1)[-1], rule), 0) + 1
    for mode in ("validate", "generate"):
        expected = expected_map(mode)
        offline = offline_map(offline_verdicts(mode)[0])
        for key in expected:
            assert key in seen, "Kyverno reported nothing for %s" % (key,)
            assert offline[key] == expected[key]
    assert sum(seen.values()) == sum(len(expected_map(m)) for m in ("validate", "generate"))
    assert patched == 2 * len(generate.PATCHED)
