# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that render the OpenTelemetry Collector configuration for the
observability role, with the same pure renderer the tenant module uses for the
routing ConfigMap."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: otel_collector_values
short_description: Render the OpenTelemetry Collector chart values that carry the platform's collector configuration
version_added: 0.1.0
description:
  - Returns the opentelemetry-collector chart values that hold the collector configuration (C(alternateConfig)),
    the tenant routing file as a second configuration file, its reloader sidecar and the RBAC that
    C(k8sattributes) needs. Pure; no cluster access.
  - The configuration routes telemetry by the source namespace's tenant label, read from the API server; headers
    and attributes a workload sends cannot choose the org.
  - Fails, naming the field, when a setting is invalid.
options:
  _input:
    description:
      - The collector settings, for example C(namespace), C(routing_configmap), C(tenant_label),
        C(platform_tenant), C(endpoints) (C(loki), C(mimir), C(tempo) OTLP/HTTP base URLs), C(listen_address),
        C(ports) (C(otlp_grpc), C(otlp_http), C(health), C(metrics)), C(k8s_auth), C(node_env),
        C(reloader_image), C(reloader_interval).
    type: dict
    required: true
author:
  - OpenOva platform team (@openova)
"""

EXAMPLES = r"""
- name: Chart values of the collector
  ansible.builtin.set_fact:
    otel_values: "{{ {'endpoints': {'loki': 'http://loki-gateway.obs.svc/otlp'}} | openova.platform.otel_collector_values }}"
"""

RETURN = r"""
_value:
  description: Chart values (C(alternateConfig), C(command), C(extraContainers), C(extraVolumes), ...).
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.openova.platform.plugins.module_utils.errors import SpecError
from ansible_collections.openova.platform.plugins.module_utils.observability import collector


def otel_collector_values(settings):
    """Chart values that carry the collector configuration."""
    if not isinstance(settings, dict):
        raise AnsibleFilterError("otel_collector_values expects a dict of collector settings, got %s"
                                 % type(settings).__name__)
    try:
        return collector.chart_values(settings)
    except SpecError as exc:
        raise AnsibleFilterError(exc.msg) from exc


class FilterModule(object):
    def filters(self):
        return {"otel_collector_values": otel_collector_values}
