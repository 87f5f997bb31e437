# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tenant workload rules: ONE table from which the Kyverno ClusterPolicies
are rendered (policies.py) and the offline verdicts are computed (check.py).
Pure: no I/O, no clock. Each rule pairs a Kyverno validate block with a Python
check that implements the same JMESPath semantics (see _truthy)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.openova.platform.plugins.module_utils import facts

TENANT_LABEL = facts.TENANT_LABEL
DEFAULT_REGISTRY = facts.registry_host()
HOSTNAME_KEY = "kubernetes.io/hostname"
ZONE_KEY = "topology.kubernetes.io/zone"
# Exempt from the rules: exactly the system and platform namespaces (facts.py reserves them, so
# no tenant can take one of these names).
DEFAULT_PLATFORM_NAMESPACES = facts.EXEMPT_NAMESPACES
# Containers the mesh injects at admission: exempt from the probe rule only
# (istio-proxy has a readiness probe but no liveness probe).
DEFAULT_PROBE_EXEMPT = ("istio-proxy",)
# Images the mesh injects at admission, allowed besides the tenant's project.
DEFAULT_EXTRA_IMAGES = ("docker.io/istio/proxyv2:*", "gcr.io/istio-release/proxyv2:*")
# PriorityClasses tenant pods may name (none is the cluster's default, priority 0).
DEFAULT_PRIORITY_CLASSES = (facts.PRIORITY_TENANT,)
# Gateways a tenant VirtualService may bind: the platform's ingress Gateway and the mesh (sidecars).
TENANT_GATEWAYS = (facts.INGRESS_GATEWAY, "mesh")
# Istio's own parsing of sidecar.istio.io/inject: any other non-empty value disables injection.
ISTIO_INJECT_ON = ("y", "yes", "true", "on")
ISTIO_INJECT_KEY = "sidecar.istio.io/inject"

POD_KINDS = {
    # kind: (pod spec path, pod metadata path), as key lists
    "Pod": (("spec",), ("metadata",)),
    "Deployment": (("spec", "template", "spec"), ("spec", "template", "metadata")),
    "StatefulSet": (("spec", "template", "spec"), ("spec", "template", "metadata")),
    "DaemonSet": (("spec", "template", "spec"), ("spec", "template", "metadata")),
    "ReplicaSet": (("spec", "template", "spec"), ("spec", "template", "metadata")),
    "ReplicationController": (("spec", "template", "spec"), ("spec", "template", "metadata")),
    "Job": (("spec", "template", "spec"), ("spec", "template", "metadata")),
    "CronJob": (("spec", "jobTemplate", "spec", "template", "spec"),
                ("spec", "jobTemplate", "spec", "template", "metadata")),
}
PDB_KINDS = ("Deployment", "StatefulSet")


class Params:
    """The rule parameters shared by the renderer and the checker."""

    def __init__(self, tenant=None, registry=DEFAULT_REGISTRY, tenant_label=TENANT_LABEL,
                 platform_namespaces=DEFAULT_PLATFORM_NAMESPACES, action="Enforce", pdb_mode="generate",
                 zone_spread=False, probe_exempt=DEFAULT_PROBE_EXEMPT, extra_images=DEFAULT_EXTRA_IMAGES,
                 domain=None, priority_classes=DEFAULT_PRIORITY_CLASSES, tenant_namespaces=None):
        self.tenant = tenant
        self.domain = facts.domain(domain)
        self.priority_classes = tuple(DEFAULT_PRIORITY_CLASSES if priority_classes is None else priority_classes)
        # The tenant's namespaces, for the offline check (Kyverno reads them from the API server);
        # None: the tenant name plus the namespaces of the checked objects.
        self.tenant_namespaces = None if tenant_namespaces is None else tuple(tenant_namespaces)
        self.registry = (registry or DEFAULT_REGISTRY).rstrip("/")
        self.tenant_label = tenant_label or TENANT_LABEL
        # None means "the default"; an empty list means "none".
        self.platform_namespaces = tuple(DEFAULT_PLATFORM_NAMESPACES if platform_namespaces is None
                                         else platform_namespaces)
        self.action = action or "Enforce"
        self.pdb_mode = pdb_mode or "generate"
        self.zone_spread = bool(zone_spread)
        self.probe_exempt = tuple(DEFAULT_PROBE_EXEMPT if probe_exempt is None else probe_exempt)
        self.extra_images = tuple(DEFAULT_EXTRA_IMAGES if extra_images is None else extra_images)

    def spread_keys(self):
        return [HOSTNAME_KEY, ZONE_KEY] if self.zone_spread else [HOSTNAME_KEY]

    def image_patterns(self, tenant):
        return ["%s/%s/*" % (self.registry, tenant or "")] + list(self.extra_images)


