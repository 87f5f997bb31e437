# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collector's routing ConfigMap for the tenants onboarded on a cluster,
rendered by the same function the tenant module calls after onboarding."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: otel_routing_configmap
short_description: Render the OpenTelemetry Collector's tenant routing ConfigMap
version_added: 0.1.0
description:
  - Returns the ConfigMap whose C(routing.yaml) the collector reads as its second configuration file, with one
    exporter per tenant and signal carrying the tenant's own C(X-Scope-OrgID), and the routing tables. It also
    records the settings, so M(openova.platform.tenant) rewrites it on every onboarding and offboarding. Pure; no
    cluster access.
  - The tenants are the values of the tenant label on the Namespaces given that the platform manages.
options:
  _input:
    description: The collector settings (see P(openova.platform.otel_collector_values#filter)).
    type: dict
    required: true
  namespaces:
    description: Live Namespace objects, for example the C(resources) of M(kubernetes.core.k8s_info).
    type: list
    elements: dict
    required: true
author:
  - OpenOva platform team (@openova)
"""

EXAMPLES = r"""
- name: Find the tenant namespaces
  kubernetes.core.k8s_info:
    kind: Namespace
    label_selectors: [app.kubernetes.io/managed-by=openova-platform, openova.io/tenant]
  register: tenant_namespaces

- name: Apply the routing ConfigMap
  kubernetes.core.k8s:
    definition: "{{ settings | openova.platform.otel_routing_configmap(tenant_namespaces.resources) }}"
"""

RETURN = r"""
_value:
  description: The ConfigMap object.
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.openova.platform.plugins.module_utils.errors import SpecError
from ansible_collections.openova.platform.plugins.module_utils.observability import collector


def otel_routing_configmap(settings, namespaces):
    """The routing ConfigMap for the tenants of these live Namespaces."""
    if not isinstance(settings, dict) or not isinstance(namespaces, list):
        raise AnsibleFilterError("otel_routing_configmap expects collector settings (dict) and a list of Namespaces")
    try:
        s = collector.normalize_settings(settings)
        return collector.routing_configmap(s, collector.tenants_from_namespaces(namespaces, s["tenant_label"]))
    except SpecError as exc:
        raise AnsibleFilterError(exc.msg) from exc


class FilterModule(object):
    def filters(self):
        return {"otel_routing_configmap": otel_routing_configmap}
