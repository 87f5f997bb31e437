# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""NetworkPolicies of a tenant namespace: default deny, then the allowances.
In platform namespaces a tenant pod may reach exactly the services in
facts.TENANT_SERVICES (DNS, istiod's xDS, the telemetry collector, PostgreSQL,
Redis, Redpanda, the LLM gateway), each by its pods' labels and on its ports;
never the telemetry stores, admin ports or anything else. Pure: spec in,
objects out."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.openova.platform.plugins.module_utils import facts
from ansible_collections.openova.platform.plugins.module_utils.tenant.render import meta


def _ns_selector(names):
    return {"namespaceSelector": {"matchExpressions": [
        {"key": facts.NS_NAME_LABEL, "operator": "In", "values": sorted(set(names))}]}}


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


def _egress(namespaces, pods, ports, protocols):
    return {"to": [dict(_ns_selector(namespaces), podSelector={"matchLabels": dict(pods)})],
            "ports": [{"protocol": proto, "port": port} for port in ports for proto in protocols]}


def render_network_policies(tenant, platform):
    """Per namespace: ``openova-default-deny``, ``openova-allow-tenant``,
    ``openova-allow-dns``, ``openova-allow-ingress-gateway``,
    ``openova-allow-platform`` and, when the spec asks, ``openova-allow-extra``."""
    name = tenant["name"]
    same_tenant = {"namespaceSelector": {"matchLabels": {meta.TENANT_LABEL: name}}}
    network = tenant["network"]
    services = platform_services(platform)
    dns = [s for s in services if s[0] == "dns"][0]
    platform_rules = [_egress(*s[1:]) for s in services if s[0] != "dns"]
    out = []
    for ns in tenant["namespaces"]:
        def policy(pname, spec):
            out.append(meta.obj("networking.k8s.io/v1", "NetworkPolicy", pname, ns, name, spec=spec))

        policy("openova-default-deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})
        policy("openova-allow-tenant", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"],
                                        "ingress": [{"from": [same_tenant]}], "egress": [{"to": [same_tenant]}]})
        policy("openova-allow-dns", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [_egress(*dns[1:])]})
        gateway = dict(_ns_selector([platform["ingress_namespace"]]),
                       podSelector={"matchLabels": dict(facts.INGRESS_GATEWAY_SELECTOR)})
        policy("openova-allow-ingress-gateway", {"podSelector": {}, "policyTypes": ["Ingress"],
                                                 "ingress": [{"from": [gateway]}]})
        policy("openova-allow-platform", {"podSelector": {}, "policyTypes": ["Egress"], "egress": platform_rules})
        extra = {"podSelector": {}, "policyTypes": []}
        if network["ingress_from_namespaces"]:
            extra["policyTypes"].append("Ingress")
            extra["ingress"] = [{"from": [_ns_selector(network["ingress_from_namespaces"])]}]
        if network["egress_to_namespaces"] or network["egress_cidrs"]:
            extra["policyTypes"].append("Egress")
            peers = []
            if network["egress_to_namespaces"]:
                peers.append(_ns_selector(network["egress_to_namespaces"]))
            peers.extend({"ipBlock": {"cidr": cidr}} for cidr in sorted(set(network["egress_cidrs"])))
            extra["egress"] = [{"to": peers}]
        if extra["policyTypes"]:
            policy("openova-allow-extra", extra)
    return out