# ---------------------------------------------------------------- JMESPath mirror helpers
def _truthy(value):
    """JMESPath truthiness: false, null, "", [] and {} are false; 0 is true."""
    return not (value is None or value is False or value == "" or value == [] or value == {})


def _jp_str(value):
    """JMESPath to_string: strings as they are, anything else as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return json.dumps(value, separators=(",", ":"))


def _get(obj, *keys):
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _list(value):
    return value if isinstance(value, list) else []


def _containers(pod_spec, with_init=True):
    """(field name, index, container) for regular, then init containers."""
    out = [("containers", i, c) for i, c in enumerate(_list(_get(pod_spec, "containers"))) if isinstance(c, dict)]
    if with_init:
        out += [("initContainers", i, c) for i, c in enumerate(_list(_get(pod_spec, "initContainers")))
                if isinstance(c, dict)]
    return out


def wildcard_match(pattern, value):
    """Kyverno's wildcard: * is any run of characters (including /), ? one character."""
    regex = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.match("^%s$" % regex, value or "", re.S) is not None


# ---------------------------------------------------------------- checks
# Each check takes (pod_spec, pod_meta, prefix, params, tenant) and returns a list of
# (field path, message) violations; an empty list is a pass.
def check_requests_limits(spec, meta, prefix, params, tenant):
    out = []
    for field, i, c in _containers(spec):
        missing = [name for name in ("requests.cpu", "requests.memory", "limits.cpu", "limits.memory")
                   if not _truthy(_get(c, "resources", *name.split(".")))]
        if missing:
            out.append(("%s.%s[%d].resources" % (prefix, field, i),
                        "container %r lacks resources %s" % (c.get("name"), ", ".join(missing))))
    return out


def check_probes(spec, meta, prefix, params, tenant):
    out = []
    for field, i, c in _containers(spec, with_init=False):
        if c.get("name") in params.probe_exempt:
            continue
        for probe in ("livenessProbe", "readinessProbe"):
            if not _truthy(c.get(probe)):
                out.append(("%s.%s[%d].%s" % (prefix, field, i, probe),
                            "container %r has no %s" % (c.get("name"), probe)))
    return out


def check_topology_spread(spec, meta, prefix, params, tenant):
    keys = [_get(t, "topologyKey") for t in _list(_get(spec, "topologySpreadConstraints"))]
    missing = [k for k in params.spread_keys() if k not in keys]
    if missing:
        return [("%s.topologySpreadConstraints" % prefix,
                 "no topologySpreadConstraints entry with topologyKey %s" % ", ".join(missing))]
    return []


def check_security_context(spec, meta, prefix, params, tenant):
    out = []
    pod_non_root = _get(spec, "securityContext", "runAsNonRoot") is True
    for field, i, c in _containers(spec):
        path = "%s.%s[%d].securityContext" % (prefix, field, i)
        own = _get(c, "securityContext", "runAsNonRoot")
        if own is False or (own is not True and not pod_non_root):
            out.append((path + ".runAsNonRoot", "container %r must run with runAsNonRoot: true" % c.get("name")))
        if _get(c, "securityContext", "readOnlyRootFilesystem") is not True:
            out.append((path + ".readOnlyRootFilesystem",
                        "container %r must set readOnlyRootFilesystem: true" % c.get("name")))
        if _get(c, "securityContext", "allowPrivilegeEscalation") is True:
            out.append((path + ".allowPrivilegeEscalation",
                        "container %r must set allowPrivilegeEscalation: false" % c.get("name")))
    return out


def check_images(spec, meta, prefix, params, tenant):
    patterns = params.image_patterns(tenant)
    out = []
    for field, i, c in _containers(spec):
        image = c.get("image")
        if not isinstance(image, str) or not any(wildcard_match(p, image) for p in patterns):
            wanted = "%s/%s/" % (params.registry, tenant or "<tenant>")
            out.append(("%s.%s[%d].image" % (prefix, field, i),
                        "image %r of container %r is not from %s" % (image, c.get("name"), wanted)))
    return out


