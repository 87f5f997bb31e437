# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The OpenTelemetry Collector configuration, rendered once for the observability
role (chart values) and the tenant module (the routing ConfigMap). Pure: no I/O,
no clock; the same input gives the same output.

How a tenant's org id is chosen, and why it cannot be forged:

- the OTLP receivers keep no client metadata (``include_metadata: false``), so
  no header a workload sends reaches an exporter;
- ``resource/strip`` deletes every ``k8s.*`` and ``openova.*`` resource
  attribute the workload sent. k8sattributes never overwrites an attribute that
  is already set, and for a pod it cannot identify it would look a namespace up
  by a ``k8s.namespace.name`` taken from the data;
- ``k8sattributes`` identifies the sending pod by the connection's peer address
  only, and copies the pod's namespace labels ``openova.io/tenant`` and
  ``openova.io/platform`` from the API server into ``openova.tenant`` and
  ``openova.platform``;
- the routing connectors send each tenant to exporters that carry its own static
  ``X-Scope-OrgID``, platform namespaces to the platform org, and everything
  else (no tenant label, an unknown pod, a tenant not yet in the table) to a
  pipeline that only counts and drops it.

The stock collector cannot set an outgoing header from a resource attribute
(headers_setter reads request metadata or authenticator attributes only), so
the routing table names every tenant. It lives in a second configuration file,
``routing.yaml`` in the ConfigMap rendered by :func:`routing_configmap`, which
tenant onboarding and offboarding rewrite. A sidecar in the collector pod sends
SIGHUP when the mounted file changes, and the collector rebuilds its pipelines
in-process (no pod or process restart).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import re

from ansible_collections.openova.platform.plugins.module_utils import facts
from ansible_collections.openova.platform.plugins.module_utils import validation as kit
from ansible_collections.openova.platform.plugins.module_utils.errors import SpecError
from ansible_collections.openova.platform.plugins.module_utils.tenant.render import meta

# (signal, store) in pipeline order.
SIGNALS = (("logs", "loki"), ("metrics", "mimir"), ("traces", "tempo"))
TENANT_ATTRIBUTE = "openova.tenant"
PLATFORM_ATTRIBUTE = "openova.platform"
PLATFORM_LABEL = facts.PLATFORM_LABEL
SCOPE_HEADER = facts.SCOPE_HEADER
ROUTING_KEY = "routing.yaml"
SETTINGS_KEY = "settings.json"

DEFAULTS = {
    "namespace": facts.OBSERVABILITY_NAMESPACE,
    "routing_configmap": facts.OTEL_ROUTING_CONFIGMAP,
    "tenant_label": meta.TENANT_LABEL,
    "platform_label": PLATFORM_LABEL,
    "platform_tenant": facts.PLATFORM_TENANT,
    "endpoints": {
        "loki": facts.PUSH_URLS["loki"] + "/otlp",
        "mimir": facts.PUSH_URLS["mimir"] + "/otlp",
        "tempo": facts.PUSH_URLS["tempo"],
    },
    "listen_address": "${env:MY_POD_IP}",
    "ports": {"otlp_grpc": 4317, "otlp_http": 4318, "health": 13133, "metrics": 8888},
    "k8s_auth": "serviceAccount",
    "node_env": "K8S_NODE_NAME",
    "routing_dir": "/conf/routing",
    "reloader_image": "docker.io/library/busybox:1.37.0",
    "reloader_interval": 5,
    "process_name": "otelcol-k8s",
}
K8S_AUTH = ("serviceAccount", "kubeConfig")


