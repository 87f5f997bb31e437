"""The guard rails enforced by a running Kyverno (the admission profile's local admission and
background controllers), against the policies site.yml installs (guardrail_policies):

- three-way agreement: every fixture of the corpus (tests/kyverno) gets the same verdict, rule
  by rule, from live admission (a server-side dry-run create by a developer of the tenant in
  the tenant's namespace), the Kyverno CLI and workload_check; the matrix is printed;
- the ADR's example Deployment, applied without a PodDisruptionBudget, is admitted after the
  mutate policy and gets a PodDisruptionBudget from the background controller; each of the
  ADR's five rules broken one at a time is rejected with that rule's message.

Live admission answers per rule only "denied" (the rule is named in the denial) or "admitted";
the CLI and workload_check also tell pass from skip. They agree when CLI and workload_check give
the same result and the live request is denied exactly for the rules they fail."""

import copy
import functools
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ansible_collections.openova.platform.plugins.module_utils.errors import ApiError
from ansible_collections.openova.platform.plugins.module_utils.guardrails.check import (
    apply_defaults, check_objects, load,
)
from ansible_collections.openova.platform.plugins.module_utils.guardrails.rules import (
    ALL_RULE_IDS, OBJECT_RULES, POD_KINDS, POD_RULES, Params, rule_message,
)

import live

REPO = Path(__file__).resolve().parents[2]
SUITE = REPO / "tests" / "kyverno"
sys.path.insert(0, str(SUITE))
import corpus  # noqa: E402
import generate  # noqa: E402

FIXTURES = corpus.fixtures()
KYVERNO = os.environ.get("KYVERNO") or str(REPO / ".cache" / "bin" / "kyverno-v1.19.0" / "kyverno")
ROW = re.compile(r"^│\s*\d+\s*│\s*(\S+)\s*│\s*(\S+)\s*│\s*(\S+)\s*│\s*(\w+)\s*│\s*(.*?)\s*│$")
SHORT = {"require-requests-limits": "res", "require-probes": "probe", "require-pdb": "pdb",
         "require-topology-spread": "spread", "require-security-context": "secctx",
         "restrict-image-registries": "image", "disallow-host-access": "host",
         "require-sidecar-injection": "mesh", "pod-security-restricted": "psa",
         "restrict-priority-class": "prio", "restrict-virtual-service": "vs", "restrict-service": "svc"}
LETTER = {"pass": "P", "fail": "F", "skip": "S", None: "-", live.DENY: "D", live.ADMIT: "a", live.ERROR: "E"}


@functools.lru_cache(maxsize=None)
def cli_verdicts(mode):
    """(fixture name, rule id) -> pass/fail/skip from `kyverno test` on the mode's suite. The suite
    states the expected result of every row; a row that passes means the CLI gave exactly that."""
    if not os.access(KYVERNO, os.X_OK):
        pytest.fail("the Kyverno CLI is not built: python tools/toolchain.py kyverno", pytrace=False)
    proc = subprocess.run([KYVERNO, "test", str(SUITE / ("%s-pdb" % mode)), "--remove-color"],
                          capture_output=True, text=True, timeout=300, check=False)
    expected = {(e[4], e[1]): e[3] for e in generate.expected(FIXTURES, mode)}
    out = {}
    for policy, rule, resource, status, reason in (m.groups() for m in map(ROW.match, proc.stdout.splitlines())
                                                   if m):
        if policy == "openova-pod-security-defaults" or resource.startswith("policy/v1/PodDisruptionBudget/"):
            continue
        name = resource.rsplit("/", 1)[-1]
        want = expected[(name, rule)]
        got = want if status == "Pass" else (re.search(r"got (\w+)", reason) or [None, "?"])[1]
        rule_id = rule.replace("autogen-cronjob-", "").replace("autogen-", "")
        out[(name, rule_id)] = got
    assert out, "the Kyverno CLI reported nothing:\n" + proc.stdout[-3000:] + proc.stderr[-2000:]
    return out


@functools.lru_cache(maxsize=None)
def offline_verdicts(mode):
    objects, problems = load(str(SUITE / "fixtures"))
    assert problems == []
    findings = check_objects(objects, Params(tenant=corpus.TENANT, pdb_mode=mode,
                                             tenant_namespaces=corpus.TENANT_NAMESPACES))[0]
    return {(f["name"], f["rule"]): f["result"] for f in findings}


def rules_of(obj):
    if obj["kind"] not in POD_KINDS:
        return [r.id for r in OBJECT_RULES if obj["kind"] in r.kinds]
    return [r.id for r in POD_RULES] + (["require-pdb"] if obj["kind"] in ("Deployment", "StatefulSet") else [])