def check_host_access(spec, meta, prefix, params, tenant):
    out = []
    for flag in ("hostNetwork", "hostPID", "hostIPC"):
        if _get(spec, flag) is True:
            out.append(("%s.%s" % (prefix, flag), "%s must not be true" % flag))
    for i, vol in enumerate(_list(_get(spec, "volumes"))):
        if _truthy(_get(vol, "hostPath")):
            out.append(("%s.volumes[%d].hostPath" % (prefix, i), "volume %r uses hostPath" % _get(vol, "name")))
    for field, i, c in _containers(spec):
        if _get(c, "securityContext", "privileged") is True:
            out.append(("%s.%s[%d].securityContext.privileged" % (prefix, field, i),
                        "container %r must not be privileged" % c.get("name")))
    return out


def _inject_disabled(value):
    return isinstance(value, str) and value != "" and value.lower() not in ISTIO_INJECT_ON


def check_sidecar_injection(spec, meta, prefix, params, tenant):
    meta_prefix = prefix[:-len("spec")] + "metadata" if prefix.endswith("spec") else "metadata"
    out = []
    for where in ("annotations", "labels"):
        value = _get(meta, where, ISTIO_INJECT_KEY)
        if _inject_disabled(value):
            out.append(("%s.%s[%s]" % (meta_prefix, where, ISTIO_INJECT_KEY),
                        "%s %s=%r switches the Istio sidecar off; remove it" % (where[:-1], ISTIO_INJECT_KEY, value)))
    return out


PSA_SECCOMP = ("RuntimeDefault", "Localhost")
PSA_VOLUMES = ("configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected",
               "secret", "hostPath")  # hostPath is disallow-host-access's, so that no pod fails two rules for it
PSA_CAPS_ADD = ("NET_BIND_SERVICE",)
PSA_SYSCTLS = ("kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
               "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
               "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
               "net.ipv4.tcp_keepalive_probes")


def check_pod_security(spec, meta, prefix, params, tenant):
    """Pod Security Admission 'restricted', on the defaulted pod, for what the other rules do
    not cover: seccomp, capabilities, runAsUser 0, host ports, volume types, procMount, sysctls."""
    out = []
    seccomp = _get(spec, "securityContext", "seccompProfile", "type")
    if seccomp not in PSA_SECCOMP:
        out.append(("%s.securityContext.seccompProfile.type" % prefix,
                    "pod seccompProfile.type %r is not RuntimeDefault or Localhost" % seccomp))
    if _jp_str(_get(spec, "securityContext", "runAsUser")) == "0":
        out.append(("%s.securityContext.runAsUser" % prefix, "the pod must not run as user 0"))
    for i, ctl in enumerate(_list(_get(spec, "securityContext", "sysctls"))):
        if _get(ctl, "name") not in PSA_SYSCTLS:
            out.append(("%s.securityContext.sysctls[%d]" % (prefix, i), "sysctl %r is not safe" % _get(ctl, "name")))
    for i, vol in enumerate(_list(_get(spec, "volumes"))):
        if isinstance(vol, dict) and not any(k in vol for k in PSA_VOLUMES):
            out.append(("%s.volumes[%d]" % (prefix, i), "volume %r has a type that restricted pods may not use"
                        % vol.get("name")))
    for field, i, c in _containers(spec):
        path = "%s.%s[%d]" % (prefix, field, i)
        name = c.get("name")
        sc_type = _get(c, "securityContext", "seccompProfile", "type")
        if _truthy(sc_type) and sc_type not in PSA_SECCOMP:
            out.append((path + ".securityContext.seccompProfile.type",
                        "container %r seccompProfile.type %r is not RuntimeDefault or Localhost" % (name, sc_type)))
        if _jp_str(_get(c, "securityContext", "runAsUser")) == "0":
            out.append((path + ".securityContext.runAsUser", "container %r must not run as user 0" % name))
        drop = _get(c, "securityContext", "capabilities", "drop")
        if not (isinstance(drop, list) and "ALL" in drop):
            out.append((path + ".securityContext.capabilities.drop", "container %r must drop ALL capabilities" % name))
        added = [a for a in _list(_get(c, "securityContext", "capabilities", "add")) if a not in PSA_CAPS_ADD]
        if added:
            out.append((path + ".securityContext.capabilities.add",
                        "container %r may add only NET_BIND_SERVICE, not %s" % (name, ", ".join(map(str, added)))))
        proc = _get(c, "securityContext", "procMount")
        if _truthy(proc) and proc != "Default":
            out.append((path + ".securityContext.procMount", "container %r procMount must be Default" % name))
        for j, port in enumerate(_list(c.get("ports"))):
            host_port = _get(port, "hostPort")
            if _truthy(host_port) and _jp_str(host_port) != "0":
                out.append(("%s.ports[%d].hostPort" % (path, j), "container %r must not use hostPort" % name))
    return out


