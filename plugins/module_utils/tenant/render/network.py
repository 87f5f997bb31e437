# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""NetworkPolicies of a tenant namespace: default deny, then the allowances.
Built from the shared NetworkPolicy parts in objects.py, like the platform's.
Pure: spec in, objects out."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.openova.platform.plugins.module_utils import facts
from ansible_collections.openova.platform.plugins.module_utils import objects as o
from ansible_collections.openova.platform.plugins.module_utils.tenant.render import meta

DNS_POD_LABELS = {"k8s-app": "kube-dns"}


def platform_egress_namespaces(platform):
    """The platform namespaces every tenant may reach, sorted."""
    names = {platform["istio_namespace"], platform["llm_gateway_namespace"], platform["redpanda_namespace"],
             platform["postgres_namespace"]}
    names.update(platform["telemetry_namespaces"])
    names.update(platform["data_namespaces"])
    return sorted(names)


def render_network_policies(tenant, platform):
    """Per namespace: ``openova-default-deny``, ``openova-allow-tenant``,
    ``openova-allow-dns``, ``openova-allow-ingress-gateway``,
    ``openova-allow-platform`` and, when the spec asks, ``openova-allow-extra``."""
    name = tenant["name"]
    labels = meta.labels(name)
    same_tenant = o.labelled_namespaces_peer(facts.TENANT_LABEL, name)
    network = tenant["network"]
    out = []
    for ns in tenant["namespaces"]:
        def policy(pname, **parts):
            out.append(o.network_policy(pname, ns, labels, **parts))

        policy("openova-default-deny", policy_types=["Ingress", "Egress"])
        policy("openova-allow-tenant", ingress=[o.rule([same_tenant])], egress=[o.rule([same_tenant], direction="to")])
        policy("openova-allow-dns", egress=[o.rule([o.namespaces_peer([facts.DNS_NAMESPACE], DNS_POD_LABELS)],
                                                   o.ports([53], ("UDP", "TCP")), direction="to")])
        policy("openova-allow-ingress-gateway", ingress=[o.rule([o.namespaces_peer([platform["ingress_namespace"]])])])
        policy("openova-allow-platform",
               egress=[o.rule([o.namespaces_peer(platform_egress_namespaces(platform))], direction="to")])
        ingress = egress = None
        if network["ingress_from_namespaces"]:
            ingress = [o.rule([o.namespaces_peer(network["ingress_from_namespaces"])])]
        if network["egress_to_namespaces"] or network["egress_cidrs"]:
            peers = [o.namespaces_peer(network["egress_to_namespaces"])] if network["egress_to_namespaces"] else []
            peers.extend(o.cidr_peer(cidr) for cidr in sorted(set(network["egress_cidrs"])))
            egress = [o.rule(peers, direction="to")]
        if ingress or egress:
            policy("openova-allow-extra", ingress=ingress, egress=egress)
    return out
