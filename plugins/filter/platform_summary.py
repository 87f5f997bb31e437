# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The table site.yml ends with, built from objects the playbook has read."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: platform_summary
short_description: Summarise the installed platform components in one table
version_added: 0.1.0
description:
  - One row per Helm release (component, chart, version, release status, workloads ready/desired) and per
    custom resource a component applied (its readiness condition), with what of that readiness was simulated
    on a local test cluster - pods on kwok nodes (no container runs) and operator statuses set by kwok Stages
    (condition reason C(SimulatedByKwok)).
  - Workloads belong to a release by the C(meta.helm.sh/release-name) and C(meta.helm.sh/release-namespace)
    annotations Helm puts on every object it creates.
  - Pure; the playbook reads the objects.
options:
  _input:
    description: The releases, each with C(component), C(name), C(namespace) and C(status) (the C(status) that
      M(kubernetes.core.helm_info) returns; empty when the release does not exist).
    type: list
    elements: dict
    required: true
  workloads:
    description: Live Deployments, StatefulSets and DaemonSets.
    type: list
    elements: dict
    default: []
  resources:
    description: Custom resources, each with C(component), C(ref) (C(kind), C(namespace), C(name)) and C(object)
      (the live object, or none).
    type: list
    elements: dict
    default: []
  nodes:
    description: Live Nodes.
    type: list
    elements: dict
    default: []
author:
  - OpenOva platform team (@openova)
"""

EXAMPLES = r"""
- name: Print the summary
  ansible.builtin.debug:
    msg: "{{ (releases | openova.platform.platform_summary(workloads=workloads, nodes=nodes)).lines }}"
"""

RETURN = r"""
_value:
  description: C(rows) (dicts with component, object, chart, version, status, workloads, simulated), C(lines)
    (the table as text lines with a legend), C(ready) (every release deployed with all workloads ready and every
    custom resource ready), C(kwok_nodes) and C(nodes).
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.openova.platform.plugins.module_utils.platform_summary import summarize, table


def platform_summary(releases, workloads=None, resources=None, nodes=None):
    """The summary rows, the table lines and the overall readiness."""
    try:
        out = summarize(releases or [], workloads or [], resources or [], nodes or [])
    except (KeyError, TypeError, AttributeError) as exc:
        raise AnsibleFilterError("platform_summary: unexpected input (%s)" % exc) from exc
    out["lines"] = table(out)
    return out


class FilterModule(object):
    def filters(self):
        return {"platform_summary": platform_summary}