def check_priority_class(spec, meta, prefix, params, tenant):
    name = _get(spec, "priorityClassName")
    if not _truthy(name):
        return []
    if name not in params.priority_classes:
        return [("%s.priorityClassName" % prefix, "priorityClassName %r is not one tenants may use (%s)"
                 % (name, ", ".join(params.priority_classes) or "none"))]
    return []


# ---------------------------------------------------------------- object (non-pod) checks
# Each takes (obj, params, tenant, namespaces) and returns (field path, message) violations.
SERVICE_HOST_SUFFIXES = ("", ".svc", ".svc.cluster.local")


def service_host_patterns(namespaces):
    """Host patterns that name a service in one of ``namespaces`` (``svc.ns``, ``svc.ns.svc``,
    ``svc.ns.svc.cluster.local``); a host without a dot names a service of the object's own namespace."""
    return ["*.%s%s" % (ns, suffix) for ns in sorted(set(namespaces)) for suffix in SERVICE_HOST_SUFFIXES]


def _wild(value):
    """A value with a Kyverno wildcard character. Kyverno's AnyNotIn matches wildcards in the key
    as well as in the value list, so such values are judged by exact comparison instead."""
    return isinstance(value, str) and ("*" in value or "?" in value)


def _dotted(host):
    """Hosts the pattern lists judge: with a dot and no wildcard (a bare name is a service of the
    object's own namespace). Mirrors ``[?@ && contains(@, '.') && !contains(@, '*') && !contains(@, '?')]``."""
    return _truthy(host) and isinstance(host, str) and "." in host and not _wild(host)


def _matches_any(value, patterns):
    return isinstance(value, str) and any(wildcard_match(p, value) for p in patterns)


def _route_hosts(spec):
    """(field path, host) of every destination of a VirtualService, in the Kyverno rule's order."""
    out = []
    for proto in ("http", "tcp", "tls"):
        for i, route in enumerate(_list(_get(spec, proto))):
            for j, dest in enumerate(_list(_get(route, "route"))):
                out.append(("spec.%s[%d].route[%d].destination.host" % (proto, i, j), _get(dest, "destination", "host")))
    for i, route in enumerate(_list(_get(spec, "http"))):
        if _get(route, "mirror", "host") is not None:
            out.append(("spec.http[%d].mirror.host" % i, _get(route, "mirror", "host")))
        for j, mirror in enumerate(_list(_get(route, "mirrors"))):
            out.append(("spec.http[%d].mirrors[%d].destination.host" % (i, j), _get(mirror, "destination", "host")))
    return out


def check_virtual_service(obj, params, tenant, namespaces):
    spec = _get(obj, "spec") or {}
    services = service_host_patterns(namespaces)
    hosts = facts.tenant_hosts(tenant or "", params.domain) + services
    out = []
    wildcard_host = facts.tenant_hosts(tenant or "", params.domain)[1]
    for i, gateway in enumerate(_list(_get(spec, "gateways"))):
        if gateway not in TENANT_GATEWAYS:
            out.append(("spec.gateways[%d]" % i, "gateway %r is not one a tenant may bind (%s)"
                        % (gateway, ", ".join(TENANT_GATEWAYS))))
    for i, host in enumerate(_list(_get(spec, "hosts"))):
        if (_dotted(host) and not _matches_any(host, hosts)) or (_wild(host) and host != wildcard_host):
            out.append(("spec.hosts[%d]" % i, "host %r is outside the tenant's host space (%s) and its services"
                        % (host, ", ".join(facts.tenant_hosts(tenant or "<tenant>", params.domain)))))
    for path, host in _route_hosts(spec):
        if (_dotted(host) and not _matches_any(host, services)) or _wild(host):
            out.append((path, "destination %r is not a service of the tenant's namespaces" % (host,)))
    for i, route in enumerate(_list(_get(spec, "http"))):
        delegate_ns = _get(route, "delegate", "namespace")
        if delegate_ns is not None and delegate_ns not in namespaces:
            out.append(("spec.http[%d].delegate.namespace" % i,
                        "delegate namespace %r is not one of the tenant's namespaces" % (delegate_ns,)))
    return out


def check_service(obj, params, tenant, namespaces):
    spec = _get(obj, "spec") or {}
    out = []
    if _truthy(_get(spec, "externalIPs")):
        out.append(("spec.externalIPs", "externalIPs let a Service capture traffic for any address (CVE-2020-8554)"))
    if _get(spec, "type") == "ExternalName":
        out.append(("spec.type", "an ExternalName Service points cluster DNS at an arbitrary host"))
    return out


