# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure validation of a tenant service spec: fills defaults, checks every rule
and raises one SpecError naming every bad field. No I/O; rendering is in
render.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import re

from ansible_collections.openova.platform.plugins.module_utils import facts
from ansible_collections.openova.platform.plugins.module_utils import validation as kit

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
TOPIC_NAME = re.compile(r"^[a-zA-Z0-9._-]+$")
TAG = re.compile(r"^[\w][\w.-]{0,127}$")
CREDENTIALS_SECRET = "redpanda-credentials"
ENV_PREFIX = "REDPANDA_"

DEFAULTS = {
    "version": "v1",
    "ports": [{"name": "http", "port": 8080}],
    "replicas": 2,
    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "512Mi"}},
    "probes": {"liveness": {"path": "/health"}, "readiness": {"path": "/ready"}},
    "env": {},
    "secret_env": [],
    "produces": [],
    "consumes": [],
    "autoscaling": {"enabled": True, "cpu_utilization": 70},
    "run_as_user": 65532,
    "domain": facts.DOMAIN,
}


def normalize(spec):
    """The spec with defaults filled in (a new dict; the input is not changed)."""
    out = copy.deepcopy(dict((k, v) for k, v in spec.items() if v is not None))
    for key, value in DEFAULTS.items():
        out.setdefault(key, copy.deepcopy(value))
    out.setdefault("stable_version", out["version"])
    out["ports"] = [{"name": "http", "port": p} if isinstance(p, int) and not isinstance(p, bool) else p
                    for p in out["ports"]]
    probes = copy.deepcopy(DEFAULTS["probes"])
    probes.update(out["probes"])
    out["probes"] = probes
    autoscaling = dict(DEFAULTS["autoscaling"], min_replicas=out["replicas"],
                       max_replicas=max(out["replicas"] * 3, 3) if isinstance(out["replicas"], int) else None)
    autoscaling.update(dict((k, v) for k, v in (out["autoscaling"] or {}).items() if v is not None))
    out["autoscaling"] = autoscaling
    if out.get("consumes") and not out.get("consumer_group") and out.get("tenant") and out.get("name"):
        out["consumer_group"] = "%s.%s" % (out["tenant"], out["name"])
    return out


def validate_service(spec, identity_only=False):
    """Normalize and check a service spec; returns the normalized spec or raises
    one SpecError listing every problem. ``identity_only`` checks just what names
    the objects (name, tenant, namespace, version), enough to delete them."""
    s = normalize(spec)
    p = kit.Problems(subject="service %r" % s.get("name"))
    for key in ("tenant", "namespace"):
        kit.check_name(p, key, s.get(key))
    for key in ("name", "version", "stable_version"):
        if not kit.is_dns1035_label(s.get(key)):
            p.add(key, "%r must start with a letter and hold only lower case letters, digits and '-'" % (s.get(key),))
    if len("%s-%s" % (s.get("name"), s.get("version"))) > 52:
        p.add("name", "%r with version %r is too long; keep '<name>-<version>' within 52 characters"
              % (s.get("name"), s.get("version")))
    if identity_only:
        p.raise_if_any()
        return s
    _check_image(p, s)
    _check_ports(p, s["ports"])
    kit.check_int(p, "replicas", s["replicas"], 1)
    _check_resources(p, s["resources"])
    _check_probes(p, s["probes"], s["ports"])
    _check_env(p, s)
    _check_events(p, s)
    _check_autoscaling(p, s["autoscaling"])
    kit.check_int(p, "run_as_user", s["run_as_user"], 1)
    p.raise_if_any()
    return s


def _check_image(p, s):
    image, tenant = s.get("image"), s.get("tenant") or "<tenant>"
    prefix = facts.registry_prefix(tenant, s["domain"])
    if not isinstance(image, str) or not image.startswith(prefix):
        p.add("image", "%r is not in the tenant's Harbor project; use %s<image>:<tag>" % (image, prefix))
        return
    rest = image[len(prefix):]
    name, digest = (rest.split("@", 1) + [""])[:2]
    name, tag = (name.split(":", 1) + [""])[:2]
    if not name or not re.match(r"^[a-z0-9]+([._/-][a-z0-9]+)*$", name):
        p.add("image", "%r has no valid image name after %s" % (image, prefix))
    if digest:
        if not re.match(r"^sha256:[0-9a-f]{64}$", digest):
            p.add("image", "%r has a malformed digest; use @sha256:<64 hex digits>" % image)
    elif not tag or tag == "latest" or not TAG.match(tag):
        p.add("image", "%r needs a fixed tag (not 'latest') or a digest, for example %s%s:1.0.0"
              % (image, prefix, name or "app"))


def _check_ports(p, ports):
    if not isinstance(ports, list) or not ports:
        p.add("ports", "needs at least one port, for example [{name: http, port: 8080}]")
        return
    names, numbers = set(), set()
    for index, port in enumerate(ports):
        field = "ports[%d]" % index
        if not isinstance(port, dict):
            p.add(field, "%r must be a port number or {name, port}" % (port,))
            continue
        name = port.get("name")
        if not kit.is_dns1035_label(name, max_len=15):
            p.add(field + ".name", "%r must be a lower case name of at most 15 characters, "
                  "such as http or grpc (Istio picks the protocol from it)" % (name,))
        elif name in names:
            p.add(field + ".name", "%r is used twice" % name)
        names.add(name)
        if kit.check_int(p, field + ".port", port.get("port"), 1, 65535):
            if port["port"] in numbers:
                p.add(field + ".port", "%r is used twice" % port["port"])
            numbers.add(port["port"])
        if port.get("protocol", "TCP") not in ("TCP", "UDP", "SCTP"):
            p.add(field + ".protocol", "%r is not TCP, UDP or SCTP" % (port.get("protocol"),))


