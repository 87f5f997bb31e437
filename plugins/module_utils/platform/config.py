# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The platform_config module's options, written once (argument spec and
documentation come from here; defaults from facts.py), and ``normalize``, which
checks them and turns them into the config the renderers take. Pure: no I/O."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.openova.platform.plugins.module_utils import facts
from ansible_collections.openova.platform.plugins.module_utils import validation as kit
from ansible_collections.openova.platform.plugins.module_utils.options import opt
from ansible_collections.openova.platform.plugins.module_utils.platform.render import PHASES

MTLS_MODES = ("STRICT", "PERMISSIVE")

PRIORITY_CLASS_OPTIONS = dict(
    name=opt("str", "Name of the PriorityClass.", required=True),
    value=opt("int", "Its priority.", required=True),
    description=opt("str", "What it is for.", required=True),
)

OPTIONS = dict(
    phase=opt("str", [
        "V(prepare) applies the platform namespaces of O(components) and the PriorityClasses; run it before the "
        "components, whose pods use them.",
        "V(configure) applies, for the installed O(components), mesh-wide mTLS and the ingress Gateway (C(istio)), a "
        "C(openova-platform-ingress) NetworkPolicy in every platform namespace, and the platform's own Grafana "
        "datasources with the observability wiring ConfigMap (C(observability)).",
        "Each phase prunes the objects it applied earlier and no longer renders (say, the datasources once "
        "C(observability) is left out); platform Namespaces are never deleted."], required=True, choices=list(PHASES)),
    components=opt("list", "The installed (or selected) components; objects of the others are not rendered.",
                   elements="str", choices=list(facts.COMPONENTS), default=list(facts.COMPONENTS)),
    domain=opt("str", "The platform domain; the ingress Gateway serves C(*.<domain>) unless O(gateway_hosts) is set.",
               default=facts.DOMAIN),
    mtls_mode=opt("str", "Mesh-wide mTLS mode (PeerAuthentication C(default) in O(istio_namespace)).",
                  default="STRICT", choices=list(MTLS_MODES)),
    istio_namespace=opt("str", "The Istio root namespace.", default=facts.ISTIO_NAMESPACE),
    gateway_namespace=opt("str", "Namespace of the ingress gateway pods and the shared Gateway.",
                          default=facts.INGRESS_NAMESPACE),
    gateway_name=opt("str", "Name of the shared Gateway that tenant VirtualServices bind to.",
                     default=facts.INGRESS_GATEWAY_NAME),
    gateway_selector=opt("dict", "Label selector of the ingress gateway pods.",
                         default=dict(facts.INGRESS_GATEWAY_SELECTOR)),
    gateway_hosts=opt("list", "Hosts the shared Gateway serves. Defaults to C(*.<domain>).", elements="str"),
    gateway_tls_secret=opt("str", "Name of the Secret (in O(gateway_namespace)) with the Gateway's TLS certificate.",
                           default=facts.INGRESS_TLS_SECRET, no_log=False),
    namespaces=opt("dict", "Platform namespaces per component.", default=copy.deepcopy(facts.COMPONENT_NAMESPACES)),
    tenant_facing=opt("list", "Platform namespaces tenant pods may connect to on every port.", elements="str",
                      default=list(facts.TENANT_FACING_NAMESPACES)),
    tenant_ports=opt("dict", "Ports of other platform namespaces that tenant pods may connect to, by namespace "
                     "(istiod's xDS and CA port for the tenants' sidecars).",
                     default=copy.deepcopy(facts.TENANT_PORTS)),
    open_ports=opt("dict", "Ports open to any source, by namespace: admission webhooks the API server calls and the "
                   "ingress gateway's listeners.", default=copy.deepcopy(facts.OPEN_PORTS)),
    priority_classes=opt("list", "The platform's PriorityClasses; none is the global default.", elements="dict",
                         options=PRIORITY_CLASS_OPTIONS, default=[dict(pc) for pc in facts.PRIORITY_CLASSES]),
    grafana_namespace=opt("str", "Namespace of the Grafana instance (grafana-operator).",
                          default=facts.GRAFANA_NAMESPACE),
    grafana_instance_labels=opt("dict", "Labels that select the Grafana instance.",
                                default=dict(facts.GRAFANA_INSTANCE_LABELS)),
    platform_tenant=opt("str", "The C(X-Scope-OrgID) of the platform's own telemetry.", default=facts.PLATFORM_TENANT),
    query_urls=opt("dict", "URLs Grafana queries Loki, Mimir and Tempo at (keys C(loki), C(mimir), C(tempo)).",
                   default=dict(facts.QUERY_URLS)),
    prune=opt("bool", "Delete objects of this phase that an earlier run applied and this one no longer renders.",
              default=True),
)


def _ports(problems, field, value):
    out = {}
    for ns, numbers in sorted((value or {}).items()):
        if not kit.is_dns1123_label(ns):
            problems.add("%s.%s" % (field, ns), "%r is not a namespace name" % (ns,))
        if not isinstance(numbers, list):
            problems.add("%s.%s" % (field, ns), "must be a list of port numbers")
            continue
        out[ns] = []
        for i, number in enumerate(numbers):
            if isinstance(number, str) and number.isdigit():
                number = int(number)
            if kit.check_int(problems, "%s.%s[%d]" % (field, ns, i), number, 1, 65535):
                out[ns].append(number)
    return out


