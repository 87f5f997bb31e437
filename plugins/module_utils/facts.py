# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The platform's facts, written once: the default domain and the registry host
derived from it, the platform namespaces, the ownership labels, the field
manager, the service endpoints, the quota tiers, the PriorityClasses and the
names a tenant may never take.

Every module, renderer, rule table and validator imports what it needs from
here; roles and playbooks read the same values through the lookup
``openova.platform.platform_facts`` (plugins/lookup/platform_facts.py). Pure
data and pure functions: no I/O."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

# ---------------------------------------------------------------- domain and registry
DOMAIN = "openova.io"


def domain(value=None):
    """The platform domain: ``value`` when given (and not empty), else the default."""
    return value or DOMAIN


def registry_host(domain_name=None):
    """The Harbor host the platform installs and the guard rails require: ``harbor.<domain>``.

    >>> registry_host()
    'harbor.openova.io'
    """
    return "harbor.%s" % domain(domain_name)


def registry_prefix(tenant, domain_name=None):
    """Where a tenant's images live: ``harbor.<domain>/<tenant>/``."""
    return "%s/%s/" % (registry_host(domain_name), tenant)


def harbor_url(domain_name=None):
    """Harbor's public URL."""
    return "https://%s" % registry_host(domain_name)


def ingress_hosts(domain_name=None):
    """The hosts the shared ingress Gateway serves."""
    return ["*.%s" % domain(domain_name)]


# ---------------------------------------------------------------- ownership
FIELD_MANAGER = "openova-platform"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "openova-platform"
PART_OF_LABEL = "app.kubernetes.io/part-of"
NAME_LABEL = "app.kubernetes.io/name"
TENANT_LABEL = "openova.io/tenant"
PLATFORM_LABEL = "openova.io/platform"
COMPONENT_LABEL = "openova.io/component"  # the component (role) that owns a platform object
NS_NAME_LABEL = "kubernetes.io/metadata.name"
# app.kubernetes.io/part-of values, one per family of objects the collection writes.
PART_OF_TENANT = "openova-tenant"
PART_OF_GUARDRAILS = "openova-guardrails"
PART_OF_PLATFORM = "openova-platform-config"


def managed_labels(part_of=None, tenant=None, **extra):
    """The ownership labels of an object the collection writes.

    >>> managed_labels(tenant="acme")
    {'app.kubernetes.io/managed-by': 'openova-platform', 'openova.io/tenant': 'acme'}
    """
    out = {MANAGED_BY_LABEL: MANAGED_BY}
    if part_of:
        out[PART_OF_LABEL] = part_of
    if tenant:
        out[TENANT_LABEL] = tenant
    out.update(extra)
    return out


def selector(labels):
    """A label selector (``k=v,k=v``, sorted) from a dict of labels."""
    return ",".join("%s=%s" % (k, v) for k, v in sorted(labels.items()))


def is_managed(obj):
    """True when ``obj`` carries the collection's managed-by label."""
    labels = ((obj or {}).get("metadata") or {}).get("labels") or {}
    return labels.get(MANAGED_BY_LABEL) == MANAGED_BY


# ---------------------------------------------------------------- namespaces
SYSTEM_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease")
ISTIO_NAMESPACE = "istio-system"
INGRESS_NAMESPACE = "istio-ingress"
CERT_MANAGER_NAMESPACE = "cert-manager"
KYVERNO_NAMESPACE = "kyverno"
REDPANDA_NAMESPACE = "openova-redpanda"
CNPG_NAMESPACE = "cnpg-system"
DATA_NAMESPACE = "openova-data"
OBSERVABILITY_NAMESPACE = "openova-observability"
LLM_GATEWAY_NAMESPACE = "openova-llm-gateway"
HARBOR_NAMESPACE = "harbor"
DNS_NAMESPACE = "kube-system"

# What site.yml creates, per component (cilium runs in kube-system).
COMPONENT_NAMESPACES = {
    "cilium": [],
    "istio": [ISTIO_NAMESPACE, INGRESS_NAMESPACE],
    "cert_manager": [CERT_MANAGER_NAMESPACE],
    "kyverno": [KYVERNO_NAMESPACE],
    "redpanda": [REDPANDA_NAMESPACE],
    "postgresql": [CNPG_NAMESPACE, DATA_NAMESPACE],
    "redis": [DATA_NAMESPACE],
    "observability": [OBSERVABILITY_NAMESPACE],
    "llm_gateway": [LLM_GATEWAY_NAMESPACE],
    "harbor": [HARBOR_NAMESPACE],
}
COMPONENTS = ("cilium", "istio", "cert_manager", "kyverno", "redpanda", "postgresql", "redis", "observability",
              "llm_gateway", "harbor")


def namespaces_of(components):
    """The platform namespaces of some components, in install order, each once."""
    out = []
    for component in COMPONENTS:
        if component in components:
            out.extend(ns for ns in COMPONENT_NAMESPACES[component] if ns not in out)
    return out