def normalize_settings(settings=None):
    """The collector settings with defaults filled in; raises SpecError naming
    every bad field."""
    out = copy.deepcopy(DEFAULTS)
    for key, value in (settings or {}).items():
        if key not in DEFAULTS:
            raise SpecError([(key, "is not a collector setting; known: %s" % ", ".join(sorted(DEFAULTS)))])
        if isinstance(DEFAULTS[key], dict):
            unknown = sorted(set(value or {}) - set(DEFAULTS[key]))
            if unknown:
                raise SpecError([("%s.%s" % (key, k), "is not known; known: %s" % ", ".join(sorted(DEFAULTS[key])))
                                 for k in unknown])
            out[key].update(value or {})
        elif value is not None:
            out[key] = value
    problems = []
    for key in ("namespace", "routing_configmap", "platform_tenant"):
        if not isinstance(out[key], str) or not kit.is_dns1123_label(out[key]):
            problems.append((key, "%r must be a DNS-1123 label" % (out[key],)))
    for store in ("loki", "mimir", "tempo"):
        url = out["endpoints"][store]
        if not isinstance(url, str) or not re.match(r"^https?://[^/\s]+", url):
            problems.append(("endpoints.%s" % store, "%r must be an http(s) URL" % (url,)))
    for name, port in sorted(out["ports"].items()):
        if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
            problems.append(("ports.%s" % name, "%r must be a port number" % (port,)))
    if out["k8s_auth"] not in K8S_AUTH:
        problems.append(("k8s_auth", "%r must be one of %s" % (out["k8s_auth"], ", ".join(K8S_AUTH))))
    if not isinstance(out["reloader_interval"], int) or out["reloader_interval"] < 1:
        problems.append(("reloader_interval", "%r must be a positive number of seconds" % (out["reloader_interval"],)))
    if problems:
        raise SpecError(problems, subject="collector settings")
    return out


def check_tenants(tenants, settings):
    """Sorted, unique tenant names; SpecError for a name that cannot be an org id."""
    problems = []
    for name in tenants:
        if not isinstance(name, str) or not kit.is_dns1123_label(name):
            problems.append(("tenant %r" % (name,), "is not a DNS-1123 label, so it cannot be an org id"))
        elif name == settings["platform_tenant"]:
            problems.append(("tenant %s" % name, "is the platform's own org id (%s); choose another tenant name"
                             % settings["platform_tenant"]))
    if problems:
        raise SpecError(problems)
    return sorted(set(tenants))


def _org_pipeline(org, platform_tenant):
    """The pipeline and exporter suffix of an org: ``platform`` or ``tenant-<name>``."""
    return org if org == platform_tenant else "tenant-" + org


def _exporter(settings, store, org):
    return {"endpoint": settings["endpoints"][store], "headers": {SCOPE_HEADER: org}}


def _routing_connectors(settings, tenants):
    platform = settings["platform_tenant"]
    out = {}
    for signal, _store in SIGNALS:
        table = [{"context": "resource", "condition": 'attributes["%s"] == "true"' % PLATFORM_ATTRIBUTE,
                  "pipelines": ["%s/%s" % (signal, platform)]}]
        table += [{"context": "resource", "condition": 'attributes["%s"] == "%s"' % (TENANT_ATTRIBUTE, tenant),
                   "pipelines": ["%s/%s" % (signal, _org_pipeline(tenant, platform))]} for tenant in tenants]
        out["routing/%s" % signal] = {"default_pipelines": ["%s/dropped" % signal], "table": table}
    return out


def _org_parts(settings, orgs):
    """Exporters and pipelines of these orgs."""
    exporters, pipelines = {}, {}
    for org in orgs:
        suffix = _org_pipeline(org, settings["platform_tenant"])
        for signal, store in SIGNALS:
            exporter = "otlphttp/%s-%s" % (store, suffix)
            exporters[exporter] = _exporter(settings, store, org)
            pipelines["%s/%s" % (signal, suffix)] = {
                "receivers": ["routing/%s" % signal], "processors": ["batch"], "exporters": [exporter]}
    return exporters, pipelines


