"""render/admission.py: the API server's guard over what onboarding writes into tenant namespaces."""

from ansible_collections.openova.platform.plugins.module_utils.tenant.render import admission
from ansible_collections.openova.platform.plugins.module_utils.tenant.render import render_shared


def test_policy_binding_and_operator_role(platform):
    policy, binding, role = admission.render_admission_policies(platform)
    assert (policy["kind"], binding["kind"], role["kind"]) == (
        "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "ClusterRole")
    spec = policy["spec"]
    assert spec["failurePolicy"] == "Fail"
    assert spec["matchConstraints"]["namespaceSelector"] == {
        "matchExpressions": [{"key": "openova.io/tenant", "operator": "Exists"}]}
    assert spec["matchConstraints"]["resourceRules"][0]["operations"] == ["CREATE", "UPDATE", "DELETE"]
    written, controllers = spec["matchConditions"]
    assert "'app.kubernetes.io/part-of' in o.metadata.labels" in written["expression"]
    assert "o.metadata.labels['app.kubernetes.io/part-of'] == 'openova-tenant'" in written["expression"]
    assert "[object, oldObject]" in written["expression"]  # a label removed by an update still counts
    assert "system:serviceaccount:kube-system:" in controllers["expression"]
    assert "authorizer.group('openova.io').resource('tenants')" in spec["validations"][0]["expression"]
    assert binding["spec"] == {"policyName": admission.POLICY, "validationActions": ["Deny"]}
    assert role["rules"] == [{"apiGroups": ["openova.io"], "resources": ["tenants"],
                              "verbs": ["create", "update", "delete"]}]


def test_shared_objects_carry_no_tenant(platform):
    shared = render_shared(platform)
    assert [o["kind"] for o in shared] == ["ClusterRole"] * 3 + [
        "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "ClusterRole"]
    assert all("openova.io/tenant" not in o["metadata"]["labels"] for o in shared)