# Every namespace the platform creates, in install order.
PLATFORM_NAMESPACES = tuple(namespaces_of(COMPONENTS))
# Labels of platform namespaces beyond the platform label: the ones whose pods join the mesh.
NAMESPACE_LABELS = {INGRESS_NAMESPACE: {"istio-injection": "enabled"}, HARBOR_NAMESPACE: {"istio-injection": "enabled"}}
# Platform namespaces tenant workloads may reach (data services, the LLM gateway, the collector, the registry).
TENANT_FACING_NAMESPACES = (REDPANDA_NAMESPACE, DATA_NAMESPACE, OBSERVABILITY_NAMESPACE, LLM_GATEWAY_NAMESPACE,
                            HARBOR_NAMESPACE)
# Namespaces the guard rails and workload_check exempt: exactly the system and platform namespaces.
EXEMPT_NAMESPACES = SYSTEM_NAMESPACES + PLATFORM_NAMESPACES


# ---------------------------------------------------------------- reserved tenant names
# A tenant (or one of its namespaces) may never take a name the platform uses or exempts.
RESERVED_PREFIXES = ("kube-", "openova-", "istio-")
RESERVED_NAMES = tuple(sorted(set(EXEMPT_NAMESPACES) | {
    "default", "openova", "istio", "cilium", "monitoring", "platform"}))


def is_reserved(name, extra=()):
    """True when a tenant or tenant namespace may not be called ``name``.

    >>> is_reserved("harbor"), is_reserved("openova-x"), is_reserved("acme")
    (True, True, False)
    """
    return name in RESERVED_NAMES or name in extra or any(name.startswith(p) for p in RESERVED_PREFIXES)


# ---------------------------------------------------------------- service endpoints
def service_host(name, namespace, port=None, cluster_local=False):
    """``name.namespace.svc[.cluster.local][:port]``."""
    host = "%s.%s.svc%s" % (name, namespace, ".cluster.local" if cluster_local else "")
    return "%s:%s" % (host, port) if port else host


ISTIOD_SERVICE = service_host("istiod", ISTIO_NAMESPACE)
ISTIOD_XDS_PORT = 15012  # xDS and the CA: every sidecar, tenants' included, connects here
ISTIOD_WEBHOOK_PORT = 15017  # injection and validation webhooks, called by the API server
# Ports of platform namespaces open to any source: webhooks the API server calls, the gateway's listeners.
OPEN_PORTS = {ISTIO_NAMESPACE: [ISTIOD_WEBHOOK_PORT], INGRESS_NAMESPACE: [80, 443],
              CERT_MANAGER_NAMESPACE: [10250], KYVERNO_NAMESPACE: [9443]}
# Ports of platform namespaces that do not serve tenants, open to tenant namespaces all the same.
TENANT_PORTS = {ISTIO_NAMESPACE: [ISTIOD_XDS_PORT]}
INGRESS_GATEWAY_NAME = "openova-ingress"
INGRESS_GATEWAY = "%s/%s" % (INGRESS_NAMESPACE, INGRESS_GATEWAY_NAME)
INGRESS_GATEWAY_SELECTOR = {"istio": "ingressgateway"}
INGRESS_TLS_SECRET = "openova-ingress-tls"
REDPANDA_CLUSTER = "redpanda"
REDPANDA_BOOTSTRAP = service_host(REDPANDA_CLUSTER, REDPANDA_NAMESPACE, 9093, cluster_local=True)
POSTGRES_CLUSTER = "platform-pg"
POSTGRES_PORT = 5432
POSTGRES_HOST = service_host(POSTGRES_CLUSTER + "-rw", DATA_NAMESPACE)
GRAFANA_NAMESPACE = OBSERVABILITY_NAMESPACE
GRAFANA_INSTANCE_LABELS = {"dashboards": "grafana"}
SCOPE_HEADER = "X-Scope-OrgID"
PLATFORM_TENANT = "platform"  # the X-Scope-OrgID of the platform's own telemetry
# Where Grafana queries each store, and where the collector pushes (OTLP over HTTP).
QUERY_URLS = {
    "loki": "http://" + service_host("loki-gateway", OBSERVABILITY_NAMESPACE),
    "mimir": "http://" + service_host("mimir-query-frontend", OBSERVABILITY_NAMESPACE, 8080) + "/prometheus",
    "tempo": "http://" + service_host("tempo-query-frontend", OBSERVABILITY_NAMESPACE, 3200),
}
PUSH_URLS = {
    "loki": "http://" + service_host("loki-gateway", OBSERVABILITY_NAMESPACE),
    "mimir": "http://" + service_host("mimir-gateway", OBSERVABILITY_NAMESPACE),
    "tempo": "http://" + service_host("tempo-distributor", OBSERVABILITY_NAMESPACE, 4318),
}
OTEL_COLLECTOR = service_host("otel-opentelemetry-collector", OBSERVABILITY_NAMESPACE)
OTEL_PORTS = (4317, 4318)
LLM_GATEWAY_URL = "http://" + service_host("litellm-litellm-helm", LLM_GATEWAY_NAMESPACE, 4000)
HARBOR_SERVICE_URL = "http://" + service_host("harbor", HARBOR_NAMESPACE)

