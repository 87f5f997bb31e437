# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The platform-wide configuration, rendered from a normalized config (see
config.py): the platform namespaces and PriorityClasses (phase ``prepare``, before
the components), and mesh-wide mTLS, the ingress Gateway, the platform
NetworkPolicies, the platform's own Grafana datasources and the observability
wiring (phase ``configure``, after them). Built from the same parts as the tenant
objects (objects.py). Pure: no I/O, deterministic order."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.openova.platform.plugins.module_utils import facts
from ansible_collections.openova.platform.plugins.module_utils import objects as o

PHASE_LABEL = "openova.io/platform-phase"
PHASES = ("prepare", "configure")
NETWORK_POLICY = "openova-platform-ingress"
WIRING_CONFIGMAP = "openova-observability-wiring"
ISTIO_SECURITY = "security.istio.io/v1"
ISTIO_NETWORKING = "networking.istio.io/v1"
DATASOURCES = (("loki", "loki"), ("mimir", "prometheus"), ("tempo", "tempo"))


def labels(phase):
    """Ownership labels of the platform configuration's objects, per phase (each phase
    prunes only its own)."""
    return facts.managed_labels(part_of=facts.PART_OF_PLATFORM, **{PHASE_LABEL: phase})


def owned_selector(phase):
    return facts.selector(labels(phase))


def platform_namespaces(config):
    """The namespaces of the selected components, install order."""
    out = []
    for component in facts.COMPONENTS:
        if component in config["components"]:
            out.extend(ns for ns in config["namespaces"].get(component, []) if ns not in out)
    return out


# ---------------------------------------------------------------- prepare
def platform_namespace(name):
    """A platform Namespace: the platform label and the namespace's own labels (facts.NAMESPACE_LABELS).
    The same object wherever it is applied (here and by platform_objects), so that no two writers
    take each other's labels away."""
    own = dict(facts.NAMESPACE_LABELS.get(name, {}), **{facts.PLATFORM_LABEL: "true"})
    return o.namespace(name, dict(labels("prepare"), **own))


def render_namespaces(config):
    """One Namespace per platform namespace of the selected components."""
    return [platform_namespace(ns) for ns in platform_namespaces(config)]


def render_priority_classes(config):
    """The platform's PriorityClasses; none is the global default."""
    return [o.obj("scheduling.k8s.io/v1", "PriorityClass", pc["name"], labels=labels("prepare"), value=int(pc["value"]),
                  globalDefault=False, preemptionPolicy="PreemptLowerPriority", description=pc["description"])
            for pc in config["priority_classes"]]


# ---------------------------------------------------------------- configure
def render_mesh(config):
    """STRICT (or the configured) mesh-wide mTLS and the shared ingress Gateway."""
    if "istio" not in config["components"]:
        return []
    gateway = config["gateway"]
    servers = [
        {"port": {"number": 443, "name": "https", "protocol": "HTTPS"}, "hosts": list(gateway["hosts"]),
         "tls": {"mode": "SIMPLE", "credentialName": gateway["tls_secret"], "minProtocolVersion": "TLSV1_2"}},
        {"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": list(gateway["hosts"]),
         "tls": {"httpsRedirect": True}},
    ]
    return [
        o.obj(ISTIO_SECURITY, "PeerAuthentication", "default", config["istio_namespace"], labels("configure"),
              spec={"mtls": {"mode": config["mtls_mode"]}}),
        o.obj(ISTIO_NETWORKING, "Gateway", gateway["name"], gateway["namespace"], labels("configure"),
              spec={"selector": dict(gateway["selector"]), "servers": servers}),
    ]


def render_network_policies(config):
    """Per platform namespace, ``openova-platform-ingress``: its own pods and the platform
    namespaces may connect; tenant namespaces too when the namespace serves tenants
    (data services, collector, LLM gateway, registry), or only on ``tenant_ports`` (istiod's
    xDS and CA port 15012 for tenant sidecars); anyone on ``open_ports`` (webhooks the API
    server calls, the ingress gateway's listeners)."""
    tenants = o.labelled_namespaces_peer(facts.TENANT_LABEL)
    platform = o.labelled_namespaces_peer(facts.PLATFORM_LABEL, "true")
    out = []
    for ns in platform_namespaces(config):
        peers = [o.same_namespace_peer(), platform]
        if ns in config["tenant_facing"]:
            peers.append(tenants)
        rules = [o.rule(peers)]
        if ns not in config["tenant_facing"] and config["tenant_ports"].get(ns):
            rules.append(o.rule([tenants], o.ports(config["tenant_ports"][ns])))
        if config["open_ports"].get(ns):
            rules.append(o.rule(port_list=o.ports(config["open_ports"][ns])))
        out.append(o.network_policy(NETWORK_POLICY, ns, labels("configure"), ingress=rules))
    return out


def render_observability(config):
    """The platform's own Loki, Mimir and Tempo datasources (X-Scope-OrgID of the platform
    tenant) and the wiring ConfigMap that tells tenant onboarding how to reach them."""
    if "observability" not in config["components"]:
        return []
    ns, org = config["grafana_namespace"], config["platform_tenant"]
    out = [o.grafana_datasource("platform-%s-%s" % (org, store), ns, labels("configure"), "%s-%s" % (store, org),
                                "%s (%s)" % (store.capitalize(), org), ds_type, config["query_urls"][store], org,
                                config["grafana_instance_labels"])
           for store, ds_type in DATASOURCES]
    data = {"header": facts.SCOPE_HEADER, "tenant-label": facts.TENANT_LABEL,
            "grafana-instance-labels": json.dumps(config["grafana_instance_labels"], sort_keys=True)}
    data.update((store, config["query_urls"][store]) for store, _type in DATASOURCES)
    out.append(o.obj("v1", "ConfigMap", WIRING_CONFIGMAP, ns, labels("configure"), data=data))
    return out


def render_platform(config, phase):
    """Every object of one phase, in a fixed order."""
    if phase == "prepare":
        return render_priority_classes(config) + render_namespaces(config)
    return render_mesh(config) + render_network_policies(config) + render_observability(config)
