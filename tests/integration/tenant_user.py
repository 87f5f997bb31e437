"""Acting as a tenant user on the local cluster, and asking the guard rails for a verdict.

``as_user`` gives a Client whose every request impersonates a user and one group
(``Impersonate-User``/``Impersonate-Group``), so RBAC, quota and admission judge the
tenant's own requests. ``dry_run`` sends a server-side dry run as that user.

``kyverno_verdict`` answers what Kyverno decides about an object: with live Kyverno
admission on the cluster (the ``admission`` cluster profile: Kyverno's webhooks
registered), the dry run itself is judged by Kyverno; without it, the Kyverno CLI
(built by tools/toolchain.py) applies the rendered ClusterPolicies to the object,
with its API calls (the namespace's tenant, the tenant's namespaces) answered by the
real local API server. Either way the policies are the ones guardrail_policies installs.
"""

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from ansible_collections.openova.platform.plugins.module_utils import facts
from ansible_collections.openova.platform.plugins.module_utils.apply import Engine
from ansible_collections.openova.platform.plugins.module_utils.client import Client
from ansible_collections.openova.platform.plugins.module_utils.guardrails.policies import render_policies
from ansible_collections.openova.platform.plugins.module_utils.guardrails.rules import POD_KINDS, Params, policy_name

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))
import toolchain  # noqa: E402

KYVERNO_WEBHOOK = "kyverno-resource-validating-webhook-cfg"


def as_user(kubeconfig, user, group):
    """A Client that acts as ``user`` in ``group`` (plus system:authenticated, which the API
    server adds to every impersonated user)."""
    client = Client({"kubeconfig": kubeconfig})
    client.api.set_default_header("Impersonate-User", user)
    client.api.set_default_header("Impersonate-Group", group)
    return client


def dry_run(client, obj):
    """Server-side apply with dryRun=All as the client's user: the ObjectResult (action
    'created'/'updated'/'unchanged', or 'failed' with the API server's reason)."""
    return Engine(client, check_mode=True, workers=1).apply([obj])[0]


def forbidden(result, *words):
    """True when the API server refused the request and its message holds ``words``."""
    return result.action == "failed" and all(w in (result.error or "") for w in words)


def live_kyverno(client):
    """True when Kyverno's admission webhooks are registered on this cluster."""
    return Engine(client).get("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration",
                              KYVERNO_WEBHOOK) is not None


def _rule_name(rule_id, kind):
    """The rule as Kyverno reports it: autogen rules for pod controllers."""
    if kind in ("Pod",) or kind not in POD_KINDS:
        return rule_id
    return ("autogen-cronjob-%s" if kind == "CronJob" else "autogen-%s") % rule_id


_ROW = re.compile(r"^│\s*\d+\s*│\s*(\S+)\s*│\s*(\S+)\s*│\s*(\S+)\s*│\s*(\w+)\s*│\s*(.*?)\s*│$")


def kyverno_cli(obj, kubeconfig, rule_id, params=None):
    """(verdict, output): 'fail' or 'pass' of the rendered policy ``openova-<rule_id>`` for ``obj``,
    by ``kyverno test`` on a suite written for it. The policy's API calls (the namespace and its
    tenant label, every namespace for the tenant's own) are answered with what this cluster's API
    server returns now: the CLI cannot reach a cluster for API calls while it reads the resource
    from a file, so the live answers are recorded and given to it."""
    binary = toolchain.build(toolchain.BINARIES["kyverno"])
    policy = [p for p in render_policies(params or Params()) if p["metadata"]["name"] == policy_name(rule_id)]
    assert len(policy) == 1, rule_id
    namespace = obj["metadata"]["namespace"]
    admin = Engine(Client({"kubeconfig": kubeconfig}))
    namespaces = admin.list("v1", "Namespace")
    ns = [n for n in namespaces if n["metadata"]["name"] == namespace][0]
    rule = _rule_name(rule_id, obj["kind"])
    suite = {
        "apiVersion": "cli.kyverno.io/v1alpha1", "kind": "Test", "metadata": {"name": "tenant-request"},
        "policies": ["policy.yaml"], "resources": ["resource.yaml"],
        "values": {"namespaceSelector": [{"name": namespace, "labels": ns["metadata"].get("labels") or {}}]},
        "apiCallResponses": [
            {"urlPath": "/api/v1/namespaces/%s" % namespace, "response": {"body": ns}},
            {"urlPath": "/api/v1/namespaces",
             "response": {"body": {"apiVersion": "v1", "kind": "NamespaceList", "items": namespaces}}},
        ],
        "results": [{"policy": policy_name(rule_id), "rule": rule, "kind": obj["kind"],
                     "resources": [obj["metadata"]["name"]], "result": "pass"}],
    }
    with tempfile.TemporaryDirectory(prefix="openova-kyverno-") as tmp:
        for name, doc in (("policy", policy[0]), ("resource", obj), ("kyverno-test", suite)):
            (Path(tmp) / ("%s.yaml" % name)).write_text(yaml.safe_dump(json.loads(json.dumps(doc)), sort_keys=False))
        proc = subprocess.run([str(binary), "test", tmp, "--remove-color", "--detailed-results"],
                              capture_output=True, text=True, timeout=300, check=False)
    out = proc.stdout + proc.stderr
    rows = [m.groups() for m in map(_ROW.match, out.splitlines()) if m]
    mine = [r for r in rows if r[0] == policy_name(rule_id) and r[1] == rule]
    assert len(mine) == 1, "kyverno test judged nothing for %s:\n%s" % (rule, out[-3000:])
    status, reason = mine[0][3], mine[0][4]
    if status == "Pass":
        return "pass", out
    assert "got fail" in reason, "kyverno test: %s %s\n%s" % (status, reason, out[-3000:])
    return "fail", out


def kyverno_verdict(admin_client, tenant_client, obj, kubeconfig, rule_id, params=None):
    """(verdict, detail) of rule ``rule_id`` for a tenant user's request to create ``obj``.

    The request is first sent as a dry run by the tenant user, so RBAC, quota and Pod
    Security judge it on the real API server; a refusal there is reported as
    ('refused', reason). Otherwise the guard rails decide: live Kyverno (the same dry
    run, judged by its webhook) where it runs, else the Kyverno CLI."""
    result = dry_run(tenant_client, obj)
    if live_kyverno(admin_client):
        if result.action == "failed":
            return ("fail" if policy_name(rule_id) in (result.error or "") else "refused"), result.error
        return "pass", "admitted by live Kyverno"
    if result.action == "failed":
        return "refused", result.error
    return kyverno_cli(obj, kubeconfig, rule_id, params)


def platform_priority_classes():
    """The platform's PriorityClasses as objects (what platform configuration creates)."""
    return [{"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
             "metadata": {"name": pc["name"], "labels": facts.managed_labels(part_of=facts.PART_OF_PLATFORM)},
             "value": pc["value"], "globalDefault": False, "description": pc["description"]}
            for pc in facts.PRIORITY_CLASSES]
