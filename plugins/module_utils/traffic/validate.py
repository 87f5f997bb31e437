# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure validation of a traffic policy (the traffic_policy module's options):
checks every rule, collects every problem with its field path and raises one
SpecError before anything is written. No I/O; no rendering (see render.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.openova.platform.plugins.module_utils import facts
from ansible_collections.openova.platform.plugins.module_utils import validation as kit
from ansible_collections.openova.platform.plugins.module_utils.validation import check_duration

DNS_NAME = re.compile(r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
HEADER_NAME = re.compile(r"^[a-z0-9][-a-z0-9_.]*$")
COOKIE_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
GATEWAY_REF = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?/)?[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
MATCH_KINDS = ("exact", "prefix", "regex")
RETRY_ON = frozenset((
    "5xx", "gateway-error", "reset", "reset-before-request", "connect-failure", "envoy-ratelimited",
    "retriable-4xx", "refused-stream", "retriable-status-codes", "retriable-headers", "http3-post-connect-failure",
    "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable"))
# connectionPool / outlierDetection keys we accept (snake_case), and which are durations.
CONNECTION_POOL_KEYS = {
    "tcp": {"max_connections": "int", "connect_timeout": "duration", "max_connection_duration": "duration",
            "idle_timeout": "duration"},
    "http": {"http1_max_pending_requests": "int", "http2_max_requests": "int",
             "max_requests_per_connection": "int", "max_retries": "int", "idle_timeout": "duration",
             "max_concurrent_streams": "int", "use_client_protocol": "bool",
             "h2_upgrade_policy": ("DEFAULT", "DO_NOT_UPGRADE", "UPGRADE")},
}
OUTLIER_KEYS = {"consecutive_5xx_errors": "int", "consecutive_gateway_errors": "int",
                "consecutive_local_origin_failures": "int", "split_external_local_origin_errors": "bool",
                "interval": "duration", "base_ejection_time": "duration", "max_ejection_percent": "percent",
                "min_health_percent": "percent"}
MIN_FILL_INTERVAL = 0.05  # Envoy's local_ratelimit refuses a fill_interval under 50ms


def host_in_namespace(host, namespace):
    """True when ``host`` names a service in ``namespace``: ``svc``, ``svc.ns``,
    ``svc.ns.svc`` or ``svc.ns.svc.cluster.local``."""
    parts = host.split(".")
    if not kit.is_dns1123_label(parts[0]):
        return False
    rest = parts[1:]
    return rest in ([], [namespace], [namespace, "svc"], [namespace, "svc", "cluster", "local"])


def _check_string_match(problems, field, match):
    if not isinstance(match, dict) or len(match) != 1 or next(iter(match)) not in MATCH_KINDS:
        problems.add(field, "%r must have exactly one of %s" % (match, ", ".join(MATCH_KINDS)))
        return
    kind, value = next(iter(match.items()))
    if not isinstance(value, str) or not value:
        problems.add("%s.%s" % (field, kind), "%r must be a non-empty string" % (value,))
    elif kind == "regex":
        try:
            re.compile(value)
        except re.error as exc:
            problems.add("%s.regex" % field, "%r is not a valid regular expression (%s)" % (value, exc))


def _check_match(problems, field, match):
    if not isinstance(match, dict):
        problems.add(field, "must be a dict with headers, cookie and/or uri")
        return
    unknown = sorted(set(match) - {"headers", "cookie", "uri"})
    if unknown:
        problems.add(field, "unknown key(s) %s; use headers, cookie or uri" % ", ".join(unknown))
    if not any(match.get(k) for k in ("headers", "cookie", "uri")):
        problems.add(field, "is empty; give headers, cookie or uri (a route without match goes in weights)")
    headers = match.get("headers") or {}
    if not isinstance(headers, dict):
        problems.add(field + ".headers", "must map header names to {exact|prefix|regex: value}")
        headers = {}
    for name, hmatch in sorted(headers.items()):
        hfield = "%s.headers.%s" % (field, name)
        if not HEADER_NAME.match(str(name)):
            problems.add(hfield, "%r is not a valid header name; use lower case letters, digits and '-'" % name)
        if name == "cookie" and match.get("cookie"):
            problems.add(hfield, "conflicts with %s.cookie; use one of them" % field)
        _check_string_match(problems, hfield, hmatch)
    cookie = match.get("cookie")
    if cookie is not None:
        if not isinstance(cookie, dict) or set(cookie) != {"name", "value"}:
            problems.add(field + ".cookie", "%r must be {name: ..., value: ...}" % (cookie,))
        else:
            if not isinstance(cookie["name"], str) or not COOKIE_NAME.match(cookie["name"]):
                problems.add(field + ".cookie.name", "%r is not a valid cookie name" % (cookie["name"],))
            if not isinstance(cookie["value"], str) or not cookie["value"] or re.search(r"[;,\s\"]", cookie["value"]):
                problems.add(field + ".cookie.value",
                             "%r must be a non-empty cookie value without ';', ',', quotes or spaces" % (cookie["value"],))
    if match.get("uri") is not None:
        _check_string_match(problems, field + ".uri", match["uri"])


def _check_retries(problems, field, retries):
    if retries is None:
        return
    if not isinstance(retries, dict):
        problems.add(field, "must be a dict with attempts, per_try_timeout, retry_on")
        return
    unknown = sorted(set(retries) - {"attempts", "per_try_timeout", "retry_on"})
    if unknown:
        problems.add(field, "unknown key(s) %s; use attempts, per_try_timeout, retry_on" % ", ".join(unknown))
    if "attempts" not in retries:
        problems.add(field + ".attempts", "is required; use 0 to turn retries off")
    else:
        kit.check_int(problems, field + ".attempts", retries["attempts"], minimum=0)
    check_duration(problems, field + ".per_try_timeout", retries.get("per_try_timeout"))
    retry_on = retries.get("retry_on")
    if retry_on is not None:
        tokens = [t.strip() for t in str(retry_on).split(",")]
        bad = [t for t in tokens if t not in RETRY_ON and not re.match(r"^[1-5]\d\d$", t)]
        if bad:
            problems.add(field + ".retry_on", "%r has unknown condition(s) %s; use Envoy retry_on values such as "
                         "5xx, gateway-error, connect-failure, reset or an HTTP status code" % (retry_on, ", ".join(bad)))


def _check_destinations(problems, field, destinations, subsets, namespace):
    if not isinstance(destinations, list) or not destinations:
        problems.add(field, "needs at least one destination")
        return
    total, weights_ok = 0, True
    for index, dest in enumerate(destinations):
        dfield = "%s[%d]" % (field, index)
        if not isinstance(dest, dict):
            problems.add(dfield, "must be a dict with subset and weight")
            weights_ok = False
            continue
        subset = dest.get("subset")
        if subset is not None and subset not in subsets:
            problems.add(dfield + ".subset", "%r is not a subset of the DestinationRule; defined: %s" % (
                subset, ", ".join(subsets) or "none (add it under subsets)"))
        host = dest.get("host")
        if host is not None and not host_in_namespace(str(host), namespace):
            problems.add(dfield + ".host", "%r is outside namespace %r; route only to services of the tenant's "
                         "namespace" % (host, namespace))
        weight = dest.get("weight", 100 if len(destinations) == 1 else None)
        if weight is None:
            problems.add(dfield + ".weight", "is required when a route has several destinations")
            weights_ok = False
        elif kit.check_int(problems, dfield + ".weight", weight, 0, 100):
            total += weight
        else:
            weights_ok = False
    if weights_ok and total != 100:
        problems.add(field, "weights sum to %d; they must sum to 100" % total)


def weights_to_destinations(weights):
    """``{"v1": 90, "v2": 10}`` -> ``[{"subset": "v1", "weight": 90}, ...]`` (order kept)."""
    return [{"subset": k, "weight": v} for k, v in (weights or {}).items()]


def validate_policy(params):
    """Check the traffic_policy options; raise one SpecError naming every bad field."""
    p = kit.Problems(subject="traffic policy %r" % params.get("name"))
    name, namespace = params.get("name"), params.get("namespace")
    for key in ("name", "namespace", "tenant"):
        kit.check_name(p, key, params.get(key))
    namespace = namespace or ""
    host = params.get("host") or name or ""
    if host and not host_in_namespace(host, namespace):
        p.add("host", "%r is outside namespace %r; a policy may only govern a service of the tenant's namespace "
              "(use 'svc', 'svc.%s' or 'svc.%s.svc.cluster.local')" % (host, namespace, namespace, namespace))
    if params.get("port") is not None:
        kit.check_int(p, "port", params["port"], 1, 65535)

    subsets = []
    for index, subset in enumerate(params.get("subsets") or []):
        field = "subsets[%d]" % index
        sname = subset.get("name") if isinstance(subset, dict) else None
        if not kit.is_dns1123_label(sname):
            p.add(field + ".name", "%r is not a DNS-1123 label" % (sname,))
            continue
        if sname in subsets:
            p.add(field + ".name", "%r is defined twice" % sname)
        subsets.append(sname)
        labels = subset.get("labels")
        if labels is not None and (not isinstance(labels, dict) or not labels):
            p.add(field + ".labels", "must be a non-empty dict of pod labels (default: {version: %s})" % sname)

    weights = params.get("weights")
    if weights:
        if not isinstance(weights, dict):
            p.add("weights", "must map subset names to weights, for example {v1: 90, v2: 10}")
        else:
            _check_destinations(p, "weights", weights_to_destinations(weights), subsets, namespace)

    for index, route in enumerate(params.get("routes") or []):
        field = "routes[%d]" % index
        if not isinstance(route, dict):
            p.add(field, "must be a dict with name, match and destinations")
            continue
        rname = route.get("name")
        if rname is not None and not kit.is_dns1123_label(rname):
            p.add(field + ".name", "%r is not a DNS-1123 label" % (rname,))
        matches = route.get("match")
        if not isinstance(matches, list) or not matches:
            p.add(field + ".match", "needs at least one match (headers, cookie or uri)")
        else:
            for mindex, match in enumerate(matches):
                _check_match(p, "%s.match[%d]" % (field, mindex), match)
        _check_destinations(p, field + ".destinations", route.get("destinations"), subsets, namespace)
        check_duration(p, field + ".timeout", route.get("timeout"))
        _check_retries(p, field + ".retries", route.get("retries"))

    check_duration(p, "timeout", params.get("timeout"))
    _check_retries(p, "retries", params.get("retries"))
    _check_traffic_settings(p, params)
    _check_rate_limit(p, params.get("rate_limit"))
    _check_gateway(p, params.get("gateway"), params.get("ingress_domain"))
    p.raise_if_any()


def _check_settings(problems, field, values, known):
    if values is None:
        return
    if not isinstance(values, dict):
        problems.add(field, "must be a dict")
        return
    for key, value in sorted(values.items()):
        kfield = "%s.%s" % (field, key)
        kind = known.get(key)
        if kind is None:
            problems.add(kfield, "is not a known setting; use one of %s" % ", ".join(sorted(known)))
        elif isinstance(kind, dict):
            _check_settings(problems, kfield, value, kind)
        elif isinstance(kind, tuple):
            if value not in kind:
                problems.add(kfield, "%r is not one of %s" % (value, ", ".join(kind)))
        elif kind == "duration":
            check_duration(problems, kfield, value)
        elif kind == "bool":
            if not isinstance(value, bool):
                problems.add(kfield, "%r is not true or false" % (value,))
        elif kind == "percent":
            kit.check_int(problems, kfield, value, 0, 100)
        else:
            kit.check_int(problems, kfield, value, minimum=1)


def _check_traffic_settings(problems, params):
    _check_settings(problems, "connection_pool", params.get("connection_pool"), CONNECTION_POOL_KEYS)
    _check_settings(problems, "outlier_detection", params.get("outlier_detection"), OUTLIER_KEYS)


def _check_rate_limit(problems, rate_limit):
    if rate_limit is None:
        return
    if not isinstance(rate_limit, dict):
        problems.add("rate_limit", "must be a dict with max_tokens, tokens_per_fill and fill_interval")
        return
    unknown = sorted(set(rate_limit) - {"max_tokens", "tokens_per_fill", "fill_interval", "status_code"})
    if unknown:
        problems.add("rate_limit", "unknown key(s) %s" % ", ".join(unknown))
    for key in ("max_tokens", "tokens_per_fill"):
        if key not in rate_limit:
            problems.add("rate_limit." + key, "is required (a positive number of tokens)")
        else:
            kit.check_int(problems, "rate_limit." + key, rate_limit[key], minimum=1)
    if "fill_interval" not in rate_limit:
        problems.add("rate_limit.fill_interval", "is required, for example '1s'")
    else:
        check_duration(problems, "rate_limit.fill_interval", rate_limit["fill_interval"], minimum=MIN_FILL_INTERVAL)
    if rate_limit.get("status_code") is not None:
        kit.check_int(problems, "rate_limit.status_code", rate_limit["status_code"], 400, 599)


def _check_gateway(problems, gateway, domain=None):
    if gateway is None:
        return
    if not isinstance(gateway, dict):
        problems.add("gateway", "must be a dict with hosts, path and gateway")
        return
    unknown = sorted(set(gateway) - {"hosts", "path", "gateway"})
    if unknown:
        problems.add("gateway", "unknown key(s) %s; use hosts, path, gateway" % ", ".join(unknown))
    hosts = gateway.get("hosts")
    if not isinstance(hosts, list) or not hosts:
        problems.add("gateway.hosts", "needs at least one external host name, for example shop.acme.%s" % facts.DOMAIN)
    else:
        for index, host in enumerate(hosts):
            if not isinstance(host, str) or host == "*" or not DNS_NAME.match(host) or "." not in host:
                problems.add("gateway.hosts[%d]" % index, "%r is not a fully qualified host name" % (host,))
            elif domain and not host.endswith("." + domain):
                problems.add("gateway.hosts[%d]" % index, "%r is outside the platform's domain; the ingress Gateway "
                             "serves only names under %s, for example shop.%s" % (host, domain, domain))
    path = gateway.get("path", "/")
    if not isinstance(path, str) or not path.startswith("/") or re.search(r"\s", path):
        problems.add("gateway.path", "%r must start with '/' and contain no spaces" % (path,))
    ref = gateway.get("gateway")
    if ref is not None and (not isinstance(ref, str) or not GATEWAY_REF.match(ref)):
        problems.add("gateway.gateway", "%r is not a Gateway reference; use '<namespace>/<name>'" % (ref,))
