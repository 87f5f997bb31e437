# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The default traffic_policy options of a tenant service spec, rendered on the
controller with no cluster access (the same pure code as tenant_service)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: service_traffic
short_description: The default traffic_policy options of a tenant service spec
version_added: 0.1.0
description:
  - Validates a service spec (the options of M(openova.platform.tenant_service)) and returns the options of
    M(openova.platform.traffic_policy) that route it - C(name), C(namespace), C(tenant), C(port), one subset per
    version (C(stable_version) and C(version)) and C(weights) that give the stable version all traffic.
  - Fails, naming every bad field, when the spec is invalid. Pure; no cluster access.
options:
  _input:
    description: The service spec.
    type: dict
    required: true
author:
  - OpenOva platform team (@openova)
"""

EXAMPLES = r"""
- name: Send 10% of the traffic to the canary v2, 90% to v1
  vars:
    routing: "{{ service | openova.platform.service_traffic }}"
  openova.platform.traffic_policy:
    name: "{{ routing.name }}"
    namespace: "{{ routing.namespace }}"
    tenant: "{{ routing.tenant }}"
    port: "{{ routing.port }}"
    subsets: "{{ routing.subsets }}"
    weights: {v1: 90, v2: 10}
"""

RETURN = r"""
_value:
  description: The traffic_policy options.
  type: dict
  sample: {name: shop, namespace: acme-prod, tenant: acme, port: 8080, subsets: [{name: v1}, {name: v2}],
           weights: {v1: 100, v2: 0}}
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.openova.platform.plugins.module_utils.errors import SpecError
from ansible_collections.openova.platform.plugins.module_utils.service.render import default_traffic
from ansible_collections.openova.platform.plugins.module_utils.service.validate import validate_service


def service_traffic(spec):
    """The default traffic_policy options of a service spec."""
    if not isinstance(spec, dict):
        raise AnsibleFilterError("service_traffic expects a dict (a tenant service spec), got %s" % type(spec).__name__)
    try:
        return default_traffic(validate_service(dict(spec)))
    except SpecError as exc:
        raise AnsibleFilterError(exc.msg) from exc


class FilterModule(object):
    def filters(self):
        return {"service_traffic": service_traffic}