def _check_resources(p, resources):
    for part in ("requests", "limits"):
        for res in ("cpu", "memory"):
            field = "resources.%s.%s" % (part, res)
            value = ((resources or {}).get(part) or {}).get(res)
            if value is None:
                p.add(field, "is required; every container sets CPU and memory requests and limits")
            else:
                kit.check_quantity(p, field, value)
    for res in ("cpu", "memory"):
        try:
            req, lim = resources["requests"][res], resources["limits"][res]
        except (KeyError, TypeError):
            continue
        if kit.quantity_le(req, lim) is False:
            p.add("resources.requests.%s" % res, "%r is above the limit %r" % (req, lim))


def _check_probes(p, probes, ports):
    port_names = [pt.get("name") for pt in ports if isinstance(pt, dict)]
    port_numbers = [pt.get("port") for pt in ports if isinstance(pt, dict)]
    for kind in ("liveness", "readiness"):
        probe = probes.get(kind)
        field = "probes.%s" % kind
        if not isinstance(probe, dict):
            p.add(field, "is required; give {path: /health} (HTTP) or {tcp: true}")
            continue
        if not probe.get("tcp") and not (isinstance(probe.get("path"), str) and probe["path"].startswith("/")):
            p.add(field + ".path", "%r must start with '/' (or set tcp: true)" % (probe.get("path"),))
        port = probe.get("port")
        if port is not None and port not in port_names and port not in port_numbers:
            p.add(field + ".port", "%r is not one of the service's ports (%s)" % (
                port, ", ".join(str(n) for n in port_names)))
        for key in ("initial_delay_seconds", "period_seconds", "timeout_seconds", "failure_threshold"):
            if probe.get(key) is not None:
                kit.check_int(p, "%s.%s" % (field, key), probe[key], 0 if key == "initial_delay_seconds" else 1)


def _check_env(p, s):
    env = s["env"]
    if not isinstance(env, dict):
        p.add("env", "must map variable names to values")
        env = {}
    names = set()
    for name in env:
        if not ENV_NAME.match(str(name)):
            p.add("env.%s" % name, "is not a valid environment variable name")
        names.add(name)
    for index, ref in enumerate(s["secret_env"] or []):
        field = "secret_env[%d]" % index
        if not isinstance(ref, dict):
            p.add(field, "must be {name, secret, key}")
            continue
        if not ENV_NAME.match(str(ref.get("name"))):
            p.add(field + ".name", "%r is not a valid environment variable name" % (ref.get("name"),))
        elif ref["name"] in names:
            p.add(field + ".name", "%r is set twice" % ref["name"])
        names.add(ref.get("name"))
        if not kit.is_dns1123_subdomain(ref.get("secret")):
            p.add(field + ".secret", "%r is not a Secret name" % (ref.get("secret"),))
        if not re.match(r"^[-._a-zA-Z0-9]+$", str(ref.get("key"))):
            p.add(field + ".key", "%r is not a Secret key" % (ref.get("key"),))
    if s["produces"] or s["consumes"]:
        clash = sorted(n for n in names if str(n).startswith(ENV_PREFIX))
        for name in clash:
            p.add("env.%s" % name, "is reserved for the event wiring (%s*); rename it" % ENV_PREFIX)


def _check_events(p, s):
    tenant = s.get("tenant") or "<tenant>"
    for key in ("produces", "consumes"):
        topics = s[key]
        if not isinstance(topics, list):
            p.add(key, "must be a list of topic names")
            continue
        for index, topic in enumerate(topics):
            field = "%s[%d]" % (key, index)
            if not isinstance(topic, str) or not TOPIC_NAME.match(topic) or len(topic) > 249:
                p.add(field, "%r is not a valid topic name" % (topic,))
            elif not topic.startswith(tenant + ".") or topic == tenant + ".":
                p.add(field, "%r is outside the tenant's prefix; use '%s.%s'" % (topic, tenant, topic))
    group = s.get("consumer_group")
    if group is not None and (not isinstance(group, str) or not group.startswith(tenant + ".")
                              or not TOPIC_NAME.match(group)):
        p.add("consumer_group", "%r is outside the tenant's prefix; use '%s.<group>'" % (group, tenant))


def _check_autoscaling(p, auto):
    if not auto.get("enabled"):
        return
    ok_min = kit.check_int(p, "autoscaling.min_replicas", auto.get("min_replicas"), 1)
    ok_max = kit.check_int(p, "autoscaling.max_replicas", auto.get("max_replicas"), 1)
    if ok_min and ok_max and auto["min_replicas"] > auto["max_replicas"]:
        p.add("autoscaling.max_replicas", "%d is below min_replicas %d" % (auto["max_replicas"], auto["min_replicas"]))
    kit.check_int(p, "autoscaling.cpu_utilization", auto.get("cpu_utilization"), 1, 100)