def render_base_config(settings):
    """The collector configuration the chart installs (``alternateConfig``):
    receivers, the identifying processors, the platform org and the drop
    pipelines. Valid on its own; :func:`render_routing_config` adds the tenants."""
    s = normalize_settings(settings)
    listen, ports = s["listen_address"], s["ports"]
    k8sattributes = {
        "auth_type": s["k8s_auth"],
        "passthrough": False,
        "pod_association": [{"sources": [{"from": "connection"}]}],
        "extract": {
            "metadata": ["k8s.namespace.name", "k8s.pod.name", "k8s.pod.uid", "k8s.node.name",
                         "k8s.deployment.name"],
            "labels": [{"tag_name": TENANT_ATTRIBUTE, "key": s["tenant_label"], "from": "namespace"},
                       {"tag_name": PLATFORM_ATTRIBUTE, "key": s["platform_label"], "from": "namespace"}],
        },
    }
    if s["node_env"]:
        k8sattributes["filter"] = {"node_from_env_var": s["node_env"]}
    exporters, pipelines = _org_parts(s, [s["platform_tenant"]])
    exporters["debug/dropped"] = {"verbosity": "basic"}
    for signal, _store in SIGNALS:
        pipelines["%s/in" % signal] = {"receivers": ["otlp"],
                                       "processors": ["memory_limiter", "resource/strip", "k8sattributes"],
                                       "exporters": ["routing/%s" % signal]}
        pipelines["%s/dropped" % signal] = {"receivers": ["routing/%s" % signal], "exporters": ["debug/dropped"]}
    return {
        "receivers": {"otlp": {"protocols": {
            "grpc": {"endpoint": "%s:%d" % (listen, ports["otlp_grpc"]), "include_metadata": False},
            "http": {"endpoint": "%s:%d" % (listen, ports["otlp_http"]), "include_metadata": False}}}},
        "processors": {
            "memory_limiter": {"check_interval": "1s", "limit_percentage": 80, "spike_limit_percentage": 25},
            "resource/strip": {"attributes": [{"action": "delete", "pattern": r"^k8s\."},
                                              {"action": "delete", "pattern": r"^openova\."}]},
            "k8sattributes": k8sattributes,
            "batch": {},
        },
        "connectors": _routing_connectors(s, []),
        "exporters": exporters,
        "extensions": {"health_check": {"endpoint": "%s:%d" % (listen, ports["health"])}},
        "service": {
            "extensions": ["health_check"],
            "telemetry": {"metrics": {"readers": [{"pull": {"exporter": {"prometheus": {
                "host": listen, "port": ports["metrics"]}}}}]}},
            "pipelines": pipelines,
        },
    }


def render_routing_config(settings, tenants):
    """The second configuration file: every tenant's exporters and pipelines and
    the complete routing tables (the collector merges maps and replaces lists,
    so the tables here replace the base file's)."""
    s = normalize_settings(settings)
    names = check_tenants(tenants, s)
    exporters, pipelines = _org_parts(s, names)
    return {"connectors": _routing_connectors(s, names), "exporters": exporters,
            "service": {"pipelines": pipelines}}


