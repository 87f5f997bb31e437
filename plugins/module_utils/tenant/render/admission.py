# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The API server's own guard for what onboarding writes into tenant namespaces:
a ValidatingAdmissionPolicy (CEL, evaluated in kube-apiserver, no webhook) that
lets only the platform create, change or delete objects labelled
``app.kubernetes.io/part-of: openova-tenant`` there, and the ClusterRole that
grants that right. RBAC alone cannot say "every Secret but these", and tenant
admins must write their own Secrets and ServiceAccounts. Shared by all tenants;
pure."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.openova.platform.plugins.module_utils import facts
from ansible_collections.openova.platform.plugins.module_utils.tenant.render import meta

API = "admissionregistration.k8s.io/v1"
POLICY = "openova-tenant-platform-objects"
# The right the policy checks, as an RBAC rule on a resource no API serves: cluster-admin holds it
# (``*``), and so do the namespace controller and the garbage collector for ``delete``; tenant roles never.
GUARD_GROUP = "openova.io"
GUARD_RESOURCE = "tenants"
OPERATOR_ROLE = "openova-tenant-operator"

_WRITTEN = ("[object, oldObject].exists(o, o != null && has(o.metadata.labels) && "
            "'{part_of}' in o.metadata.labels && o.metadata.labels['{part_of}'] == '{value}')").format(
    part_of=facts.PART_OF_LABEL, value=meta.PART_OF)
# Kubernetes' own controllers (the namespace controller empties a deleted namespace, the garbage
# collector removes dependents) act as kube-system service accounts, or as kube-controller-manager
# itself when it runs without --use-service-account-credentials; no tenant can act as either.
_CONTROLLERS = ("!(request.userInfo.username.startsWith('system:serviceaccount:kube-system:') || "
                "request.userInfo.username == 'system:kube-controller-manager')")
_VERB = "request.operation == 'DELETE' ? 'delete' : (request.operation == 'CREATE' ? 'create' : 'update')"


def render_admission_policies(platform=None):
    """ValidatingAdmissionPolicy and its binding, plus ClusterRole ``openova-tenant-operator``
    (what an onboarding identity that is not cluster-admin needs besides its other rights)."""
    policy = meta.obj(API, "ValidatingAdmissionPolicy", POLICY, spec={
        "failurePolicy": "Fail",
        "matchConstraints": {
            "namespaceSelector": {"matchExpressions": [{"key": facts.TENANT_LABEL, "operator": "Exists"}]},
            "resourceRules": [{"apiGroups": ["*"], "apiVersions": ["*"], "resources": ["*"],
                               "operations": ["CREATE", "UPDATE", "DELETE"]}],
        },
        "matchConditions": [{"name": "written-by-onboarding", "expression": _WRITTEN},
                            {"name": "not-a-kubernetes-controller", "expression": _CONTROLLERS}],
        "validations": [{
            "expression": "authorizer.group('%s').resource('%s').check(%s).allowed()" % (
                GUARD_GROUP, GUARD_RESOURCE, _VERB),
            "reason": "Forbidden",
            "messageExpression": ("request.resource.resource + '/' + request.name + ' is written by tenant onboarding "
                                  "(%s=%s); only the platform may create, change or delete it'"
                                  % (facts.PART_OF_LABEL, meta.PART_OF)),
        }],
    })
    binding = meta.obj(API, "ValidatingAdmissionPolicyBinding", POLICY, spec={
        "policyName": POLICY, "validationActions": ["Deny"]})
    role = meta.obj("rbac.authorization.k8s.io/v1", "ClusterRole", OPERATOR_ROLE, rules=[{
        "apiGroups": [GUARD_GROUP], "resources": [GUARD_RESOURCE], "verbs": ["create", "update", "delete"]}])
    return [policy, binding, role]
