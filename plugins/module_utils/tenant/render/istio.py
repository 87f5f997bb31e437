# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Istio objects of a tenant namespace: STRICT mTLS, an ALLOW policy for the
tenant and the ingress gateway, and a Sidecar that limits egress. Pure."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.openova.platform.plugins.module_utils.tenant.render import meta
from ansible_collections.openova.platform.plugins.module_utils.tenant.render.network import (
    platform_egress_namespaces,
)


def render_istio(tenant, platform):
    """PeerAuthentication ``default``, AuthorizationPolicy ``openova-allow-tenant``
    and Sidecar ``default`` per namespace."""
    name = tenant["name"]
    sources = sorted(set(tenant["namespaces"]) | {platform["ingress_namespace"]})
    hosts = ["./*"] + ["%s/*" % ns for ns in sorted(set(tenant["namespaces"]) | set(
        platform_egress_namespaces(platform)) | set(tenant["network"]["egress_to_namespaces"]))]
    out = []
    for ns in tenant["namespaces"]:
        out.append(meta.obj("security.istio.io/v1", "PeerAuthentication", "default", ns, name,
                            spec={"mtls": {"mode": "STRICT"}}))
        out.append(meta.obj("security.istio.io/v1", "AuthorizationPolicy", "openova-allow-tenant", ns, name,
                            spec={"action": "ALLOW", "rules": [{"from": [{"source": {"namespaces": sources}}]}]}))
        out.append(meta.obj("networking.istio.io/v1", "Sidecar", "default", ns, name,
                            spec={"egress": [{"hosts": hosts}]}))
    return out