# ---------------------------------------------------------------- tiers and priorities
# Quota per namespace, per tier. Keys are the tenant spec's quota keys.
TIERS = {
    "small": dict(requests_cpu="2", requests_memory="4Gi", limits_cpu="4", limits_memory="8Gi",
                  pods=20, services=10, pvcs=5, storage="20Gi"),
    "medium": dict(requests_cpu="8", requests_memory="16Gi", limits_cpu="16", limits_memory="32Gi",
                   pods=50, services=25, pvcs=10, storage="100Gi"),
    "large": dict(requests_cpu="32", requests_memory="64Gi", limits_cpu="64", limits_memory="128Gi",
                  pods=200, services=50, pvcs=25, storage="500Gi"),
}
DEFAULT_TIER = "small"
PRIORITY_PLATFORM_CRITICAL = "openova-platform-critical"
PRIORITY_PLATFORM = "openova-platform"
PRIORITY_TENANT = "openova-tenant"
PRIORITY_CLASSES = (
    {"name": PRIORITY_PLATFORM_CRITICAL, "value": 1000000, "description": "Platform control planes and data services"},
    {"name": PRIORITY_PLATFORM, "value": 100000, "description": "Other platform workloads"},
    {"name": PRIORITY_TENANT, "value": 1000, "description": "Tenant workloads"},
)


# ---------------------------------------------------------------- for roles and playbooks
def as_dict(domain_name=None):
    """Every fact as plain data (what the ``platform_facts`` lookup returns), with the
    domain-derived values for ``domain_name`` (the default domain when empty)."""
    return copy.deepcopy({
        "domain": domain(domain_name),
        "registry_host": registry_host(domain_name),
        "harbor_url": harbor_url(domain_name),
        "ingress_hosts": ingress_hosts(domain_name),
        "field_manager": FIELD_MANAGER,
        "managed_labels": {MANAGED_BY_LABEL: MANAGED_BY},
        "tenant_label": TENANT_LABEL,
        "platform_label": PLATFORM_LABEL,
        "part_of_label": PART_OF_LABEL,
        "component_label": COMPONENT_LABEL,
        "namespace_labels": NAMESPACE_LABELS,
        "system_namespaces": list(SYSTEM_NAMESPACES),
        "platform_namespaces": list(PLATFORM_NAMESPACES),
        "component_namespaces": COMPONENT_NAMESPACES,
        "tenant_facing_namespaces": list(TENANT_FACING_NAMESPACES),
        "exempt_namespaces": list(EXEMPT_NAMESPACES),
        "namespaces": {
            "istio": ISTIO_NAMESPACE, "ingress": INGRESS_NAMESPACE, "cert_manager": CERT_MANAGER_NAMESPACE,
            "kyverno": KYVERNO_NAMESPACE, "redpanda": REDPANDA_NAMESPACE, "cnpg": CNPG_NAMESPACE,
            "data": DATA_NAMESPACE, "observability": OBSERVABILITY_NAMESPACE, "llm_gateway": LLM_GATEWAY_NAMESPACE,
            "harbor": HARBOR_NAMESPACE, "grafana": GRAFANA_NAMESPACE,
        },
        "reserved_names": list(RESERVED_NAMES),
        "reserved_prefixes": list(RESERVED_PREFIXES),
        "open_ports": OPEN_PORTS,
        "tenant_ports": TENANT_PORTS,
        "ingress_gateway": INGRESS_GATEWAY,
        "ingress_gateway_selector": INGRESS_GATEWAY_SELECTOR,
        "ingress_tls_secret": INGRESS_TLS_SECRET,
        "redpanda_cluster": REDPANDA_CLUSTER,
        "redpanda_bootstrap": REDPANDA_BOOTSTRAP,
        "postgres_cluster": POSTGRES_CLUSTER,
        "postgres_host": POSTGRES_HOST,
        "postgres_port": POSTGRES_PORT,
        "grafana_instance_labels": GRAFANA_INSTANCE_LABELS,
        "scope_header": SCOPE_HEADER,
        "platform_tenant": PLATFORM_TENANT,
        "query_urls": QUERY_URLS,
        "push_urls": PUSH_URLS,
        "otel_collector": OTEL_COLLECTOR,
        "llm_gateway_url": LLM_GATEWAY_URL,
        "harbor_service_url": HARBOR_SERVICE_URL,
        "tiers": TIERS,
        "priority_classes": [dict(pc) for pc in PRIORITY_CLASSES],
    })
