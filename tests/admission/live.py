"""Helpers for the live admission tests: the tenant, the developer's client, the guard-rail
policies as site.yml installs them, and the verdict of a server-side dry-run create read rule
by rule from the API server's answer (Kyverno's denial lists every failed policy and rule; Pod
Security Admission names every check a Pod fails)."""

import copy
import re
import sys
import time
from pathlib import Path

import yaml

from ansible_collections.openova.platform.plugins.module_utils.client import Client
from ansible_collections.openova.platform.plugins.module_utils.errors import ApiError
from ansible_collections.openova.platform.plugins.module_utils.guardrails.run import run_guardrail_policies
from ansible_collections.openova.platform.plugins.module_utils import facts
from ansible_collections.openova.platform.plugins.module_utils.platform.render import render_priority_classes
from ansible_collections.openova.platform.plugins.module_utils.guardrails.rules import (
    OBJECT_RULES, POD_RULES, policy_name,
)
from ansible_collections.openova.platform.plugins.module_utils.tenant.run import run_tenant

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "kyverno"))
import corpus  # noqa: E402

TENANT = corpus.TENANT
NAMESPACE = corpus.NAMESPACE
PLATFORM_NAMESPACES = ("openova-redpanda", "openova-data", "openova-observability", "istio-ingress")
FIELD_MANAGER = "live-admission-test"
DENY, ADMIT, ERROR = "deny", "admit", "error"  # error: rejected for a reason that is no guard rail
RULE_OF_POLICY = {policy_name(r.id): r.id for r in POD_RULES + OBJECT_RULES}
RULE_OF_POLICY[policy_name("require-pdb")] = "require-pdb"
# Pod Security Admission checks (as PSA names them in its message) -> the guard rail that
# predicts them. hostPath is also a "restricted volume type"; the rule table gives it to
# disallow-host-access alone (see PSA_VOLUMES in rules.py).
PSA_CHECKS = {
    "host namespaces": "disallow-host-access",
    "hostPath volumes": "disallow-host-access",
    "privileged": "disallow-host-access",
    "allowPrivilegeEscalation != false": "require-security-context",
    "runAsNonRoot != true": "require-security-context",
    "unrestricted capabilities": "pod-security-restricted",
    "seccompProfile": "pod-security-restricted",
    "runAsUser=0": "pod-security-restricted",
    "hostPort": "pod-security-restricted",
    "procMount": "pod-security-restricted",
    "forbidden sysctls": "pod-security-restricted",
    "restricted volume types": "pod-security-restricted",
}
PLURALS = {"Pod": ("v1", "pods"), "Deployment": ("apps/v1", "deployments"),
           "StatefulSet": ("apps/v1", "statefulsets"), "DaemonSet": ("apps/v1", "daemonsets"),
           "ReplicaSet": ("apps/v1", "replicasets"), "Job": ("batch/v1", "jobs"),
           "CronJob": ("batch/v1", "cronjobs"), "PodDisruptionBudget": ("policy/v1", "poddisruptionbudgets"),
           "Service": ("v1", "services"), "VirtualService": ("networking.istio.io/v1", "virtualservices")}


# --------------------------------------------------------------------------- cluster set-up

def missing_webhooks(client):
    """Which of the live webhook servers have not registered their webhooks yet."""
    missing = []
    try:
        kyverno = client.request("GET", "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/"
                                        "kyverno-policy-validating-webhook-cfg")
        if not kyverno["webhooks"][0]["clientConfig"].get("caBundle"):
            missing.append("Kyverno")
    except ApiError:
        missing.append("Kyverno")
    try:
        injector = client.request("GET", "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/"
                                         "istio-sidecar-injector")
        if not all(w["clientConfig"].get("caBundle") for w in injector["webhooks"]):
            missing.append("istiod")
    except ApiError:
        missing.append("istiod")
    return missing


def onboard(client, tenant, namespaces):
    """Onboard ``tenant`` with the tenant module; returns who may act as its developer. The
    platform's PriorityClasses come first, as site.yml's platform_config prepare phase applies them."""
    from ansible_collections.openova.platform.plugins.module_utils.apply import Engine
    Engine(client).apply(render_priority_classes({"priority_classes": [dict(pc) for pc in facts.PRIORITY_CLASSES]})
                         + [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}}
                            for n in PLATFORM_NAMESPACES])
    spec = {"name": tenant, "namespaces": list(namespaces),
            "owners": {"admin": [tenant + "-admins"], "developer": [tenant + "-developers"],
                       "viewer": [tenant + "-viewers"]}}
    result = run_tenant({"tenants": [spec]}, client=client)
    assert not result.get("failed"), result.get("msg")
    return {"name": tenant, "namespaces": list(namespaces), "developer_user": "dev@%s.example" % tenant,
            "developer_group": tenant + "-developers"}


def impersonating(kubeconfig, user, group):
    """A client that acts as ``user`` in ``group`` (the admin kubeconfig may impersonate)."""
    other = Client({"kubeconfig": kubeconfig})
    other.api.set_default_header("Impersonate-User", user)
    other.api.set_default_header("Impersonate-Group", group)
    return other