def agree(cli, offline, verdict):
    return verdict != live.ERROR and cli == offline and (cli == "fail") == (verdict == live.DENY)


def matrix(mode, developer):
    """[(fixture, kind, {rule: (cli, workload_check, live)}, message)] for every fixture."""
    rows = []
    for name in sorted(FIXTURES):
        docs = FIXTURES[name]
        obj = docs[0]
        if obj["metadata"]["annotations"][corpus.EXPECT] == "exempt":
            continue  # a platform namespace: no tenant may write there (checked separately)
        verdicts, message, _returned = live.live_verdicts(developer, docs, corpus.NAMESPACE)
        name_ = obj["metadata"]["name"]
        cells = {rule: (cli_verdicts(mode).get((name_, rule)), offline_verdicts(mode).get((name_, rule)),
                        verdicts[rule]) for rule in rules_of(obj)}
        rows.append((name, obj["kind"], cells, message))
    return rows


def render(mode, rows):
    rules = list(ALL_RULE_IDS)
    head = "%-36s %-12s " % ("fixture (%s-pdb)" % mode, "kind") + " ".join("%-7s" % SHORT[r] for r in rules)
    lines = ["cells: Kyverno CLI / workload_check / live admission (P pass, F fail, S skip, D denied, a admitted, "
             "E rejected for another reason); ! marks a disagreement",
             head, "-" * len(head)]
    for name, kind, cells, _message in rows:
        text = []
        for rule in rules:
            if rule not in cells:
                text.append("%-7s" % "")
                continue
            cli, offline, verdict = cells[rule]
            cell = "%s%s%s" % (LETTER[cli] if cli in LETTER else "?", LETTER[offline], LETTER[verdict])
            text.append("%-7s" % (cell if agree(cli, offline, verdict) else cell + "!"))
        lines.append("%-36s %-12s " % (name, kind) + " ".join(text))
    return "\n".join(lines)


@pytest.fixture(scope="module", params=["generate", "validate"])
def mode(request, client, tenant):
    """The guard rails as site.yml installs them, in each PDB mode."""
    live.install_guardrails(client, request.param)
    live.wait_policies_ready(client)
    yield request.param
    live.install_guardrails(client, "generate")  # the default, for the tests that follow


def wait_mode(developer, mode, timeout=90):
    """Until the admission webhook enforces ``mode``: deploy-no-pdb is denied by require-pdb
    in validate mode and admitted in generate mode."""
    want = live.DENY if mode == "validate" else live.ADMIT
    deadline = time.monotonic() + timeout
    while True:
        verdicts = live.live_verdicts(developer, FIXTURES["deploy-no-pdb"], corpus.NAMESPACE)[0]
        if verdicts["require-pdb"] == want or time.monotonic() > deadline:
            return verdicts["require-pdb"] == want
        time.sleep(1)


def test_three_way_agreement_on_every_fixture_and_rule(mode, developer, capsys):
    assert wait_mode(developer, mode), "Kyverno does not enforce pdb_mode=%s yet" % mode
    rows = matrix(mode, developer)
    with capsys.disabled():
        print("\n" + render(mode, rows))
    disagreements = ["%s %s: CLI %s, workload_check %s, live %s%s" % (
        name, rule, cli, offline, verdict, (" (%s)" % " ".join(message.split())[:300]) if message else "")
        for name, _kind, cells, message in rows for rule, (cli, offline, verdict) in sorted(cells.items())
        if not agree(cli, offline, verdict)]
    assert len(rows) == len(FIXTURES) - 1
    assert not disagreements, "\n".join(disagreements)


def test_the_live_mutation_is_the_one_workload_check_predicts(mode, developer):
    """For every admitted pod controller, the template the API server returns after Kyverno's
    mutate policy has exactly the security defaults workload_check applies offline."""
    if mode != "generate":
        pytest.skip("the mutate policy does not depend on pdb_mode; checked once")
    checked = 0
    for name, docs in sorted(FIXTURES.items()):
        obj = docs[0]
        if obj["kind"] not in POD_KINDS or obj["kind"] == "Pod" or \
                obj["metadata"]["annotations"][corpus.EXPECT] == "exempt":
            continue  # Pods also get the injected sidecar; compared in the service tests
        admitted, _message, returned = live.create(developer, obj, corpus.NAMESPACE, dry_run=True)
        if not admitted:
            continue
        spec_keys = POD_KINDS[obj["kind"]][0]
        want, got = copy.deepcopy(obj), returned
        for key in spec_keys:
            want, got = want[key], got[key]
        apply_defaults(want, ".".join(spec_keys))
        assert got["securityContext"] == want["securityContext"], name
        for field in ("containers", "initContainers"):
            assert [c.get("securityContext") for c in got.get(field) or []] == \
                [c.get("securityContext") for c in want.get(field) or []], (name, field)
        checked += 1
    assert checked >= 10


