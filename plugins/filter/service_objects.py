# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that render a tenant service spec to objects on the controller, with
no cluster access, so that workload_check can judge them before anything is
applied. They call the same pure renderers as the tenant_service module."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: service_objects
short_description: Render a tenant service spec to the Kubernetes objects tenant_service would apply
version_added: 0.1.0
description:
  - Validates a service spec (the options of M(openova.platform.tenant_service)) and returns the ServiceAccount,
    Service, Deployment, PodDisruptionBudget and HorizontalPodAutoscaler it renders. Pure; no cluster access.
  - Fails, naming every bad field, when the spec is invalid.
options:
  _input:
    description: The service spec.
    type: dict
    required: true
author:
  - OpenOva platform team (@openova)
"""

EXAMPLES = r"""
- name: Check the rendered objects before applying them
  openova.platform.workload_check:
    definitions: "{{ service | openova.platform.service_objects }}"
    tenant: "{{ service.tenant }}"
"""

RETURN = r"""
_value:
  description: The rendered objects.
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.openova.platform.plugins.module_utils.errors import SpecError
from ansible_collections.openova.platform.plugins.module_utils.service.render import render_workload
from ansible_collections.openova.platform.plugins.module_utils.service.validate import validate_service


def service_objects(spec):
    """The workload objects of a service spec."""
    if not isinstance(spec, dict):
        raise AnsibleFilterError("service_objects expects a dict (a tenant service spec), got %s" % type(spec).__name__)
    try:
        return render_workload(validate_service(dict(spec)))
    except SpecError as exc:
        raise AnsibleFilterError(exc.msg) from exc


class FilterModule(object):
    def filters(self):
        return {"service_objects": service_objects}
