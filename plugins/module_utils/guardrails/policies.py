# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render the Kyverno ClusterPolicies from the rule table in rules.py. Pure:
no I/O, no clock, deterministic order. Applying them is apply_policies.py's job."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.openova.platform.plugins.module_utils import facts
from ansible_collections.openova.platform.plugins.module_utils.guardrails.rules import (
    OBJECT_RULES, PDB_KINDS, PDB_RULE_ID, POD_RULES, Params, policy_name, rule_message,
)

KYVERNO_API = "kyverno.io/v1"
MUTATE_POLICY = "openova-pod-security-defaults"
PDB_ROLE = "openova-kyverno-generate-pdb"
AUTOGEN_CONTROLLERS = "DaemonSet,Deployment,Job,StatefulSet,ReplicaSet,ReplicationController,CronJob"
LABELS = facts.managed_labels(part_of=facts.PART_OF_GUARDRAILS)
ACTIONS = ("Enforce", "Audit")
PDB_MODES = ("generate", "validate")


def _meta(name, title, description, subject="Pod"):
    return {
        "name": name,
        "labels": dict(LABELS),
        "annotations": {
            "policies.kyverno.io/title": title,
            "policies.kyverno.io/category": "OpenOva tenant guard rails",
            "policies.kyverno.io/severity": "high",
            "policies.kyverno.io/subject": subject,
            "policies.kyverno.io/description": description,
            "pod-policies.kyverno.io/autogen-controllers": AUTOGEN_CONTROLLERS if subject == "Pod" else "none",
        },
    }


def _match(params, kinds):
    return {"any": [{"resources": {
        "kinds": list(kinds),
        "namespaceSelector": {"matchExpressions": [{"key": params.tenant_label, "operator": "Exists"}]},
    }}]}


def _exclude(params):
    if not params.platform_namespaces:
        return None
    return {"any": [{"resources": {"namespaces": sorted(params.platform_namespaces)}}]}


def _rule(params, name, kinds, body, context=None, preconditions=None):
    rule = {"name": name, "match": _match(params, kinds)}
    exclude = _exclude(params)
    if exclude:
        rule["exclude"] = exclude
    if context:
        rule["context"] = context
    if preconditions:
        rule["preconditions"] = preconditions
    rule.update(body)
    return rule


def _policy(meta, rules, background=True):
    return {"apiVersion": KYVERNO_API, "kind": "ClusterPolicy", "metadata": meta,
            "spec": {"background": background, "rules": rules}}


def render_pod_rule_policy(rule, params):
    """One ClusterPolicy with one rule named after the rule id; Kyverno autogen adds
    autogen-<id> (template controllers) and autogen-cronjob-<id>. Rules for long-running pods
    only carry a restartPolicy precondition, so run-to-completion pods skip them; rules for pod
    templates only a kind precondition, so Pods skip them."""
    message = rule_message(rule, params)
    validate = dict(rule.kyverno(params))
    validate = dict(failureAction=params.action, message=message, **validate)
    context = rule.context(params) if rule.context else None
    return _policy(_meta(policy_name(rule.id), rule.title, message),
                   [_rule(params, rule.id, ["Pod"], {"validate": validate}, context=context,
                          preconditions=rule.preconditions())])


def render_object_rule_policy(rule, params):
    """One ClusterPolicy with one rule for a non-pod kind (VirtualService, Service); no autogen."""
    message = rule_message(rule, params)
    validate = dict(failureAction=params.action, message=message, **rule.kyverno(params))
    context = rule.context(params) if rule.context else None
    return _policy(_meta(policy_name(rule.id), rule.title, message, subject=", ".join(rule.kinds)),
                   [_rule(params, rule.id, list(rule.kinds), {"validate": validate}, context=context)])


def render_mutate_policy(params):
    """Add what Pod Security Admission 'restricted' needs and the ADR's example lacks, only
    where absent: pod seccompProfile RuntimeDefault; per container capabilities.drop [ALL] and,
    unless the container is privileged, allowPrivilegeEscalation false. Mutating webhooks run before PSA and before Kyverno's
    validation, so the validate rules and PSA judge the defaulted pod."""
    def per_container(field, lst, security, preconditions=None):
        entry = {"list": lst, "patchStrategicMerge": {"spec": {field: [{
            "(name)": "{{ element.name }}", "securityContext": security}]}}}
        if preconditions:
            entry["preconditions"] = preconditions
        return entry

    # A privileged container keeps allowPrivilegeEscalation unset: the API server rejects
    # privileged with allowPrivilegeEscalation false as invalid, which would hide the
    # disallow-host-access denial behind a confusing error.
    not_privileged = {"all": [{"key": "{{ element.securityContext.privileged || `false` }}",
                               "operator": "Equals", "value": False}]}
    lists = (("containers", "request.object.spec.containers"),
             ("initContainers", "request.object.spec.initContainers || `[]`"))
    rules = [
        _rule(params, "default-seccomp-profile", ["Pod"], {"mutate": {"patchStrategicMerge": {
            "spec": {"securityContext": {"+(seccompProfile)": {"type": "RuntimeDefault"}}}}}}),
        _rule(params, "default-container-security", ["Pod"], {"mutate": {"foreach": [
            per_container(field, lst, {"capabilities": {"+(drop)": ["ALL"]}}) for field, lst in lists] + [
            per_container(field, lst, {"+(allowPrivilegeEscalation)": False}, not_privileged)
            for field, lst in lists]}}),
    ]
    return _policy(_meta(MUTATE_POLICY, "Pod security defaults",
                         "Adds seccompProfile RuntimeDefault, allowPrivilegeEscalation false and "
                         "capabilities.drop [ALL] where a tenant pod leaves them unset."), rules)


