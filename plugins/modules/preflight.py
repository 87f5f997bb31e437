#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: preflight
short_description: Check that a Kubernetes cluster is ready for the OpenOva platform
version_added: 0.1.0
description:
  - Reads the cluster without writing anything and returns what it found as the fact C(openova_cluster).
  - Checks that the API server is reachable, that its version is at least O(min_version), the number of Ready
    nodes and of distinct zones, which CustomResourceDefinition groups are served, and whether a default
    StorageClass exists.
  - Fails, naming each unmet requirement, when a check does not pass. With O(fail_on_unmet=false) it only reports.
author:
  - OpenOva platform team (@openova)
requirements:
  - kubernetes >= 30.1.0
extends_documentation_fragment:
  - openova.platform.connection
  - openova.platform.attributes.read_only
  - ansible.builtin.action_common_attributes
options:
  min_version:
    description:
      - The lowest Kubernetes version (C(major.minor)) the platform supports.
    type: str
    default: "1.30"
  min_nodes:
    description:
      - The number of Ready nodes required.
    type: int
    default: 1
  min_zones:
    description:
      - The number of distinct C(topology.kubernetes.io/zone) values among Ready nodes required.
    type: int
    default: 1
  required_crd_groups:
    description:
      - API groups that must be served, for example V(networking.istio.io).
    type: list
    elements: str
    default: []
  require_default_storage_class:
    description:
      - Fail when no StorageClass is marked as the default.
    type: bool
    default: false
  fail_on_unmet:
    description:
      - Fail the task when a requirement is not met. V(false) only reports.
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Check the cluster before installing the platform
  openova.platform.preflight:
    kubeconfig: "{{ openova_kubeconfig }}"
    min_version: "1.30"
    min_nodes: 3
    min_zones: 3
    required_crd_groups:
      - networking.istio.io
      - kyverno.io

- name: Only report what the cluster offers
  openova.platform.preflight:
    fail_on_unmet: false
  register: cluster

- name: Show the cluster facts
  ansible.builtin.debug:
    var: cluster.ansible_facts.openova_cluster
"""

RETURN = r"""
ansible_facts:
  description: Facts about the cluster.
  returned: success
  type: dict
  contains:
    openova_cluster:
      description: What the cluster offers.
      type: dict
      contains:
        server:
          description: The API server URL.
          type: str
          sample: https://127.0.0.1:16443
        version:
          description: The server's C(major.minor) version.
          type: str
          sample: "1.36"
        git_version:
          description: The server's full version.
          type: str
          sample: v1.36.3
        nodes:
          description: The number of nodes.
          type: int
          sample: 3
        ready_nodes:
          description: The number of Ready nodes.
          type: int
          sample: 3
        zones:
          description: The distinct zones of Ready nodes, sorted.
          type: list
          elements: str
          sample: [zone-a, zone-b, zone-c]
        crd_groups:
          description: The API groups defined by CustomResourceDefinitions, sorted.
          type: list
          elements: str
          sample: [kyverno.io, networking.istio.io]
        default_storage_class:
          description: The name of the default StorageClass, or null.
          type: str
          sample: standard
checks:
  description: Every check with its outcome.
  returned: success
  type: list
  elements: dict
  sample:
    - {name: version, ok: true, detail: "1.36 >= 1.30"}
    - {name: zones, ok: false, detail: "1 zone(s), 3 required"}
unmet:
  description: The names of the checks that did not pass.
  returned: always
  type: list
  elements: str
  sample: [zones]
api_requests:
  description: How many API requests the module sent.
  returned: success
  type: int
  sample: 6
"""

from ansible_collections.openova.platform.plugins.module_utils.argspec import CONNECTION_ARGS, spec
from ansible_collections.openova.platform.plugins.module_utils.common import run_module
from ansible_collections.openova.platform.plugins.module_utils.preflight import run_preflight


ARGUMENT_SPEC = spec(CONNECTION_ARGS,
                     min_version=dict(type="str", default="1.30"),
                     min_nodes=dict(type="int", default=1),
                     min_zones=dict(type="int", default=1),
                     required_crd_groups=dict(type="list", elements="str", default=[]),
                     require_default_storage_class=dict(type="bool", default=False),
                     fail_on_unmet=dict(type="bool", default=True))


def main():
    run_module(ARGUMENT_SPEC, run_preflight)


if __name__ == "__main__":
    main()
