#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: workload_check
short_description: Check tenant workload manifests offline against the platform's guard rails
version_added: 0.1.0
description:
  - Reads Kubernetes manifests (YAML files, a directory of them, rendered Helm output, or inline objects) and
    judges every pod object (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job,
    CronJob) against the tenant workload rules that the platform's Kyverno ClusterPolicies enforce
    (M(openova.platform.guardrail_policies)). Both come from one rule table, so the verdicts are the same.
  - "The rules: C(require-requests-limits), C(require-probes), C(require-pdb), C(require-topology-spread),
    C(require-security-context), C(restrict-image-registries), C(disallow-host-access),
    C(require-sidecar-injection), and C(pod-security-restricted), which predicts Pod Security Admission
    C(restricted) on the defaulted pod (seccomp profile, capabilities, C(runAsUser=0), host ports, volume types,
    C(procMount), sysctls), and C(restrict-priority-class) (only the tenant PriorityClass)."
  - "It also judges the tenant's VirtualServices (C(restrict-virtual-service): only the platform ingress Gateway or
    the mesh, hosts in the tenant's host space C(<tenant>.<domain>) and C(*.<tenant>.<domain>) or services of its
    namespaces, destinations only services of its namespaces) and Services (C(restrict-service): no
    C(spec.externalIPs), no C(ExternalName))."
  - Other kinds with a pod template (C(spec.template.spec.containers), for example an Argo Rollout) are judged like
    the Pods they create, without C(require-pdb); the cluster checks those Pods at admission.
  - C(require-probes) and C(require-topology-spread) judge long-running pods only. Run-to-completion pods (Jobs,
    CronJobs, bare Pods whose C(restartPolicy) is V(Never) or V(OnFailure)) get C(skip) for them; they still need
    requests and limits, the security context, images from the tenant's registry and the other rules.
    C(require-pdb) judges Deployments and StatefulSets only.
  - Before judging, it applies the defaults the platform's mutate policy adds at admission (pod
    C(seccompProfile) RuntimeDefault; per container C(allowPrivilegeEscalation=false) and C(capabilities.drop=[ALL])
    where unset) and reports them in RV(defaults_applied).
  - Returns one finding per object and rule, with the offending field's path. Fails the task when any rule
    fails, unless O(report_only=true).
  - Never talks to the API server and never writes.
  - Fails closed. A manifest that cannot be checked fails the task (unless O(report_only=true)) and is listed in
    RV(errors) with its source, line and reason. Such are a missing or unreadable file, a file over O(max_bytes),
    text that is not UTF-8, malformed YAML, a document nested deeper than O(max_depth), more than O(max_nodes) nodes once
    aliases are expanded, excessive aliasing (a few hundred bytes of nested aliases fail in milliseconds), a
    self-referencing anchor, keys that collide once made strings, and values JSON cannot hold (C(.inf), C(.nan)).
  - YAML is read the way C(kubectl) reads it (sigs.k8s.io/yaml over go-yaml v2), so the verdict is on the object
    the cluster will get. Local and unknown tags such as C(!vendor-note) are ignored, anchors, aliases and
    multi-document files are understood, merge keys C(<<) apply in document order (a later merge overrides an
    earlier key, as in kubectl), and plain scalars resolve as go-yaml resolves them (for example C(y) and C(on)
    are booleans, C(0o17) and C(1e3) are numbers).
  - Objects that cannot run pods (no kind, a kind without a pod template, a document that is not a mapping) are
    listed in RV(skipped) with a reason; the API server would not run them either.
author:
  - OpenOva platform team (@openova)
