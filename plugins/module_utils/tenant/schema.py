# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tenant spec and platform options, written once: argument specs for the
module (argspec()) and defaults (from facts.py). Pure data, no I/O."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.openova.platform.plugins.module_utils import facts

QUOTA_QUANTITIES = ("requests_cpu", "requests_memory", "limits_cpu", "limits_memory", "storage")
QUOTA_COUNTS = ("pods", "services", "pvcs", "load_balancers", "node_ports")
LIMIT_QUANTITIES = ("default_cpu", "default_memory", "default_request_cpu", "default_request_memory",
                    "max_cpu", "max_memory")


def _opt(type_, description, **extra):
    out = dict(type=type_, description=description)
    out.update(extra)
    return out


QUOTA_OPTIONS = dict(
    requests_cpu=_opt("str", "C(requests.cpu) per namespace; overrides the tier."),
    requests_memory=_opt("str", "C(requests.memory) per namespace; overrides the tier."),
    limits_cpu=_opt("str", "C(limits.cpu) per namespace; overrides the tier."),
    limits_memory=_opt("str", "C(limits.memory) per namespace; overrides the tier."),
    pods=_opt("int", "Number of pods per namespace; overrides the tier."),
    services=_opt("int", "Number of Services per namespace; overrides the tier."),
    pvcs=_opt("int", "Number of PersistentVolumeClaims per namespace; overrides the tier."),
    storage=_opt("str", "C(requests.storage) per namespace; overrides the tier."),
    load_balancers=_opt("int", "Number of LoadBalancer Services allowed per namespace.", default=0),
    node_ports=_opt("int", "Number of NodePort Services allowed per namespace.", default=0),
)

LIMITS_OPTIONS = dict(
    default_cpu=_opt("str", "CPU limit given to containers that set none.", default="500m"),
    default_memory=_opt("str", "Memory limit given to containers that set none.", default="512Mi"),
    default_request_cpu=_opt("str", "CPU request given to containers that set none.", default="100m"),
    default_request_memory=_opt("str", "Memory request given to containers that set none.", default="128Mi"),
    max_cpu=_opt("str", "The largest CPU limit one container may set.", default="2"),
    max_memory=_opt("str", "The largest memory limit one container may set.", default="4Gi"),
)

OWNERS_OPTIONS = dict(
    admin=_opt("list", "Groups bound to ClusterRole C(openova-tenant-admin) in every namespace of the tenant. "
               "At least one is required with O(state=present).", elements="str", default=[]),
    developer=_opt("list", "Groups bound to ClusterRole C(openova-tenant-developer).", elements="str", default=[]),
    viewer=_opt("list", "Groups bound to ClusterRole C(openova-tenant-viewer).", elements="str", default=[]),
)

NETWORK_OPTIONS = dict(
    ingress_from_namespaces=_opt("list", "Extra namespaces whose pods may connect to the tenant's pods.",
                                 elements="str", default=[]),
    egress_to_namespaces=_opt("list", "Extra namespaces the tenant's pods may connect to.",
                              elements="str", default=[]),
    egress_cidrs=_opt("list", "CIDR blocks outside the cluster the tenant's pods may connect to.",
                      elements="str", default=[]),
)

TOPIC_OPTIONS = dict(
    name=_opt("str", "Full topic name; it must start with the tenant name and a dot, for example V(acme.orders).",
              required=True),
    partitions=_opt("int", "Number of partitions.", default=3),
    replication_factor=_opt("int", "Number of replicas (odd).", default=3),
    config=_opt("dict", "Extra topic configuration, for example C(retention.ms).", default={}),
)

POSTGRES_OPTIONS = dict(
    enabled=_opt("bool", "Create a database and a role for the tenant on the shared CloudNativePG cluster.",
                 default=False),
    database=_opt("str", "Database name. Defaults to the tenant name with dashes turned into underscores."),
)

TENANT_OPTIONS = dict(
    name=_opt("str", "Tenant name: a DNS-1123 label of at most 40 characters, not a platform name "
              "(V(default), C(kube-*), C(istio-*), C(openova-*)).", required=True),
    display_name=_opt("str", "Human readable name, used as the Grafana folder title. Defaults to O(tenants[].name)."),
    owners=_opt("dict", "Groups per tenant role. Required with O(state=present).", options=OWNERS_OPTIONS),
    namespaces=_opt("list", "The tenant's namespaces. Each is the tenant name or starts with the tenant name and "
                    "a dash. Defaults to one namespace named after the tenant.", elements="str"),
    tier=_opt("str", "Quota tier; O(tenants[].quota) overrides single values.", default=facts.DEFAULT_TIER,
              choices=sorted(facts.TIERS)),
    quota=_opt("dict", "Explicit ResourceQuota values per namespace; each overrides the tier's value.",
               options=QUOTA_OPTIONS),
    limits=_opt("dict", "LimitRange defaults and maximums per container.", options=LIMITS_OPTIONS),
    harbor_project=_opt("str", "The tenant's Harbor project. Defaults to the tenant name."),
    allowed_registries=_opt("list", "Image registries (prefixes) the tenant's pods may pull from. Defaults to "
                            "C(harbor.<domain>/<harbor project>).", elements="str"),
    network=_opt("dict", "Network allowances beyond the defaults.", options=NETWORK_OPTIONS),
    topics=_opt("list", "Redpanda topics of the tenant.", elements="dict", default=[], options=TOPIC_OPTIONS),
    postgres=_opt("dict", "PostgreSQL for the tenant.", options=POSTGRES_OPTIONS),
)