# ---------------------------------------------------------------- Kyverno side
def _kv(expr):
    return "{{ %s }}" % expr


def _jlit(value):
    """A JMESPath JSON literal."""
    return "`%s`" % json.dumps(value, separators=(",", ":"))


SPEC = "request.object.spec"
INIT = "(request.object.spec.initContainers || `[]`)"
CONTAINER_LISTS = ("request.object.spec.containers", INIT)


def _count_gt0(expr):
    return {"key": _kv("length(%s)" % expr), "operator": "GreaterThan", "value": 0}


def kyverno_requests_limits(params):
    cond = "[?!(resources.requests.cpu && resources.requests.memory && resources.limits.cpu && resources.limits.memory)]"
    return {"deny": {"conditions": {"any": [_count_gt0(lst + cond) for lst in CONTAINER_LISTS]}}}


def kyverno_probes(params):
    expr = "request.object.spec.containers[?!contains(%s, name) && (!livenessProbe || !readinessProbe)]" % (
        _jlit(list(params.probe_exempt)))
    return {"deny": {"conditions": {"any": [_count_gt0(expr)]}}}


def kyverno_topology_spread(params):
    return {"deny": {"conditions": {"any": [{
        "key": params.spread_keys(),
        "operator": "AnyNotIn",
        "value": _kv("request.object.spec.topologySpreadConstraints[].topologyKey || `[]`"),
    }]}}}


def kyverno_security_context(params):
    pod = "request.object.spec.securityContext.runAsNonRoot"
    conds = []
    for lst in CONTAINER_LISTS:
        conds.append({"key": _kv(
            "(%s == `true` && length(%s[?securityContext.runAsNonRoot == `false`]) > `0`) || "
            "(%s != `true` && length(%s[?securityContext.runAsNonRoot != `true`]) > `0`)" % (pod, lst, pod, lst)),
            "operator": "Equals", "value": True})
        conds.append(_count_gt0(lst + "[?securityContext.readOnlyRootFilesystem != `true`]"))
        conds.append(_count_gt0(lst + "[?securityContext.allowPrivilegeEscalation == `true`]"))
    return {"deny": {"conditions": {"any": conds}}}


def kyverno_images(params):
    allowed = " | ".join(params.image_patterns("{{tenant}}"))
    return {"pattern": {"spec": {
        "=(initContainers)": [{"image": allowed}],
        "containers": [{"image": allowed}],
    }}}


def kyverno_host_access(params):
    conds = [{"key": _kv("%s.%s || `false`" % (SPEC, flag)), "operator": "Equals", "value": True}
             for flag in ("hostNetwork", "hostPID", "hostIPC")]
    conds.append(_count_gt0("(request.object.spec.volumes || `[]`)[?hostPath]"))
    conds += [_count_gt0(lst + "[?securityContext.privileged == `true`]") for lst in CONTAINER_LISTS]
    return {"deny": {"conditions": {"any": conds}}}


def kyverno_sidecar_injection(params):
    conds = [{"key": _kv("to_lower(request.object.metadata.%s.\"%s\" || 'true')" % (where, ISTIO_INJECT_KEY)),
              "operator": "AnyNotIn", "value": list(ISTIO_INJECT_ON)}
             for where in ("annotations", "labels")]
    return {"deny": {"conditions": {"any": conds}}}


def kyverno_pod_security(params):
    pod = "request.object.spec.securityContext"
    conds = [
        {"key": _kv("%s.seccompProfile.type || ''" % pod), "operator": "AnyNotIn", "value": list(PSA_SECCOMP)},
        # to_string: Kyverno's JMESPath compares an integer field unequal to the literal `0`.
        _count_gt0("[%s][?to_string(runAsUser) == '0']" % pod),
        {"key": _kv("(%s.sysctls || `[]`)[].name" % pod), "operator": "AnyNotIn", "value": list(PSA_SYSCTLS)},
        _count_gt0("(request.object.spec.volumes || `[]`)[?length(keys(@)[?contains(%s, @)]) == `0`]"
                   % _jlit(list(PSA_VOLUMES))),
    ]
    for lst in CONTAINER_LISTS:
        conds += [
            _count_gt0("%s[?securityContext.seccompProfile.type && !contains(%s, securityContext.seccompProfile.type)]"
                       % (lst, _jlit(list(PSA_SECCOMP)))),
            _count_gt0("%s[?to_string(securityContext.runAsUser) == '0']" % lst),
            _count_gt0("%s[?!contains(securityContext.capabilities.drop || `[]`, 'ALL')]" % lst),
            _count_gt0("%s[].securityContext.capabilities.add[] | [?!contains(%s, @)]" % (lst, _jlit(list(PSA_CAPS_ADD)))),
            _count_gt0("%s[?securityContext.procMount && securityContext.procMount != 'Default']" % lst),
            _count_gt0("%s[].ports[] | [?hostPort && to_string(hostPort) != '0']" % lst),
        ]
    return {"deny": {"conditions": {"any": conds}}}


