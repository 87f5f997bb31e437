# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubernetes objects that carry a tenant's LLM gateway key. Pure.

- ``<gateway ns>/tenant-<t>-llm``: the stored copy of the virtual key, out of
  the tenants' reach, so that later runs neither lose nor replace it;
- ``<tenant ns>/llm-gateway-credentials``: the gateway URL and the key for
  the tenant's workloads (also as OPENAI_BASE_URL and OPENAI_API_KEY, which
  OpenAI-compatible clients read).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.openova.platform.plugins.module_utils.tenant.render import meta
from ansible_collections.openova.platform.plugins.module_utils.tenant.render.redpanda import secret

SERVICE = "llm-gateway"
OWNED_KINDS = (("v1", "Secret"),)


def store_name(tenant_name):
    return meta.tenant_object_name(tenant_name, "llm")


def _labelled(obj):
    obj["metadata"]["labels"][meta.CREDENTIALS_LABEL] = SERVICE
    return obj


def render_llm_objects(tenant, gateway_namespace, gateway_url, key):
    """The stored key and one credentials Secret per tenant namespace."""
    name = tenant["name"]
    out = [_labelled(secret(store_name(name), gateway_namespace, name, {"api-key": key}))]
    values = {"LLM_GATEWAY_URL": gateway_url, "LLM_GATEWAY_API_KEY": key,
              "OPENAI_BASE_URL": gateway_url, "OPENAI_API_KEY": key}
    for ns in tenant["namespaces"]:
        out.append(_labelled(secret(meta.LLM_SECRET, ns, name, values)))
    return out
