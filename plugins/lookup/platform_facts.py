# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: platform_facts
short_description: The platform's facts (domain, registry host, namespaces, labels, endpoints, tiers)
version_added: 0.1.0
description:
  - Returns facts of the OpenOva platform from the collection's one facts module
    (C(plugins/module_utils/facts.py)), which the modules, renderers and guard rails read as well, so that roles
    and playbooks never repeat a platform default.
  - Facts derived from the domain (C(registry_host), C(harbor_url), C(ingress_hosts)) use O(domain), which defaults
    to the play's C(openova_domain) and, when that is unset or empty, to the platform's default domain C(openova.io).
  - "Facts: C(domain), C(registry_host), C(harbor_url), C(ingress_hosts), C(field_manager), C(managed_labels),
    C(tenant_label), C(platform_label), C(part_of_label), C(system_namespaces), C(platform_namespaces),
    C(component_namespaces), C(tenant_facing_namespaces), C(exempt_namespaces), C(namespaces) (by role: C(istio),
    C(ingress), C(cert_manager), C(kyverno), C(redpanda), C(cnpg), C(data), C(observability), C(llm_gateway),
    C(harbor), C(grafana)), C(reserved_names), C(reserved_prefixes), C(ingress_gateway),
    C(ingress_gateway_selector), C(ingress_tls_secret), C(redpanda_cluster), C(redpanda_bootstrap),
    C(postgres_cluster), C(postgres_host), C(postgres_port), C(grafana_instance_labels), C(scope_header),
    C(platform_tenant), C(query_urls), C(push_urls), C(otel_collector), C(llm_gateway_url), C(harbor_service_url),
    C(tiers), C(priority_classes)."
options:
  _terms:
    description:
      - Names of the facts to return; a dotted name reaches into a mapping (C(namespaces.data), C(query_urls.loki)).
      - Without a name, the whole mapping of facts is returned.
    type: list
    elements: str
    required: false
  domain:
    description:
      - The platform domain the derived facts are computed for.
      - Defaults to the play's C(openova_domain); when that is unset or empty, to C(openova.io).
    type: str
author:
  - OpenOva platform team (@openova)
"""

EXAMPLES = r"""
- name: The registry the guard rails require (harbor.<openova_domain>, or harbor.openova.io when it is unset)
  ansible.builtin.debug:
    msg: "{{ lookup('openova.platform.platform_facts', 'registry_host') }}"

- name: Several facts at once
  ansible.builtin.debug:
    msg: "{{ query('openova.platform.platform_facts', 'namespaces.data', 'tenant_label') }}"

- name: For another domain
  ansible.builtin.debug:
    msg: "{{ lookup('openova.platform.platform_facts', 'harbor_url', domain='example.com') }}"
"""

RETURN = r"""
_raw:
  description: One value per name asked for (any type), or the whole mapping of facts when no name is given.
  type: list
  elements: raw
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.openova.platform.plugins.module_utils import facts


def fact(all_facts, name):
    """One fact by (dotted) name; AnsibleLookupError naming what exists otherwise."""
    value = all_facts
    walked = []
    for part in str(name).split("."):
        if not isinstance(value, dict) or part not in value:
            where = ".".join(walked) or "the platform facts"
            known = ", ".join(sorted(value)) if isinstance(value, dict) else "nothing (not a mapping)"
            raise AnsibleLookupError("platform_facts: %r is not a fact; %s holds %s" % (name, where, known))
        value = value[part]
        walked.append(part)
    return value


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        unknown = sorted(set(kwargs) - {"domain"})
        if unknown:
            raise AnsibleLookupError("platform_facts: unknown option(s) %s; the only option is domain"
                                     % ", ".join(unknown))
        domain = kwargs.get("domain")
        if domain is None:
            domain = (variables or {}).get("openova_domain")
        if isinstance(domain, str) and "{{" in domain and self._templar is not None:
            domain = self._templar.template(domain)
        if domain is not None and not isinstance(domain, str):
            raise AnsibleLookupError("platform_facts: domain must be a string, got %r" % (domain,))
        all_facts = facts.as_dict(domain or None)
        if not terms:
            return [all_facts]
        return [fact(all_facts, term) for term in terms]