def _pdb_context():
    return [{"name": "pdb_count", "apiCall": {
        "urlPath": "/apis/policy/v1/namespaces/{{request.namespace}}/poddisruptionbudgets",
        "jmesPath": "items[?spec.selector.matchLabels && label_match(spec.selector.matchLabels, "
                    "`{{request.object.spec.template.metadata.labels}}`)] | length(@)",
    }}]


def _pdb_replicas_precondition():
    return {"key": "{{ request.object.spec.replicas || `1` }}", "operator": "GreaterThan", "value": 1}


def render_pdb_policy(params):
    """require-pdb for Deployments and StatefulSets with replicas > 1: generate a PDB
    (maxUnavailable 1) when none selects the pods, or, in validate mode, reject."""
    message = ("require-pdb: a {kind} with spec.replicas > 1 needs a PodDisruptionBudget in its namespace whose "
               "spec.selector.matchLabels select spec.template.metadata.labels; create the PDB first.")
    if params.pdb_mode == "validate":
        body = {"validate": {"failureAction": params.action, "message": message.format(kind="Deployment or StatefulSet"),
                             "deny": {"conditions": {"any": [
                                 {"key": "{{ pdb_count }}", "operator": "LessThan", "value": 1}]}}}}
        pre = {"all": [_pdb_replicas_precondition()]}
    else:
        body = {"generate": {
            "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "name": "{{ request.object.metadata.name }}", "namespace": "{{ request.object.metadata.namespace }}",
            "synchronize": True,
            # Kyverno sets app.kubernetes.io/managed-by: kyverno on what it generates.
            "data": {"metadata": {"labels": {facts.PART_OF_LABEL: facts.PART_OF_GUARDRAILS}},
                     "spec": {"maxUnavailable": 1,
                              "selector": {"matchLabels": "{{ request.object.spec.selector.matchLabels }}"}}},
        }}
        pre = {"all": [_pdb_replicas_precondition(),
                       {"key": "{{ pdb_count }}", "operator": "Equals", "value": 0}]}
    return _policy(_meta(policy_name(PDB_RULE_ID), "PodDisruptionBudgets", message.format(kind="workload"),
                         subject="Deployment, StatefulSet"),
                   [_rule(params, PDB_RULE_ID, list(PDB_KINDS), body, context=_pdb_context(), preconditions=pre)],
                   background=params.pdb_mode == "validate")


def render_pdb_role():
    """Generating PDBs needs Kyverno's admission and background controllers to manage them."""
    labels = dict(LABELS)
    labels.update({"rbac.kyverno.io/aggregate-to-background-controller": "true",
                   "rbac.kyverno.io/aggregate-to-admission-controller": "true"})
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": PDB_ROLE, "labels": labels},
            "rules": [{"apiGroups": ["policy"], "resources": ["poddisruptionbudgets"],
                       "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"]}]}


def validate_params(params):
    problems = []
    if params.action not in ACTIONS:
        problems.append(("action", "%r is not one of %s" % (params.action, ", ".join(ACTIONS))))
    if params.pdb_mode not in PDB_MODES:
        problems.append(("pdb_mode", "%r is not one of %s" % (params.pdb_mode, ", ".join(PDB_MODES))))
    if not params.registry or "/" in params.registry.strip("/"):
        problems.append(("registry", "%r must be a registry host such as %s" % (params.registry, facts.registry_host())))
    return problems


def render_policies(params=None):
    """Params -> [ClusterPolicy..., (ClusterRole)]: the mutate policy first (the Kyverno CLI
    applies policies in order, as the webhooks do: mutate before validate), then one policy per
    pod rule in table order, then require-pdb, then one policy per object rule, then (generate
    mode) the PDB ClusterRole."""
    params = params or Params()
    out = [render_mutate_policy(params)]
    out += [render_pod_rule_policy(rule, params) for rule in POD_RULES]
    out.append(render_pdb_policy(params))
    out += [render_object_rule_policy(rule, params) for rule in OBJECT_RULES]
    if params.pdb_mode == "generate":
        out.append(render_pdb_role())
    return out