def kyverno_priority_class(params):
    # An empty priorityClassName is the cluster default (priority 0): allowed.
    return {"deny": {"conditions": {"any": [{
        "key": _kv("request.object.spec.priorityClassName || ''"),
        "operator": "AnyNotIn", "value": [""] + list(params.priority_classes)}]}}}


WILD = "(contains(@, '*') || contains(@, '?'))"
DOTTED = "[?@ && contains(@, '.') && !%s]" % WILD
ROUTE_HOSTS = ("[request.object.spec.http[].route[].destination.host, request.object.spec.tcp[].route[].destination.host, "
               "request.object.spec.tls[].route[].destination.host, request.object.spec.http[].mirror.host, "
               "request.object.spec.http[].mirrors[].destination.host][]")


def kyverno_virtual_service(params):
    # AnyNotIn treats wildcards in the keys as patterns too, so values with * or ? are judged by exact
    # comparison (the tenant's wildcard host) or refused (gateways, destinations, delegates).
    gateways = "request.object.spec.gateways || `[]`"
    hosts = "request.object.spec.hosts || `[]`"
    delegates = "request.object.spec.http[].delegate.namespace || `[]`"
    wildcard_host = "'*.{{tenant}}.%s'" % params.domain  # a nested variable: Kyverno substitutes it first
    return {"deny": {"conditions": {"any": [
        {"key": _kv(gateways), "operator": "AnyNotIn", "value": list(TENANT_GATEWAYS)},
        _count_gt0("(%s)[?%s]" % (gateways, WILD)),
        {"key": _kv("(%s) | %s" % (hosts, DOTTED)), "operator": "AnyNotIn", "value": _kv("allowed_hosts")},
        _count_gt0("(%s)[?%s && @ != %s]" % (hosts, WILD, wildcard_host)),
        {"key": _kv("%s | %s" % (ROUTE_HOSTS, DOTTED)), "operator": "AnyNotIn", "value": _kv("service_hosts")},
        _count_gt0("%s | [?@ && %s]" % (ROUTE_HOSTS, WILD)),
        {"key": _kv(delegates), "operator": "AnyNotIn", "value": _kv("tenant_namespaces")},
        _count_gt0("(%s)[?%s]" % (delegates, WILD)),
    ]}}}


def kyverno_service(params):
    return {"deny": {"conditions": {"any": [
        _count_gt0("request.object.spec.externalIPs || `[]`"),
        {"key": _kv("request.object.spec.type || 'ClusterIP'"), "operator": "Equals", "value": "ExternalName"},
    ]}}}


def tenant_context(params):
    """Kyverno context entry: the tenant, read from the namespace's tenant label."""
    return [{"name": "tenant", "apiCall": {
        "urlPath": "/api/v1/namespaces/{{request.namespace}}",
        "jmesPath": "metadata.labels.\"%s\" || ''" % params.tenant_label,
    }}]


def tenant_namespaces_context(params):
    """Kyverno context entries: the tenant (namespace label), the names of every namespace of
    that tenant, the host patterns of their services and the tenant's ingress host space."""
    label = params.tenant_label
    service_hosts = "[%s][]" % ", ".join(
        "tenant_namespaces[].join('', ['*.', @, '%s'])" % suffix for suffix in SERVICE_HOST_SUFFIXES)
    return tenant_context(params) + [
        {"name": "tenant_namespaces", "apiCall": {
            "urlPath": "/api/v1/namespaces",
            "jmesPath": "items[?metadata.labels.\"%s\" == '{{tenant}}'].metadata.name" % label}},
        {"name": "service_hosts", "variable": {"jmesPath": service_hosts}},
        {"name": "allowed_hosts", "variable": {
            "jmesPath": "[[join('', [tenant, '.%s']), join('', ['*.', tenant, '.%s'])], service_hosts][]" % (
                params.domain, params.domain)}},
    ]


