# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tenant module's options, written once: the argument spec
(``module_argspec()``), the normalizer's tables (validate.py) and the module's
documentation (tools/module_docs.py writes the ``options`` of
plugins/modules/tenant.py from ``MODULE_OPTIONS``) all come from here; defaults
come from facts.py. Pure data, no I/O."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.openova.platform.plugins.module_utils import facts
from ansible_collections.openova.platform.plugins.module_utils.options import argspec
from ansible_collections.openova.platform.plugins.module_utils.options import opt as _opt

# Harbor project storage quota per tier (a quantity; -1 means no limit).
REGISTRY_TIERS = {"small": dict(storage="20Gi"), "medium": dict(storage="100Gi"), "large": dict(storage="500Gi")}

# LLM gateway (LiteLLM team) budget in US dollars per budget period, and rate limits, per tier.
LLM_TIERS = {
    "small": dict(max_budget=50.0, budget_duration="30d", tpm_limit=100000, rpm_limit=60),
    "medium": dict(max_budget=250.0, budget_duration="30d", tpm_limit=500000, rpm_limit=300),
    "large": dict(max_budget=1000.0, budget_duration="30d", tpm_limit=2000000, rpm_limit=1200),
}

QUOTA_QUANTITIES = ("requests_cpu", "requests_memory", "limits_cpu", "limits_memory", "storage")
QUOTA_COUNTS = ("pods", "services", "pvcs", "load_balancers", "node_ports")
LIMIT_QUANTITIES = ("default_cpu", "default_memory", "default_request_cpu", "default_request_memory",
                    "max_cpu", "max_memory")


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

REGISTRY_OPTIONS = dict(
    enabled=_opt("bool", "Give the tenant a private Harbor project, a pull and a push robot account, and the image pull "
                 "Secret C(harbor-pull) in each namespace (see M(openova.platform.tenant_registry)). The tenant's "
                 "default ServiceAccounts reference C(harbor-pull) while this is true.", default=True),
    storage=_opt("str", "Storage quota of the Harbor project: a byte quantity such as V(50Gi), or V(-1) for no limit; "
                 "overrides the tier (small 20Gi, medium 100Gi, large 500Gi)."),
)

LLM_OPTIONS = dict(
    enabled=_opt("bool", "Give the tenant a LiteLLM team, a virtual key and the Secret C(llm-gateway-credentials) in "
                 "each namespace (see M(openova.platform.tenant_llm)).", default=True),
    models=_opt("list", "Models of the LLM gateway the tenant may use; each must be offered by the gateway. Empty uses "
                "the module's O(openova.platform.tenant_llm#module:default_models).", elements="str", default=[]),
    max_budget=_opt("float", "Budget in US dollars per budget period; overrides the tier (small 50, medium 250, "
                    "large 1000)."),
    budget_duration=_opt("str", "Budget period, for example V(30d), V(7d) or V(24h); overrides the tier (30d)."),
    tpm_limit=_opt("int", "Tokens per minute for the whole tenant; overrides the tier (small 100000, medium 500000, "
                   "large 2000000)."),
    rpm_limit=_opt("int", "Requests per minute for the whole tenant; overrides the tier (small 60, medium 300, "
                   "large 1200)."),
)

TENANT_OPTIONS = dict(
    name=_opt("str", "Tenant name: a DNS-1123 label of at most 40 characters, not a name the platform uses or "
              "exempts from the guard rails (%s, C(kube-*), C(istio-*), C(openova-*))." % ", ".join(
                  "V(%s)" % n for n in facts.RESERVED_NAMES if not n.startswith(facts.RESERVED_PREFIXES)),
              required=True),
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
    registry=_opt("dict", "The tenant's Harbor project and robot accounts.", options=REGISTRY_OPTIONS),
    llm=_opt("dict", "The tenant's access to the LLM gateway.", options=LLM_OPTIONS),
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
    grafana_instance_labels=_opt("dict", "Labels that select the Grafana instance.",
                                 default=facts.GRAFANA_INSTANCE_LABELS),
    loki_url=_opt("str", "Loki query URL.", default=facts.QUERY_URLS["loki"]),
    mimir_url=_opt("str", "Mimir Prometheus API URL.",
                   default=facts.QUERY_URLS["mimir"]),
    tempo_url=_opt("str", "Tempo query URL.", default=facts.QUERY_URLS["tempo"]),
)


MODULE_OPTIONS = dict(
    state=_opt("str", [
        "V(present) onboards the tenants: renders every object, applies it with server-side apply and prunes objects "
        "the module created earlier that the spec no longer asks for.",
        "V(absent) offboards them: deletes every object labelled as theirs, namespaces last. Namespaces and objects "
        "without the C(%s=%s) label are never touched." % (facts.MANAGED_BY_LABEL, facts.MANAGED_BY)],
        default="present", choices=["present", "absent"]),
    tenants=_opt("list", [
        "The tenants to onboard or offboard, handled in one call and applied concurrently (see O(concurrency)).",
        "The whole list is validated before anything is written; every problem is reported with its field path.",
        "With O(state=absent) only O(tenants[].name) is needed; O(tenants[].namespaces), when given, must be managed "
        "by this collection."], elements="dict", required=True, options=TENANT_OPTIONS),
    platform=_opt("dict", "Names of the platform's namespaces and services that tenant objects refer to.",
                  default={}, options=PLATFORM_OPTIONS),
    concurrency=_opt("int", "How many API requests the module sends at once.", default=8),
    confirm_delete_pvcs=_opt("bool", [
        "Allow deleting namespaces that hold PersistentVolumeClaims (offboarding, or a namespace removed from a "
        "tenant's spec).",
        "Without it such a namespace fails the task before anything is deleted."], default=False),
    prune=_opt("bool", "With O(state=present), delete objects of the listed tenants that the module created earlier "
               "and the spec no longer asks for.", default=True),
)


def module_argspec():
    """The tenant module's own options."""
    return argspec(MODULE_OPTIONS)
