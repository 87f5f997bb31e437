"""No partial writes from bad input, on the local cluster: a sample of the bad-input
corpus (tests/unit/.../test_tenant_bad_input.py) sends no request at all and leaves
nothing behind; a spec the module's own rules accept but the API server refuses
(here, a ValidatingAdmissionPolicy the platform team added) is caught by the
server-side dry run before the first write, so again nothing is left behind."""

import copy
import sys
import time
import uuid
from pathlib import Path

import pytest

from ansible_collections.openova.platform.plugins.module_utils.client import Client
from ansible_collections.openova.platform.plugins.module_utils.errors import SpecError
from ansible_collections.openova.platform.plugins.module_utils.tenant.run import OWNED_KINDS, run_tenant

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "plugins" / "module_utils" / "tenant"))
from bad_input_corpus import CORPUS  # noqa: E402  (the unit corpus is the one list of bad specs)

PLATFORM_NAMESPACES = ("openova-redpanda", "openova-data", "openova-observability", "istio-ingress")
SAMPLE = ("default_cpu above max_cpu", "topic with an empty part", "300 KiB display_name",
          "redpanda namespace kube-system", "pods 1e100 (converted by Ansible)", "cpu 99...9Ei", "10,000 namespaces",
          "egress to the metadata address", "egress to everything", "owners as a plain string",
          "name 123 with postgres on", "database postgres", "two tenants, one namespace")
VAP_API = "admissionregistration.k8s.io/v1"


def renamed(module_params, suffix):
    """The corpus case with tenant names (and their namespaces and topics) made unique."""
    out = copy.deepcopy(module_params)
    names = []
    for tenant in out.get("tenants") or []:
        if not isinstance(tenant, dict) or not isinstance(tenant.get("name"), str):
            continue
        old, new = tenant["name"], tenant["name"] + suffix
        names.append(new)
        tenant["name"] = new
        if isinstance(tenant.get("namespaces"), list):
            tenant["namespaces"] = [ns.replace(old, new, 1) if isinstance(ns, str) else ns
                                    for ns in tenant["namespaces"]]
        for topic in tenant.get("topics") or []:
            if isinstance(topic, dict) and isinstance(topic.get("name"), str):
                topic["name"] = topic["name"].replace(old, new, 1)
    return out, names


def leftovers(engine, names):
    selector = "openova.io/tenant in (%s)" % ",".join(names)
    found = engine.list("v1", "Namespace", label_selector=selector) + engine.list_owned(OWNED_KINDS, selector)
    return ["%s %s/%s" % (o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]) for o in found]


@pytest.fixture(scope="module")
def platform_namespaces(kubeconfig):
    from ansible_collections.openova.platform.plugins.module_utils.apply import Engine

    Engine(Client({"kubeconfig": kubeconfig})).apply(
        [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}} for n in PLATFORM_NAMESPACES])


@pytest.mark.parametrize("case", SAMPLE)
def test_bad_spec_sends_nothing_and_leaves_nothing(case, kubeconfig, engine, platform_namespaces):
    module_params, field = CORPUS[case]
    suffix = uuid.uuid4().hex[:4]
    module_params, names = renamed(module_params, suffix)
    client = Client({"kubeconfig": kubeconfig})
    with pytest.raises(SpecError) as err:
        run_tenant(module_params, client=client)
    assert client.requests == 0, "the input was sent to the API server before it was found bad"
    assert any(f.startswith(field.split(" (")[0]) for f, _m in err.value.problems), err.value.msg
    if names:
        assert leftovers(engine, names) == []


@pytest.fixture()
def folder_policy(engine):
    """A rule only the API server knows: Grafana folder titles may not say 'forbidden'."""
    name = "openova-it-no-forbidden-titles-" + uuid.uuid4().hex[:4]
    policy = {"apiVersion": VAP_API, "kind": "ValidatingAdmissionPolicy", "metadata": {"name": name}, "spec": {
        "failurePolicy": "Fail",
        "matchConstraints": {"resourceRules": [{"apiGroups": ["grafana.integreatly.org"], "apiVersions": ["*"],
                                                "operations": ["CREATE", "UPDATE"],
                                                "resources": ["grafanafolders"]}]},
        "validations": [{"expression": "!object.spec.title.contains('forbidden')",
                         "message": "folder titles may not say forbidden"}]}}
    binding = {"apiVersion": VAP_API, "kind": "ValidatingAdmissionPolicyBinding", "metadata": {"name": name},
               "spec": {"policyName": name, "validationActions": ["Deny"]}}
    results = engine.apply([policy, binding])
    assert [r.action for r in results] == ["created", "created"], [r.error for r in results]
    yield name
    engine.delete([(VAP_API, "ValidatingAdmissionPolicyBinding", "", name),
                   (VAP_API, "ValidatingAdmissionPolicy", "", name)])


def test_server_rejection_is_caught_by_the_dry_run_before_any_write(
        kubeconfig, engine, platform_namespaces, folder_policy):
    name = "dry" + uuid.uuid4().hex[:4]
    good = {"name": name, "owners": {"admin": [name + "-admins"]}, "namespaces": [name + "-dev", name + "-prod"],
            "topics": [{"name": name + ".orders"}], "postgres": {"enabled": True}}
    bad = dict(good, display_name="The forbidden tenant")
    try:
        # The policy takes a moment to reach the admission chain; the first rejection proves it is there.
        with pytest.raises(SpecError) as err:
            for _attempt in range(60):
                try:
                    run_tenant({"tenants": [bad]}, client=Client({"kubeconfig": kubeconfig}))
                except SpecError as exc:
                    if "still being deleted" not in exc.msg:
                        raise
                    time.sleep(2)  # the last attempt's namespaces are going away
                    continue
                run_tenant({"state": "absent", "tenants": [{"name": name}]}, client=Client({"kubeconfig": kubeconfig}))
        assert "server-side dry run" in err.value.msg and "GrafanaFolder" in err.value.msg
        assert "folder titles may not say forbidden" in err.value.msg
        assert leftovers(engine, [name]) == [], "a spec the server refuses left objects behind"
        # Without the dry run the same spec writes a partial tenant: the check is what prevents it.
        partial = run_tenant({"tenants": [bad], "server_dry_run": False}, client=Client({"kubeconfig": kubeconfig}))
        assert partial.get("failed") and leftovers(engine, [name]) != []
    finally:
        run_tenant({"state": "absent", "tenants": [{"name": name}], "confirm_delete_pvcs": True},
                   client=Client({"kubeconfig": kubeconfig}))
