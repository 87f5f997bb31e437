# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Messages for the releases whose chart source did not answer (the internal _helm_release role)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: chart_source_errors
short_description: The unreachable chart sources of a component's releases, one message each
version_added: 0.1.0
description:
  - Takes the releases resolved by P(openova.platform.chart_releases#filter) and the registered results of
    M(ansible.builtin.uri) over their C(probe_url)s, and returns one entry per release whose local chart is missing
    or whose source did not answer 200 or 401. Each entry has C(release), C(chart), C(version), C(reason), C(hint)
    (the variables to set) and C(message) (naming the component, the chart, the version and the source).
  - Pure; returns an empty list when every source answered.
options:
  _input:
    description: The resolved releases.
    type: list
    elements: dict
    required: true
  component:
    description: Component (role) name, used in messages.
    type: str
    required: true
  probes:
    description: The C(results) of the registered probe loop.
    type: list
    elements: dict
    default: []
  timeout:
    description: The probe timeout in seconds, quoted in messages.
    type: int
    default: 5
author:
  - OpenOva platform team (@openova)
"""

EXAMPLES = r"""
- name: Fail on the first unreachable source
  ansible.builtin.fail:
    msg: "{{ (releases | openova.platform.chart_source_errors(component='redis', probes=probe.results))[0].message }}"
  when: releases | openova.platform.chart_source_errors(component='redis', probes=probe.results)
"""

RETURN = r"""
_value:
  description: One entry per unreachable source.
  type: list
  elements: dict
  sample:
    - {release: valkey, chart: valkey, version: 3.0.31, reason: "https://127.0.0.1:9/charts/index.yaml did not answer within 5s",
       hint: "set redis_chart_source ...",
       message: "component 'redis': chart 'valkey' 3.0.31 from upstream https://127.0.0.1:9/charts is unreachable: ..."}
"""

from ansible_collections.openova.platform.plugins.module_utils.charts import chart_source_errors


class FilterModule(object):
    def filters(self):
        return {"chart_source_errors": chart_source_errors}