def install_guardrails(client, pdb_mode):
    """The guard-rail policies exactly as site.yml's kyverno role installs them."""
    result = run_guardrail_policies({"state": "present", "pdb_mode": pdb_mode}, client=client)
    assert not result.get("failed"), result.get("msg")
    return result


def wait_policies_ready(client, timeout=120):
    """Until Kyverno reports every guard-rail ClusterPolicy Ready (loaded into its webhooks)."""
    deadline = time.monotonic() + timeout
    pending = None
    while time.monotonic() < deadline:
        items = client.request("GET", "/apis/kyverno.io/v1/clusterpolicies",
                               query={"labelSelector": "app.kubernetes.io/part-of=openova-guardrails"})["items"]
        pending = sorted(p["metadata"]["name"] for p in items
                         if not any(c.get("type") == "Ready" and c.get("status") == "True"
                                    for c in (p.get("status") or {}).get("conditions") or []))
        if items and not pending:
            return
        time.sleep(1)
    raise AssertionError("Kyverno did not report these policies Ready within %ds: %s" % (timeout, pending))


# --------------------------------------------------------------------------- verdicts

def _path(obj, namespace):
    api_version, plural = PLURALS[obj["kind"]]
    base = "/api/v1" if api_version == "v1" else "/apis/" + api_version
    return "%s/namespaces/%s/%s" % (base, namespace, plural)


def create(client, obj, namespace, dry_run):
    """POST ``obj``; (admitted, message, object the server returned)."""
    body = copy.deepcopy(obj)
    body["metadata"]["namespace"] = namespace
    query = {"fieldManager": FIELD_MANAGER}
    if dry_run:
        query["dryRun"] = "All"
    try:
        return True, "", client.request("POST", _path(body, namespace), body=body, query=query)
    except ApiError as exc:
        return False, str(exc), None


def delete(client, obj, namespace):
    try:
        client.request("DELETE", "%s/%s" % (_path(obj, namespace), obj["metadata"]["name"]))
    except ApiError:
        pass


def kyverno_failures(message):
    """{policy: {rule: reason}} from Kyverno's denial ('... blocked due to the following policies')."""
    marker = "blocked due to the following policies"
    if marker not in message:
        return {}
    text = message.split(marker, 1)[1].strip()
    data = yaml.safe_load(text)
    return data if isinstance(data, dict) else {}


def _psa_items(text):
    """'a (x, y), b (z)' -> [('a', 'x, y'), ('b', 'z')], parentheses aware."""
    items, depth, name, detail = [], 0, "", ""
    for ch in text:
        if ch == "(":
            depth += 1
            if depth == 1:
                continue
        elif ch == ")":
            depth -= 1
            if depth == 0:
                items.append((name.strip().lstrip(",").strip(), detail))
                name, detail = "", ""
                continue
        if depth:
            detail += ch
        else:
            name += ch
    return items


def psa_failures(message):
    """{check: detail} from Pod Security Admission's denial, or {} when PSA did not deny."""
    found = re.search(r'violates PodSecurity "[^"]+": (.*)$', message, re.S)
    if not found:
        return {}
    return dict(_psa_items(found.group(1).strip()))


def denied_rules(message):
    """The guard rails a denial names: Kyverno's failed policies, or the rules that predict
    the Pod Security checks that failed; empty for a rejection that is neither (an invalid
    object, a quota), which the caller reports as an error."""
    rules = {RULE_OF_POLICY.get(p, "unknown policy " + p) for p in kyverno_failures(message)}
    for check, detail in psa_failures(message).items():
        if check == "restricted volume types" and set(re.findall(r'restricted volume type "([^"]+)"', detail)) \
                <= {"hostPath"}:
            rules.add("disallow-host-access")  # the rule table gives hostPath volumes to disallow-host-access
            continue
        rules.add(PSA_CHECKS.get(check, "unknown Pod Security check " + check))
    return rules


def live_verdicts(developer, docs, namespace):
    """Rule -> deny/admit for the first document, after creating its companions (the
    fixture's PodDisruptionBudget) for real; returns (verdicts, message, returned object)."""
    for extra in docs[1:]:
        ok, message = create(developer, extra, namespace, dry_run=False)[:2]
        assert ok or "already exists" in message, message
    try:
        admitted, message, returned = create(developer, docs[0], namespace, dry_run=True)
    finally:
        for extra in docs[1:]:
            delete(developer, extra, namespace)
    denied = set() if admitted else denied_rules(message)
    if not admitted and not denied:
        return {rule: ERROR for rule in RULE_OF_POLICY.values()}, message, returned
    verdicts = {rule: (DENY if rule in denied else ADMIT) for rule in RULE_OF_POLICY.values()}
    unknown = sorted(r for r in denied if r not in verdicts)
    verdicts.update((r, DENY) for r in unknown)
    return verdicts, message, returned