# ---------------------------------------------------------------- scope
# Which pods a rule judges. Probes, topology spread and PodDisruptionBudgets keep a service
# available; a run-to-completion pod (a Job's, a CronJob's, a bare Pod that does not restart)
# needs none of them, but it still needs requests and limits, the security context, images from
# the tenant's registry and everything else. The pod's own restartPolicy tells the two apart at
# every level the rules see: the API server requires restartPolicy Always of every Deployment,
# StatefulSet, DaemonSet, ReplicaSet and ReplicationController template, and Never or OnFailure
# of every Job's (and so every CronJob's); a bare Pod defaults to Always.
ALL_PODS = "all"
LONG_RUNNING = "long-running"
RESTART_ALWAYS = "Always"


def is_long_running(pod_spec):
    """The mirror of the Kyverno precondition ``restartPolicy || 'Always'`` equals ``Always``."""
    policy = _get(pod_spec, "restartPolicy")
    return (policy if _truthy(policy) else RESTART_ALWAYS) == RESTART_ALWAYS


def controller_precondition():
    """Kyverno precondition of the rules that judge pod templates only: autogen leaves
    request.object.kind alone, so a controller's own rule sees its kind and a Pod's rule
    sees Pod."""
    return {"key": "{{ request.object.kind }}", "operator": "NotEquals", "value": "Pod"}


def long_running_precondition():
    """Kyverno precondition of the long-running rules; autogen rewrites request.object.spec to the
    template's spec for every controller, so Job and CronJob templates skip these rules too."""
    return {"key": "{{ request.object.spec.restartPolicy || '%s' }}" % RESTART_ALWAYS,
            "operator": "Equals", "value": RESTART_ALWAYS}


class Rule:
    def __init__(self, rule_id, number, title, message, check, kyverno, context=None, kinds=None, scope=ALL_PODS,
                 bare_pods=True):
        self.id = rule_id
        self.number = number
        self.title = title
        self.message = message
        self.check = check
        self.kyverno = kyverno
        self.context = context
        # None: a pod rule (Pods, and every pod controller through autogen); else the kinds it judges.
        self.kinds = tuple(kinds) if kinds else None
        self.scope = scope
        # False: the rule judges the pod templates of workloads, not a Pod itself (see POD_RULES).
        self.bare_pods = bare_pods

    def applies_to(self, kind, pod_spec):
        """False when this rule does not judge the object: a long-running rule on a run-to-completion
        pod, or a template rule on a Pod."""
        if kind == "Pod" and not self.bare_pods:
            return False
        return self.scope == ALL_PODS or is_long_running(pod_spec)

    def preconditions(self):
        """The Kyverno preconditions that give the rule its scope (None: every pod)."""
        conds = []
        if not self.bare_pods:
            conds.append(controller_precondition())
        if self.scope == LONG_RUNNING:
            conds.append(long_running_precondition())
        return {"all": conds} if conds else None


# The pod rules: applied to Pods and, through Kyverno autogen, to every pod controller.
# require-requests-limits judges the templates of workloads, not Pods: the API server's
# LimitRanger gives every container of a Pod the requests and limits it lacks from the
# namespace's LimitRange (every tenant namespace has one) before any webhook sees the Pod, so
# a Pod can never fail it at admission, and the offline verdict says so.
POD_RULES = (
    Rule("require-requests-limits", 1, "Resource requests and limits",
         "require-requests-limits: set resources.requests.cpu, resources.requests.memory, resources.limits.cpu "
         "and resources.limits.memory on every container and init container of the pod template.",
         check_requests_limits, kyverno_requests_limits, bare_pods=False),
    Rule("require-probes", 2, "Liveness and readiness probes",
         "require-probes: set livenessProbe and readinessProbe on every container (containers[]) "
         "of the pod template (long-running pods; Jobs and CronJobs need none).",
         check_probes, kyverno_probes, scope=LONG_RUNNING),
    Rule("require-topology-spread", 4, "Topology spread",
         "require-topology-spread: add topologySpreadConstraints to the pod template with a topologyKey for "
         "each of: {keys} (long-running pods; Jobs and CronJobs need none).",
         check_topology_spread, kyverno_topology_spread, scope=LONG_RUNNING),
    Rule("require-security-context", 5, "Non-root, read-only root filesystem, no privilege escalation",
         "require-security-context: every container and init container needs securityContext.runAsNonRoot: true "
         "(or the pod's securityContext.runAsNonRoot: true), securityContext.readOnlyRootFilesystem: true and "
         "must not set securityContext.allowPrivilegeEscalation: true.",
         check_security_context, kyverno_security_context),
    Rule("restrict-image-registries", 6, "Images from the tenant's Harbor project",
         "restrict-image-registries: every image (containers[].image, initContainers[].image) must come from "
         "{registry}/<tenant>/ (the namespace's {label} label).",
         check_images, kyverno_images, context=tenant_context),
    Rule("disallow-host-access", 7, "No host namespaces, hostPath or privileged",
         "disallow-host-access: remove hostNetwork, hostPID, hostIPC, volumes[].hostPath and "
         "securityContext.privileged from the pod template.",
         check_host_access, kyverno_host_access),
    Rule("require-sidecar-injection", 8, "Istio sidecar injection on",
         "require-sidecar-injection: remove the sidecar.istio.io/inject annotation or label that switches "
         "the Istio sidecar off from the pod template's metadata.",
         check_sidecar_injection, kyverno_sidecar_injection),
    Rule("pod-security-restricted", 9, "Pod Security Admission restricted (after the platform defaults)",
         "pod-security-restricted: tenant namespaces enforce Pod Security 'restricted'; after the platform's defaults "
         "the pod template must keep securityContext.seccompProfile.type RuntimeDefault or Localhost, "
         "securityContext.capabilities.drop [ALL] and add nothing but NET_BIND_SERVICE, no runAsUser 0, "
         "no ports[].hostPort, no procMount other than Default, only safe sysctls and only configMap, csi, "
         "downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected or secret volumes.",
         check_pod_security, kyverno_pod_security),
    Rule("restrict-priority-class", 10, "Only the tenant PriorityClass",
         "restrict-priority-class: spec.priorityClassName of the pod template may only be {priority} (or unset); "
         "system and platform PriorityClasses would let tenant pods preempt the platform.",
         check_priority_class, kyverno_priority_class),
)
PDB_RULE_ID = "require-pdb"
RULE_IDS = tuple(r.id for r in POD_RULES) + (PDB_RULE_ID,)

