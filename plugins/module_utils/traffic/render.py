# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure renderers of a service's Istio traffic objects: VirtualService,
DestinationRule, the local_ratelimit EnvoyFilter and the ingress
VirtualService. Input is a policy that validate.validate_policy accepted.
No I/O, no clock, deterministic order."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.openova.platform.plugins.module_utils import facts
from ansible_collections.openova.platform.plugins.module_utils.service.meta import metadata
from ansible_collections.openova.platform.plugins.module_utils.traffic.validate import weights_to_destinations

NETWORKING = "networking.istio.io/v1"
ENVOY_FILTER_API = "networking.istio.io/v1alpha3"
DEFAULT_GATEWAY = facts.INGRESS_GATEWAY
PART = "traffic"
LOCAL_RATELIMIT = "envoy.filters.http.local_ratelimit"
LOCAL_RATELIMIT_TYPE = "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit"


def camel(key):
    """``http1_max_pending_requests`` -> ``http1MaxPendingRequests``."""
    head, *rest = key.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def camel_keys(value):
    """A dict of snake_case settings, recursively in Istio's camelCase."""
    if isinstance(value, dict):
        return dict((camel(k), camel_keys(v)) for k, v in sorted(value.items()))
    return value


def fqdn(policy):
    """The service's cluster-local name: ``shop.acme-prod.svc.cluster.local``."""
    service = (policy.get("host") or policy["name"]).split(".")[0]
    return "%s.%s.svc.cluster.local" % (service, policy["namespace"])


def cookie_regex(name, value):
    """A header regex that matches ``name=value`` anywhere in a Cookie header."""
    return "^(.*?;\\s*)?(%s=%s)(;.*)?$" % (re.escape(name), re.escape(value))


def _match(match):
    out = {}
    headers = dict((name, dict(m)) for name, m in sorted((match.get("headers") or {}).items()))
    if match.get("cookie"):
        headers["cookie"] = {"regex": cookie_regex(match["cookie"]["name"], match["cookie"]["value"])}
    if headers:
        out["headers"] = headers
    if match.get("uri"):
        out["uri"] = dict(match["uri"])
    return out


def _destinations(policy, destinations):
    host, port = fqdn(policy), policy.get("port")
    route = []
    for dest in destinations:
        target = {"host": fqdn(dict(policy, host=dest["host"])) if dest.get("host") else host}
        if dest.get("subset"):
            target["subset"] = dest["subset"]
        if port:
            target["port"] = {"number": port}
        route.append({"destination": target, "weight": dest.get("weight", 100)})
    return route


def default_destinations(policy):
    """The match-less route: ``weights``, else all traffic to the first subset."""
    if policy.get("weights"):
        return weights_to_destinations(policy["weights"])
    subsets = policy.get("subsets") or []
    return [{"subset": subsets[0]["name"], "weight": 100}] if subsets else [{"weight": 100}]


def _resilience(http, timeout, retries):
    if timeout:
        http["timeout"] = timeout
    if retries is not None:
        out = {"attempts": retries["attempts"]}
        if retries.get("per_try_timeout"):
            out["perTryTimeout"] = retries["per_try_timeout"]
        if retries.get("retry_on"):
            out["retryOn"] = retries["retry_on"]
        http["retries"] = out
    return http


def _meta(policy, name):
    return metadata(name, policy["namespace"], policy["tenant"], policy["name"], PART)


def render_virtual_service(policy):
    """The mesh VirtualService: A/B routes first (in order), then the weighted default."""
    http = []
    for index, route in enumerate(policy.get("routes") or []):
        entry = {"name": route.get("name") or "route-%d" % index,
                 "match": [_match(m) for m in route["match"]],
                 "route": _destinations(policy, route["destinations"])}
        http.append(_resilience(entry, route.get("timeout", policy.get("timeout")),
                                route.get("retries", policy.get("retries"))))
    http.append(_resilience({"name": "default", "route": _destinations(policy, default_destinations(policy))},
                            policy.get("timeout"), policy.get("retries")))
    return {"apiVersion": NETWORKING, "kind": "VirtualService", "metadata": _meta(policy, policy["name"]),
            "spec": {"hosts": [fqdn(policy)], "http": http}}