PLATFORM_OPTIONS = dict(
    domain=_opt("str", "The platform's base domain; the Harbor registry is C(harbor.<domain>).",
                default=facts.DOMAIN),
    istio_namespace=_opt("str", "Namespace of istiod.", default=facts.ISTIO_NAMESPACE),
    istio_revision=_opt("str", "Istio revision; when set, namespaces get C(istio.io/rev) instead of "
                        "C(istio-injection).", default=""),
    ingress_namespace=_opt("str", "Namespace of the Istio ingress gateway.", default=facts.INGRESS_NAMESPACE),
    telemetry_namespaces=_opt("list", "Namespaces of the telemetry collectors.", elements="str",
                              default=[facts.OBSERVABILITY_NAMESPACE]),
    llm_gateway_namespace=_opt("str", "Namespace of the LLM gateway.", default=facts.LLM_GATEWAY_NAMESPACE),
    data_namespaces=_opt("list", "Namespaces of the data layer (PostgreSQL, Redis).", elements="str",
                         default=[facts.DATA_NAMESPACE]),
    redpanda_namespace=_opt("str", "Namespace of the Redpanda cluster; tenant Topic and User objects live here.",
                            default=facts.REDPANDA_NAMESPACE),
    redpanda_cluster=_opt("str", "Name of the Redpanda resource the Topic and User objects refer to.",
                          default=facts.REDPANDA_CLUSTER),
    redpanda_bootstrap_servers=_opt("str", "Kafka bootstrap servers written to each tenant's credentials.",
                                    default=facts.REDPANDA_BOOTSTRAP),
    postgres_namespace=_opt("str", "Namespace of the shared CloudNativePG cluster.", default=facts.DATA_NAMESPACE),
    postgres_cluster=_opt("str", "Name of the shared CloudNativePG Cluster.", default=facts.POSTGRES_CLUSTER),
    postgres_host=_opt("str", "Host name tenants connect to. Defaults to C(<cluster>-rw.<namespace>.svc)."),
    postgres_port=_opt("int", "Port tenants connect to.", default=facts.POSTGRES_PORT),
    grafana_namespace=_opt("str", "Namespace of the Grafana instance the GrafanaFolder and GrafanaDatasource "
                           "objects are created in.", default=facts.GRAFANA_NAMESPACE),
    grafana_instance_labels=_opt("dict", "Labels of the platform's own Grafana instance. Tenant objects never select "
                                 "it: each tenant gets a Grafana instance of its own.",
                                 default=facts.GRAFANA_INSTANCE_LABELS),
    grafana_config=_opt("dict", "C(grafana.ini) settings (section to settings) added to every tenant's Grafana "
                        "instance, for example the C(auth.generic_oauth) client of the platform's identity provider "
                        "(C(enabled), C(client_id), C(auth_url), C(token_url), C(api_url)). The tenant's groups, their "
                        "roles and C(allowed_groups) are set per tenant.", default={}),
    loki_url=_opt("str", "Loki query URL.", default=facts.QUERY_URLS["loki"]),
    mimir_url=_opt("str", "Mimir Prometheus API URL.",
                   default=facts.QUERY_URLS["mimir"]),
    tempo_url=_opt("str", "Tempo query URL.", default=facts.QUERY_URLS["tempo"]),
)


def argspec(options):
    """An Ansible argument spec from an options table (descriptions dropped)."""
    out = {}
    for key, opt in options.items():
        entry = dict((k, copy.deepcopy(v)) for k, v in opt.items() if k != "description")
        if "options" in entry:
            entry["options"] = argspec(entry["options"])
        out[key] = entry
    return out


def module_argspec():
    """The tenant module's own options."""
    return dict(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        tenants=dict(type="list", elements="dict", required=True, options=argspec(TENANT_OPTIONS)),
        platform=dict(type="dict", default={}, options=argspec(PLATFORM_OPTIONS)),
        concurrency=dict(type="int", default=8),
        confirm_delete_pvcs=dict(type="bool", default=False),
        prune=dict(type="bool", default=True),
    )