def merge(base, overlay):
    """What the collector does with two configuration files: maps merge, other
    values (lists included) are replaced."""
    out = copy.deepcopy(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def render_config(settings, tenants):
    """The effective configuration: base and routing file merged."""
    return merge(render_base_config(settings), render_routing_config(settings, tenants))


def dump(config):
    """A configuration file's text. JSON is YAML; keys sorted, so the text is stable."""
    return json.dumps(config, indent=2, sort_keys=True) + "\n"


def routing_configmap(settings, tenants):
    """The ConfigMap the collector reads its routing from; it also records the
    settings, so tenant onboarding renders the same file without the role's
    variables."""
    s = normalize_settings(settings)
    return meta.obj("v1", "ConfigMap", s["routing_configmap"], s["namespace"], extra_labels={
        "app.kubernetes.io/component": "otel-routing"}, data={
        ROUTING_KEY: dump(render_routing_config(s, tenants)),
        SETTINGS_KEY: json.dumps(s, indent=2, sort_keys=True) + "\n"})


def settings_from_configmap(configmap):
    """The settings recorded in a live routing ConfigMap."""
    raw = ((configmap or {}).get("data") or {}).get(SETTINGS_KEY)
    if not raw:
        raise SpecError([("ConfigMap %s" % ((configmap or {}).get("metadata") or {}).get("name"),
                          "has no %s; re-run site.yml --tags observability" % SETTINGS_KEY)])
    return normalize_settings(json.loads(raw))


def tenants_from_namespaces(namespaces, tenant_label=facts.TENANT_LABEL):
    """Tenant names from live Namespaces: the tenant label of every namespace
    the platform manages."""
    out = set()
    for ns in namespaces:
        labels = (ns.get("metadata") or {}).get("labels") or {}
        if labels.get(facts.MANAGED_BY_LABEL) == facts.MANAGED_BY and labels.get(tenant_label) \
                and not (ns.get("metadata") or {}).get("deletionTimestamp"):
            out.add(labels[tenant_label])
    return sorted(out)


RELOADER_SCRIPT = """\
# Sends SIGHUP to the collector when the mounted routing file changes; the
# collector then rebuilds its pipelines from both configuration files.
last=""
while true; do
  sum="$(md5sum "$ROUTING_FILE" 2>/dev/null)"
  if [ -n "$last" ] && [ "$sum" != "$last" ]; then
    pid="${OTELCOL_PID:-$(pidof "$OTELCOL_NAME")}"
    if [ -z "$pid" ] || ! kill -HUP $pid; then
      echo "routing changed; no collector process to signal yet, retrying" >&2
      sleep "$INTERVAL"
      continue
    fi
    echo "routing changed; sent SIGHUP to $pid"
  fi
  last="$sum"
  sleep "$INTERVAL"
done
"""


def reloader_env(settings):
    s = normalize_settings(settings)
    return {"ROUTING_FILE": "%s/%s" % (s["routing_dir"], ROUTING_KEY), "OTELCOL_NAME": s["process_name"],
            "INTERVAL": str(s["reloader_interval"])}


def chart_values(settings):
    """Values for the opentelemetry-collector chart that carry the configuration:
    ``alternateConfig`` (the chart merges nothing into it), the routing file as a
    second ``--config``, its reloader sidecar, and the RBAC k8sattributes needs.
    The kubernetesAttributes preset stays off: it would add ``otel_annotations``,
    which turns pod annotations (set by the workload) into resource attributes."""
    s = normalize_settings(settings)
    security = {"runAsNonRoot": True, "runAsUser": 10001, "readOnlyRootFilesystem": True,
                "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                "seccompProfile": {"type": "RuntimeDefault"}}
    return {
        "alternateConfig": render_base_config(s),
        "presets": {"kubernetesAttributes": {"enabled": False}},
        "clusterRole": {"create": True, "rules": [
            {"apiGroups": [""], "resources": ["pods", "namespaces"], "verbs": ["get", "list", "watch"]},
            {"apiGroups": ["apps"], "resources": ["replicasets"], "verbs": ["get", "list", "watch"]}]},
        "extraEnvs": [{"name": s["node_env"], "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}]
        if s["node_env"] else [],
        "command": {"extraArgs": ["--config=%s/%s" % (s["routing_dir"], ROUTING_KEY)]},
        "extraVolumes": [{"name": "otel-routing", "configMap": {"name": s["routing_configmap"]}}],
        "extraVolumeMounts": [{"name": "otel-routing", "mountPath": s["routing_dir"], "readOnly": True}],
        "securityContext": security,
        "shareProcessNamespace": True,
        "extraContainers": [{
            "name": "routing-reloader", "image": s["reloader_image"],
            "command": ["sh", "-c", RELOADER_SCRIPT],
            "env": [{"name": k, "value": v} for k, v in sorted(reloader_env(s).items())],
            "volumeMounts": [{"name": "otel-routing", "mountPath": s["routing_dir"], "readOnly": True}],
            "securityContext": security,
            "resources": {"requests": {"cpu": "5m", "memory": "8Mi"}, "limits": {"cpu": "50m", "memory": "32Mi"}},
        }],
    }


def components(config):
    """{kind: sorted component types} a configuration uses, as the builder
    manifest names the kinds (providers: the URI schemes besides the default)."""
    out = {}
    for kind in ("receivers", "processors", "connectors", "exporters", "extensions"):
        out[kind] = sorted({name.split("/", 1)[0] for name in (config.get(kind) or {})})
    return out