def render_destination_rule(policy):
    """Subsets by pod labels (``version: <subset>`` unless given), plus circuit breaking."""
    spec = {"host": fqdn(policy)}
    traffic = {}
    if policy.get("connection_pool"):
        traffic["connectionPool"] = camel_keys(policy["connection_pool"])
    if policy.get("outlier_detection"):
        traffic["outlierDetection"] = camel_keys(policy["outlier_detection"])
    if traffic:
        spec["trafficPolicy"] = traffic
    subsets = [{"name": s["name"], "labels": dict(sorted((s.get("labels") or {"version": s["name"]}).items()))}
               for s in policy.get("subsets") or []]
    if subsets:
        spec["subsets"] = subsets
    return {"apiVersion": NETWORKING, "kind": "DestinationRule", "metadata": _meta(policy, policy["name"]),
            "spec": spec}


def render_rate_limit(policy):
    """An EnvoyFilter that inserts Envoy's local_ratelimit (token bucket) into the
    inbound HTTP chain of the service's own pods only (workloadSelector)."""
    limit = policy["rate_limit"]
    percent = {"numerator": 100, "denominator": "HUNDRED"}
    config = {
        "@type": LOCAL_RATELIMIT_TYPE,
        "stat_prefix": "http_local_rate_limiter",
        "token_bucket": {"max_tokens": limit["max_tokens"], "tokens_per_fill": limit["tokens_per_fill"],
                         "fill_interval": limit["fill_interval"]},
        "filter_enabled": {"runtime_key": "local_rate_limit_enabled", "default_value": dict(percent)},
        "filter_enforced": {"runtime_key": "local_rate_limit_enforced", "default_value": dict(percent)},
        "response_headers_to_add": [{"append_action": "OVERWRITE_IF_EXISTS_OR_ADD",
                                     "header": {"key": "x-local-rate-limit", "value": "true"}}],
    }
    if limit.get("status_code"):
        config["status"] = {"code": _status_name(limit["status_code"])}
    patch = {
        "applyTo": "HTTP_FILTER",
        "match": {"context": "SIDECAR_INBOUND",
                  "listener": {"filterChain": {"filter": {"name": "envoy.filters.network.http_connection_manager"}}}},
        "patch": {"operation": "INSERT_BEFORE", "value": {"name": LOCAL_RATELIMIT, "typed_config": config}},
    }
    labels = policy.get("workload_labels") or {"app": policy["name"]}
    return {"apiVersion": ENVOY_FILTER_API, "kind": "EnvoyFilter",
            "metadata": _meta(policy, policy["name"] + "-ratelimit"),
            "spec": {"workloadSelector": {"labels": dict(sorted(labels.items()))}, "configPatches": [patch]}}


_STATUS_NAMES = {429: "TooManyRequests", 503: "ServiceUnavailable", 403: "Forbidden", 400: "BadRequest"}


def _status_name(code):
    """Envoy's HttpStatus takes an enum name; the common ones by number."""
    return _STATUS_NAMES.get(code, code)


def render_ingress(policy):
    """A VirtualService bound to the platform's ingress Gateway: external
    ``hosts`` under ``path`` go to the same destinations as the default route."""
    gateway = policy["gateway"]
    http = _resilience({"name": "ingress", "match": [{"uri": {"prefix": gateway.get("path") or "/"}}],
                        "route": _destinations(policy, default_destinations(policy))},
                       policy.get("timeout"), policy.get("retries"))
    return {"apiVersion": NETWORKING, "kind": "VirtualService", "metadata": _meta(policy, policy["name"] + "-ingress"),
            "spec": {"hosts": list(gateway["hosts"]), "gateways": [gateway.get("gateway") or DEFAULT_GATEWAY],
                     "http": [http]}}


def render_traffic(policy):
    """Every traffic object of the policy, in a fixed order:
    DestinationRule, VirtualService, then the optional EnvoyFilter and ingress VirtualService."""
    objects = [render_destination_rule(policy), render_virtual_service(policy)]
    if policy.get("rate_limit"):
        objects.append(render_rate_limit(policy))
    if policy.get("gateway"):
        objects.append(render_ingress(policy))
    return objects
