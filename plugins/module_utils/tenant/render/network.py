# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""NetworkPolicies of a tenant namespace: default deny, then the allowances.
In platform namespaces a tenant pod may reach exactly the services in
facts.TENANT_SERVICES (DNS, istiod's xDS, the telemetry collector, PostgreSQL,
Redis, Redpanda, the LLM gateway), each by its pods' labels and on its ports;
never the telemetry stores, admin ports or anything else. Built from the shared
NetworkPolicy parts in objects.py, like the platform's. Pure: spec in, objects out."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.openova.platform.plugins.module_utils import facts
from ansible_collections.openova.platform.plugins.module_utils import objects as o
from ansible_collections.openova.platform.plugins.module_utils.tenant.render import meta


def platform_egress_namespaces(platform):
    """The platform namespaces every tenant may reach, sorted."""
    names = {platform["istio_namespace"], platform["llm_gateway_namespace"], platform["redpanda_namespace"],
             platform["postgres_namespace"]}
    names.update(platform["telemetry_namespaces"])
    names.update(platform["data_namespaces"])
    return sorted(names)


def platform_services(platform):
    """(service, namespaces, pod labels, ports, protocols) of every platform service tenant pods
    may reach, with the namespaces (and the PostgreSQL cluster) as the platform options set them."""
    where = {
        "dns": [facts.DNS_NAMESPACE],
        "istiod": [platform["istio_namespace"]],
        "otel_collector": platform["telemetry_namespaces"],
        "postgres": [platform["postgres_namespace"]],
        "redis": platform["data_namespaces"],
        "redpanda": [platform["redpanda_namespace"]],
        "llm_gateway": [platform["llm_gateway_namespace"]],
    }
    out = []
    for service in sorted(where):
        fact = facts.TENANT_SERVICES[service]
        pods = dict(fact["pods"])
        if service == "postgres":
            pods["cnpg.io/cluster"] = platform["postgres_cluster"]
        out.append((service, sorted(set(where[service])), pods, list(fact["ports"]),
                    list(fact.get("protocols") or ["TCP"])))
    return out


def _egress(namespaces, pods, port_numbers, protocols):
    return o.rule([o.namespaces_peer(namespaces, pods)], o.ports(port_numbers, protocols), direction="to")


def render_network_policies(tenant, platform):
    """Per namespace: ``openova-default-deny``, ``openova-allow-tenant``,
    ``openova-allow-dns``, ``openova-allow-ingress-gateway``,
    ``openova-allow-platform`` and, when the spec asks, ``openova-allow-extra``."""
    name = tenant["name"]
    labels = meta.labels(name)
    same_tenant = o.labelled_namespaces_peer(facts.TENANT_LABEL, name)
    network = tenant["network"]
    services = platform_services(platform)
    dns_rule = [_egress(*s[1:]) for s in services if s[0] == "dns"][0]
    platform_rules = [_egress(*s[1:]) for s in services if s[0] != "dns"]
    out = []
    for ns in tenant["namespaces"]:
        def policy(pname, **parts):
            out.append(o.network_policy(pname, ns, labels, **parts))

        policy("openova-default-deny", policy_types=["Ingress", "Egress"])
        policy("openova-allow-tenant", ingress=[o.rule([same_tenant])], egress=[o.rule([same_tenant], direction="to")])
        policy("openova-allow-dns", egress=[dns_rule])
        gateway = o.namespaces_peer([platform["ingress_namespace"]], facts.INGRESS_GATEWAY_SELECTOR)
        policy("openova-allow-ingress-gateway", ingress=[o.rule([gateway])])
        policy("openova-allow-platform", egress=platform_rules)
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
