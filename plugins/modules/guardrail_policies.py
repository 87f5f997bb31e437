#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: guardrail_policies
short_description: Install or remove the tenant workload guard rails (Kyverno ClusterPolicies)
version_added: 0.1.0
description:
  - Renders the platform's Kyverno ClusterPolicies for tenant workloads and applies them with server-side apply
    (field manager O(field_manager)), or removes them.
  - "One ClusterPolicy per rule, named C(openova-<rule>): C(require-requests-limits), C(require-probes),
    C(require-topology-spread), C(require-security-context), C(restrict-image-registries), C(disallow-host-access),
    C(require-sidecar-injection), C(pod-security-restricted) (Pod Security Admission C(restricted) on the defaulted
    pod, for what the other rules do not cover), C(restrict-priority-class), C(require-pdb),
    C(restrict-virtual-service) (tenant VirtualServices bind only the platform ingress Gateway or the mesh, claim only
    hosts in C(<tenant>.<domain>) or C(*.<tenant>.<domain>) and route only to the tenant's services) and
    C(restrict-service) (no C(externalIPs), no C(ExternalName)); plus C(openova-pod-security-defaults), a mutate policy that adds
    pod C(seccompProfile) RuntimeDefault and, per container, C(allowPrivilegeEscalation=false) and
    C(capabilities.drop=[ALL]) where unset, so that pods also meet Pod Security Admission C(restricted)."
  - The pod rules match Pods in namespaces that carry O(tenant_label), except O(platform_namespaces); Kyverno's
    autogen extends them to Deployments, StatefulSets, DaemonSets, ReplicaSets, ReplicationControllers, Jobs and
    CronJobs.
  - C(require-probes) and C(require-topology-spread) apply to long-running pods only (a precondition on the pod's
    C(restartPolicy), V(Always) by default); Jobs, CronJobs and run-once Pods skip them and are still checked by
    every other rule. C(require-pdb) applies to Deployments and StatefulSets only.
  - With O(pdb_mode=generate) it also applies a ClusterRole, aggregated into Kyverno's admission and background
    controllers, that lets Kyverno manage the generated PodDisruptionBudgets.
  - Objects it applied earlier and no longer renders are deleted (they are found by their
    C(app.kubernetes.io/part-of=openova-guardrails) label).
  - Requires the Kyverno CRDs (the C(kyverno) chart). Call it after the chart is installed.
  - M(openova.platform.workload_check) gives the same verdicts offline; give both the same rule options.
author:
  - OpenOva platform team (@openova)
requirements:
  - kubernetes >= 30.1.0
extends_documentation_fragment:
  - openova.platform.connection
  - openova.platform.connection.apply
  - openova.platform.attributes
  - ansible.builtin.action_common_attributes
options:
  state:
    description:
      - V(present) applies the policies; V(absent) deletes every guard-rail object.
    type: str
    default: present
    choices: [present, absent]
  validation_failure_action:
    description:
      - V(Enforce) rejects workloads that break a rule; V(Audit) admits them and records policy reports.
    type: str
    default: Enforce
    choices: [Enforce, Audit]
  pdb_mode:
    description:
      - V(generate) makes Kyverno create a PodDisruptionBudget (C(maxUnavailable=1), same name as the workload) for a
        Deployment or StatefulSet with more than one replica when no PDB selects its pods.
      - V(validate) (strict) rejects such a workload instead; its PDB must then exist before it.
    type: str
    default: generate
    choices: [generate, validate]
  zone_spread:
    description:
      - Also require a C(topologySpreadConstraints) entry over C(topology.kubernetes.io/zone).
    type: bool
    default: false
  registry:
    description:
      - The Harbor host. Images must match C(<registry>/<tenant>/*), where the tenant is the value of the namespace's
        O(tenant_label) label.
    type: str
    default: harbor.openova.io
  tenant_label:
    description:
      - The namespace label that marks tenant namespaces and names the tenant.
    type: str
    default: openova.io/tenant
  platform_namespaces:
    description:
      - Namespaces exempt from every policy. Defaults to the platform's own namespaces (C(kube-system), C(kyverno),
        C(istio-system), C(cert-manager), ...).
    type: list
    elements: str
  probe_exempt_containers:
    description:
      - Container names exempt from the probe rule. Defaults to V(istio-proxy), the mesh sidecar injected at admission,
        which has a readiness probe but no liveness probe.
    type: list
    elements: str
  extra_images:
    description:
      - Image patterns (C(*) wildcard) allowed besides the tenant's project. Defaults to the upstream Istio proxy images
        (C(docker.io/istio/proxyv2:*), C(gcr.io/istio-release/proxyv2:*)); set it to the proxy image you mirror.
    type: list
    elements: str
  domain:
    description:
      - The platform domain. A tenant VirtualService may claim only hosts in C(<tenant>.<domain>) and
        C(*.<tenant>.<domain>).
    type: str
    default: openova.io
  priority_classes:
    description:
      - PriorityClasses tenant pods may name (besides none). Defaults to V(openova-tenant).
    type: list
    elements: str
  return_objects:
    description:
      - Also return the rendered objects in RV(objects).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Enforce the guard rails after the Kyverno chart is installed
  openova.platform.guardrail_policies:
    kubeconfig: "{{ openova_kubeconfig }}"
    validation_failure_action: Enforce
    zone_spread: true

- name: Audit only, and require tenants to ship their own PDBs
  openova.platform.guardrail_policies:
    validation_failure_action: Audit
    pdb_mode: validate

- name: Remove the guard rails
  openova.platform.guardrail_policies:
    state: absent
"""

RETURN = r"""
results:
  description: What happened to each object.
  returned: always
  type: list
  elements: dict
  sample:
    - {apiVersion: kyverno.io/v1, kind: ClusterPolicy, name: openova-require-probes, action: created}
summary:
  description: Counts per action.
  returned: always
  type: dict
  sample: {created: 9, updated: 0, unchanged: 1, deleted: 0, absent: 0, failed: 0}
policies:
  description: The names of the rendered ClusterPolicies.
  returned: always
  type: list
  elements: str
  sample: [openova-pod-security-defaults, openova-require-requests-limits]
objects:
  description: The rendered objects.
  returned: when O(return_objects=true) and O(state=present)
  type: list
  elements: dict
diff:
  description: Before and after of each changed object.
  returned: when diff mode is on
  type: list
  elements: dict
api_requests:
  description: How many API requests the module sent.
  returned: success
  type: int
api_retries:
  description:
    - How many times the module repeated a request after a passing failure (C(429), C(5xx), a refused or reset
      connection); see O(retry_deadline). V(0) on a healthy API server.
  returned: success
  type: int
  sample: 0
"""

from ansible_collections.openova.platform.plugins.module_utils.argspec import APPLY_ARGS, CONNECTION_ARGS, spec
from ansible_collections.openova.platform.plugins.module_utils.common import run_module
from ansible_collections.openova.platform.plugins.module_utils.guardrails.args import RULE_ARGS
from ansible_collections.openova.platform.plugins.module_utils.guardrails.run import run_guardrail_policies


ARGUMENT_SPEC = spec(CONNECTION_ARGS, APPLY_ARGS, RULE_ARGS,
                     state=dict(type="str", default="present", choices=["present", "absent"]),
                     validation_failure_action=dict(type="str", default="Enforce", choices=["Enforce", "Audit"]),
                     return_objects=dict(type="bool", default=False))


def main():
    run_module(ARGUMENT_SPEC, run_guardrail_policies)


if __name__ == "__main__":
    main()
