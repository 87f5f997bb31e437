# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The platform namespaces of some components, from the platform facts."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: component_namespaces
short_description: The platform namespaces of a list of components
version_added: 0.1.0
description:
  - Returns the namespaces C(site.yml) creates for the given components (for example C(postgresql) gives
    C(cnpg-system) and C(openova-data)), in install order and each once, from the collection's platform facts.
  - Fails on a name that is not a component.
options:
  _input:
    description: Component names (C(cilium), C(istio), C(cert_manager), C(kyverno), C(redpanda), C(postgresql),
      C(redis), C(observability), C(llm_gateway), C(harbor)).
    type: list
    elements: str
    required: true
author:
  - OpenOva platform team (@openova)
"""

EXAMPLES = r"""
- name: Wait for the pods of the installed components' namespaces
  ansible.builtin.debug:
    msg: "{{ ['istio', 'redis'] | openova.platform.component_namespaces }}"   # [istio-system, istio-ingress, openova-data]
"""

RETURN = r"""
_value:
  description: The namespaces.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.openova.platform.plugins.module_utils import facts


def component_namespaces(components):
    """The platform namespaces of ``components``, install order, each once."""
    if isinstance(components, str) or not isinstance(components, (list, tuple)):
        raise AnsibleFilterError("component_namespaces expects a list of component names, got %r" % (components,))
    unknown = sorted(set(components) - set(facts.COMPONENTS))
    if unknown:
        raise AnsibleFilterError("component_namespaces: %s not a component; the components are %s" % (
            ", ".join(unknown) + (" is" if len(unknown) == 1 else " are"), ", ".join(facts.COMPONENTS)))
    return facts.namespaces_of(components)


class FilterModule(object):
    def filters(self):
        return {"component_namespaces": component_namespaces}