def normalize(params):
    """The renderers' config from the module's params; SpecError naming every bad field."""
    problems = kit.Problems(subject="platform_config")
    given = dict((k, params.get(k)) for k in OPTIONS)
    config = kit.normalize(given, OPTIONS, "", problems)
    namespaces = {}
    for component, names in sorted((config["namespaces"] or {}).items()):
        if component not in facts.COMPONENTS:
            problems.add("namespaces.%s" % component, "is not a component; use one of %s" % ", ".join(facts.COMPONENTS))
            continue
        if not isinstance(names, list):
            problems.add("namespaces.%s" % component, "must be a list of namespace names")
            continue
        for i, ns in enumerate(names):
            kit.check_name(problems, "namespaces.%s[%d]" % (component, i), ns)
        namespaces[component] = list(names)
    for key in ("istio_namespace", "gateway_namespace", "grafana_namespace"):
        if config.get(key) is not None:
            kit.check_name(problems, key, config[key])
    for i, ns in enumerate(config["tenant_facing"] or []):
        kit.check_name(problems, "tenant_facing[%d]" % i, ns)
    for i, pc in enumerate(config["priority_classes"] or []):
        kit.check_name(problems, "priority_classes[%d].name" % i, pc.get("name"), max_len=kit.SUBDOMAIN_MAX,
                       kind="DNS-1123 subdomain")
        kit.check_int(problems, "priority_classes[%d].value" % i, pc.get("value"), -2147483648, 1000000000)
    for key, labels in (("gateway_selector", config["gateway_selector"]),
                        ("grafana_instance_labels", config["grafana_instance_labels"])):
        for name, value in sorted((labels or {}).items()):
            kit.check_label_value(problems, "%s.%s" % (key, name), value)
    unknown = sorted(set(config["query_urls"] or {}) - {"loki", "mimir", "tempo"})
    missing = sorted({"loki", "mimir", "tempo"} - set(config["query_urls"] or {}))
    if unknown or missing:
        problems.add("query_urls", "needs exactly the keys loki, mimir and tempo (unknown: %s; missing: %s)" % (
            ", ".join(unknown) or "none", ", ".join(missing) or "none"))
    config["open_ports"] = _ports(problems, "open_ports", config["open_ports"])
    config["tenant_ports"] = _ports(problems, "tenant_ports", config["tenant_ports"])
    problems.raise_if_any()
    config["namespaces"] = namespaces
    config["gateway"] = {"name": config.pop("gateway_name"), "namespace": config.pop("gateway_namespace"),
                         "selector": config.pop("gateway_selector"), "tls_secret": config.pop("gateway_tls_secret"),
                         "hosts": config.pop("gateway_hosts") or facts.ingress_hosts(config["domain"])}
    return config


# ---------------------------------------------------------------- platform_objects
SECRET_OPTIONS = dict(
    name=opt("str", "Name of the Secret.", required=True),
    namespace=opt("str", "Its namespace.", required=True),
    type=opt("str", "Its type.", default="Opaque"),
    data=opt("dict", "Values of a generated Secret; C({password}) in a value is replaced by a random password of 32 "
             "letters and digits. Generated once: an existing Secret keeps its values.", no_log=True),
    copy_from=opt("dict", "C(namespace) and C(name) of a Secret whose data is copied (once; an existing Secret keeps "
                  "its values). The task fails when the source does not exist yet, except in check mode."),
)

RESOURCE_OPTIONS = dict(
    type=opt("str", [
        "What to render: V(redpanda_cluster) a Redpanda resource with O(resources[].spec) as its C(clusterSpec);",
        "V(cnpg_cluster) a CloudNativePG Cluster with O(resources[].spec), whose managed roles own "
        "O(resources[].databases) (passwords from the Secrets C(<database>-db)), and one Database per database;",
        "V(grafana) a Grafana instance (grafana-operator) with O(resources[].spec), labelled "
        "O(resources[].instance_labels)."], required=True, choices=["redpanda_cluster", "cnpg_cluster", "grafana"]),
    name=opt("str", "Name of the resource.", required=True),
    namespace=opt("str", "Its namespace.", required=True),
    spec=opt("dict", "Its spec.", required=True),
    databases=opt("list", "With V(cnpg_cluster): the platform services' databases.", elements="str", default=[]),
    instance_labels=opt("dict", "With V(grafana): the labels GrafanaFolder and GrafanaDatasource resources select the "
                        "instance by.", default=dict(facts.GRAFANA_INSTANCE_LABELS)),
)

OBJECTS_OPTIONS = dict(
    component=opt("str", "The component (role) the objects belong to; they are labelled C(%s=<component>), which is "
                  "how a later run finds what to prune." % facts.COMPONENT_LABEL, required=True),
    state=opt("str", [
        "V(present) applies the namespaces, Secrets and resources and prunes the component's objects that are no "
        "longer listed.",
        "V(absent) deletes every object labelled as the component's (never a Namespace) and waits until they are "
        "gone, so that an operator can finish with them before it is uninstalled."],
        default="present", choices=["present", "absent"]),
    namespaces=opt("list", "Platform namespaces to ensure, labelled as C(platform_config) labels them.",
                   elements="str", default=[]),
    secrets=opt("list", "Generated or copied Secrets, never rotated.", elements="dict", default=[],
                options=SECRET_OPTIONS, no_log=False),
    resources=opt("list", "Custom resources of the component, rendered by the collection.", elements="dict",
                  default=[], options=RESOURCE_OPTIONS),
    prune=opt("bool", "With O(state=present), delete the component's objects that this run no longer lists.",
              default=True),
    wait_timeout=opt("int", "With O(state=absent), seconds to wait for the deleted objects to be gone.", default=600),
)