extends_documentation_fragment:
  - openova.platform.attributes.read_only
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    details: The module only reads files, so check mode gives the same result.
options:
  src:
    description:
      - Files or directories of manifests. Directories are read recursively (C(*.yaml), C(*.yml), C(*.json)).
      - Multi-document YAML, C(List) kinds and rendered Helm output (C(helm template)) are understood.
      - At least one of O(src) and O(definitions) is required.
    type: list
    elements: path
  definitions:
    description:
      - Inline objects, each a dict or a YAML string (which may hold several documents).
    type: list
    elements: raw
  tenant:
    description:
      - The tenant that will run the workloads. Images must come from O(registry)/O(tenant)/.
    type: str
    required: true
  registry:
    description:
      - The Harbor host. Images must match C(<registry>/<tenant>/*).
    type: str
    default: harbor.openova.io
  tenant_label:
    description:
      - The namespace label that marks tenant namespaces. Only used to match the installed policies; offline, every
        object outside O(platform_namespaces) is treated as the tenant's.
    type: str
    default: openova.io/tenant
  platform_namespaces:
    description:
      - Namespaces exempt from the rules. Objects in them are skipped.
      - Defaults to the platform's own namespaces (C(kube-system), C(kyverno), C(istio-system), ...).
    type: list
    elements: str
  zone_spread:
    description:
      - Also require a C(topologySpreadConstraints) entry over C(topology.kubernetes.io/zone).
    type: bool
    default: false
  pdb_mode:
    description:
      - V(generate) (the default) mirrors the cluster generating a PodDisruptionBudget when none selects a
        Deployment's or StatefulSet's pods; the rule then passes.
      - V(validate) (strict) requires such a PDB among the checked manifests (same namespace, its
        C(spec.selector.matchLabels) a subset of the pod template's labels).
    type: str
    default: generate
    choices: [generate, validate]
  probe_exempt_containers:
    description:
      - Container names exempt from the probe rule. Defaults to V(istio-proxy), the mesh sidecar injected at admission.
    type: list
    elements: str
  extra_images:
    description:
      - Image patterns (C(*) wildcard) allowed besides the tenant's project. Defaults to the Istio proxy images that the
        mesh injects.
    type: list
    elements: str
  domain:
    description:
      - The platform domain; the tenant's ingress host space is C(<tenant>.<domain>) and C(*.<tenant>.<domain>).
    type: str
    default: openova.io
  priority_classes:
    description:
      - PriorityClasses tenant pods may name. Defaults to V(openova-tenant).
    type: list
    elements: str
  tenant_namespaces:
    description:
      - The tenant's namespaces, where its VirtualServices may route. Defaults to the tenant name and every
        namespace of the checked objects outside O(platform_namespaces).
    type: list
    elements: str
  report_only:
    description:
      - Report failing rules and manifests that cannot be checked (RV(errors)) without failing the task.
    type: bool
    default: false
  max_bytes:
    description:
      - Files (and inline YAML strings) larger than this many bytes are not read; each is an error in RV(errors).
    type: int
    default: 16777216
  max_depth:
    description:
      - The deepest nesting of mappings and sequences a document may have. Deeper documents are errors.
    type: int
    default: 100
  max_nodes:
    description:
      - The most nodes a document may have once its aliases are expanded. Larger documents are errors.
    type: int
    default: 1000000
notes:
  - Use the same O(registry), O(pdb_mode), O(zone_spread) and O(platform_namespaces) as the installed policies.
"""

EXAMPLES = r"""
- name: Check a service's rendered chart before deploying it
  openova.platform.workload_check:
    src: "{{ playbook_dir }}/rendered/my-service"
    tenant: acme
  register: check

- name: Check inline objects and only report
  openova.platform.workload_check:
    definitions:
      - "{{ lookup('ansible.builtin.file', 'deployment.yaml') | from_yaml }}"
    tenant: acme
    pdb_mode: validate
    report_only: true
  register: check

- name: Show what to fix
  ansible.builtin.debug:
    msg: "{{ check.findings | selectattr('result', 'equalto', 'fail') | map(attribute='message') | list }}"
"""

RETURN = r"""
findings:
  description: One finding per checked object and rule.
  returned: always
  type: list
  elements: dict
  contains:
    source:
      description: The file, or C(definitions[i]), that the object came from.
      type: str
    document:
      description: The document's index in that file.
      type: int
    kind:
      description: The object's kind.
      type: str
    name:
      description: The object's name.
      type: str
    namespace:
      description: The object's namespace, if set.
      type: str
    rule:
      description: The rule id.
      type: str
      sample: require-probes
    result:
      description: V(pass), V(fail) or V(skip) (the rule does not apply).
      type: str
    message:
      description: What the rule requires and what to fix.
      type: str
    path:
      description: The first offending field, or null.
      type: str
      sample: spec.template.spec.containers[1].readinessProbe
    violations:
      description: Every offending field, with its message.
      type: list
      elements: dict
  sample:
    - kind: Deployment
      name: web
      namespace: acme-dev
      rule: require-probes
      result: fail
      path: spec.template.spec.containers[1].readinessProbe
      message: "require-probes: set livenessProbe and readinessProbe on every container ..."
skipped:
  description: Files and objects that were not checked, with the reason.
  returned: always
  type: list
  elements: dict
  sample:
    - source: out.yaml
      document: 0
      kind: ConfigMap
      name: cfg
      reason: "ConfigMap does not run pods; not checked"
errors:
  description:
    - Manifests that could not be checked, each with its source (file or C(definitions[i])), the reason, and the
      line and document index when known. Any entry fails the task unless O(report_only=true).
  returned: always
  type: list
  elements: dict
  sample:
    - source: rendered/bomb.yaml
      document: 0
      line: 7
      reason: document contains excessive aliasing (6040 of 6101 nodes come from aliases)
defaults_applied:
  description: Per object, the fields the platform's mutate policy will set at admission.
  returned: always
  type: list
  elements: dict
summary:
  description: Counts.
  returned: always
  type: dict
  sample:
    objects: 3
    passed: 2
    failed: 1
    skipped: 1
    findings_failed: 1
    errors: 0
    by_rule: {require-probes: {pass: 2, fail: 1, skip: 0}}
msg:
  description: One line summing up the check, naming the first failures.
  returned: always
  type: str
"""

from ansible_collections.openova.platform.plugins.module_utils.argspec import spec
from ansible_collections.openova.platform.plugins.module_utils.common import run_module
from ansible_collections.openova.platform.plugins.module_utils.guardrails.args import RULE_ARGS
from ansible_collections.openova.platform.plugins.module_utils.guardrails.run import run_workload_check


ARGUMENT_SPEC = spec(RULE_ARGS,
                     src=dict(type="list", elements="path"),
                     definitions=dict(type="list", elements="raw"),
                     tenant=dict(type="str", required=True),
                     tenant_namespaces=dict(type="list", elements="str"),
                     report_only=dict(type="bool", default=False),
                     max_bytes=dict(type="int", default=16777216),
                     max_depth=dict(type="int", default=100),
                     max_nodes=dict(type="int", default=1000000))


def main():
    run_module(ARGUMENT_SPEC, run_workload_check,
               needs_client=False,
               required_one_of=[("src", "definitions")])


if __name__ == "__main__":
    main()