# The object rules: kinds other than pods, judged as they are (no autogen).
OBJECT_RULES = (
    Rule("restrict-virtual-service", 11, "VirtualServices stay inside the tenant",
         "restrict-virtual-service: spec.gateways may only name {gateways}; spec.hosts must be in the tenant's host "
         "space ({hosts}) or name a service of the tenant's namespaces; never a platform host such as {platform}; "
         "route destinations (spec.http/tcp/tls[].route[].destination.host, mirrors) and delegates must be services of "
         "the tenant's namespaces.",
         check_virtual_service, kyverno_virtual_service, context=tenant_namespaces_context, kinds=["VirtualService"]),
    Rule("restrict-service", 12, "No externalIPs, no ExternalName",
         "restrict-service: remove spec.externalIPs (CVE-2020-8554) and do not use spec.type ExternalName; route "
         "to other services through the mesh instead.",
         check_service, kyverno_service, kinds=["Service"]),
)
OBJECT_RULE_IDS = tuple(r.id for r in OBJECT_RULES)
OBJECT_KINDS = tuple(sorted({k for r in OBJECT_RULES for k in r.kinds}))
ALL_RULE_IDS = RULE_IDS + OBJECT_RULE_IDS


def rule_message(rule, params):
    return rule.message.format(keys=", ".join(params.spread_keys()), registry=params.registry,
                               label=params.tenant_label, priority=" or ".join(params.priority_classes) or "nothing",
                               gateways=" or ".join(TENANT_GATEWAYS),
                               hosts=", ".join(facts.tenant_hosts("<tenant>", params.domain)),
                               platform=", ".join(facts.platform_hosts(params.domain)[2:4]))


def policy_name(rule_id):
    return "openova-%s" % rule_id


# ---------------------------------------------------------------- PDB rule
def pdb_selects(pdb, namespace, labels):
    """True when a PDB in ``namespace`` selects pods with ``labels`` (matchLabels only, like
    Kyverno's label_match on spec.selector.matchLabels)."""
    if (_get(pdb, "metadata", "namespace") or "default") != (namespace or "default"):
        return False
    match = _get(pdb, "spec", "selector", "matchLabels")
    if not _truthy(match) or not isinstance(match, dict) or not isinstance(labels, dict):
        return False
    return all(labels.get(k) == v for k, v in match.items())


def needs_pdb(obj):
    """Deployments and StatefulSets with more than one replica (an absent replicas is 1): the
    long-running controllers that keep several replicas; Jobs and CronJobs never need one."""
    if obj.get("kind") not in PDB_KINDS:
        return False
    replicas = _get(obj, "spec", "replicas")
    if replicas is None:
        return False
    return isinstance(replicas, int) and not isinstance(replicas, bool) and replicas > 1