def test_tenants_cannot_write_in_a_platform_namespace(developer):
    obj = FIXTURES["platform-ns-exempt"][0]
    admitted, message = live.create(developer, obj, obj["metadata"]["namespace"], dry_run=True)[:2]
    assert not admitted and "forbidden" in message.lower()


# --------------------------------------------------------------------------- the ADR's example

ADR_RULES = ("require-requests-limits", "require-probes", "require-pdb", "require-topology-spread",
             "require-security-context")


def adr_deployment(name="my-service"):
    deployment = copy.deepcopy(corpus.adr_example()[0])
    deployment["metadata"]["name"] = name
    deployment["metadata"]["annotations"] = {}
    deployment["spec"]["selector"]["matchLabels"]["app"] = name
    deployment["spec"]["template"]["metadata"]["labels"]["app"] = name
    return deployment


def break_rule(deployment, rule):
    spec = deployment["spec"]["template"]["spec"]
    container = spec["containers"][0]
    if rule == "require-requests-limits":
        del container["resources"]["limits"]
    elif rule == "require-probes":
        del container["livenessProbe"]
    elif rule == "require-topology-spread":
        del spec["topologySpreadConstraints"]
    elif rule == "require-security-context":
        container["securityContext"]["readOnlyRootFilesystem"] = False
    # require-pdb: the Deployment as it is, without a PodDisruptionBudget, in pdb_mode=validate
    return deployment


def wait_for(what, check, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(1)
    raise AssertionError("timed out after %ds waiting for %s" % (timeout, what))


def test_adr_example_admitted_after_mutation_and_its_pdb_generated(client, developer, engine):
    live.install_guardrails(client, "generate")
    live.wait_policies_ready(client)
    assert wait_mode(developer, "generate")
    deployment = adr_deployment("adr-my-service")
    live.delete(developer, deployment, corpus.NAMESPACE)
    try:
        admitted, message, returned = live.create(developer, deployment, corpus.NAMESPACE, dry_run=False)
        assert admitted, message
        container = returned["spec"]["template"]["spec"]["containers"][0]
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
        assert returned["spec"]["template"]["spec"]["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        pdb = wait_for("the background controller to generate the PodDisruptionBudget", lambda: _get_pdb(
            client, corpus.NAMESPACE, "adr-my-service"))
        assert pdb["spec"]["maxUnavailable"] == 1
        assert pdb["spec"]["selector"]["matchLabels"] == {"app": "adr-my-service"}
        assert pdb["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "kyverno"
        assert pdb["metadata"]["labels"]["app.kubernetes.io/part-of"] == "openova-guardrails"
        # kwok (simulated nodes) reports the Deployment's pods Ready; the pods were admitted too.
        ready = wait_for("2 Ready replicas (kwok)", lambda: (engine.get(
            "apps/v1", "Deployment", "adr-my-service", corpus.NAMESPACE).get("status") or {}).get(
                "readyReplicas") == 2)
        assert ready
    finally:
        live.delete(developer, deployment, corpus.NAMESPACE)


def _get_pdb(client, namespace, name):
    try:
        return client.request("GET", "/apis/policy/v1/namespaces/%s/poddisruptionbudgets/%s" % (namespace, name))
    except ApiError:
        return None


@pytest.mark.parametrize("rule", ADR_RULES)
def test_each_adr_rule_broken_alone_is_rejected_with_its_message(rule, client, developer):
    mode = "validate" if rule == "require-pdb" else "generate"
    live.install_guardrails(client, mode)
    live.wait_policies_ready(client)
    assert wait_mode(developer, mode)
    deployment = break_rule(adr_deployment("adr-broken"), rule)
    admitted, message = live.create(developer, deployment, corpus.NAMESPACE, dry_run=True)[:2]
    assert not admitted, "the ADR example without %s was admitted" % rule
    assert live.denied_rules(message) == {rule}, message
    # Kyverno quotes each rule's message as YAML ('' for '): compare the messages it parses to.
    text = " ".join(" ".join(str(m) for rules in live.kyverno_failures(message).values()
                             for m in (rules or {}).values()).split())
    expected = rule_message([r for r in POD_RULES if r.id == rule][0], Params()) if rule != "require-pdb" else \
        "require-pdb: a Deployment or StatefulSet with spec.replicas > 1 needs a PodDisruptionBudget"
    assert " ".join(expected.split()) in text, text
    if mode != "generate":
        live.install_guardrails(client, "generate")
