"""traffic.render: golden shapes of the Istio objects, pure and deterministic."""

import copy

from ansible_collections.openova.platform.plugins.module_utils.traffic.render import (
    camel,
    cookie_regex,
    render_traffic,
)
import re

POLICY = {"name": "shop", "namespace": "acme-prod", "tenant": "acme", "port": 8080,
          "subsets": [{"name": "v1"}, {"name": "v2", "labels": {"track": "canary"}}], "weights": {"v1": 90, "v2": 10},
          "routes": [{"name": "beta", "match": [{"headers": {"x-beta": {"exact": "1"}}},
                                                {"cookie": {"name": "group", "value": "beta"}}],
                      "destinations": [{"subset": "v2"}], "timeout": "1s"}],
          "timeout": "5s", "retries": {"attempts": 3, "per_try_timeout": "2s", "retry_on": "5xx"},
          "connection_pool": {"http": {"http1_max_pending_requests": 10}},
          "outlier_detection": {"consecutive_5xx_errors": 5, "interval": "10s"},
          "rate_limit": {"max_tokens": 100, "tokens_per_fill": 10, "fill_interval": "1s"},
          "gateway": {"hosts": ["shop.acme.openova.io"], "path": "/shop", "gateway": None}}


def by_name(objects):
    return dict(("%s/%s" % (o["kind"], o["metadata"]["name"]), o) for o in objects)


def test_renders_all_objects_in_order_with_owner_labels():
    objects = render_traffic(POLICY)
    assert [(o["kind"], o["metadata"]["name"]) for o in objects] == [
        ("DestinationRule", "shop"), ("VirtualService", "shop"), ("EnvoyFilter", "shop-ratelimit"),
        ("VirtualService", "shop-ingress")]
    for obj in objects:
        assert obj["metadata"]["namespace"] == "acme-prod"
        assert obj["metadata"]["labels"]["openova.io/tenant"] == "acme"
        assert obj["metadata"]["labels"]["openova.io/part"] == "traffic"


def test_virtual_service_routes():
    vs = by_name(render_traffic(POLICY))["VirtualService/shop"]
    assert vs["spec"]["hosts"] == ["shop.acme-prod.svc.cluster.local"]
    beta, default = vs["spec"]["http"]
    assert beta["name"] == "beta" and beta["timeout"] == "1s"
    assert beta["match"][0] == {"headers": {"x-beta": {"exact": "1"}}}
    assert re.match(beta["match"][1]["headers"]["cookie"]["regex"], "a=1; group=beta; c=2")
    assert [(r["destination"]["subset"], r["weight"]) for r in default["route"]] == [("v1", 90), ("v2", 10)]
    assert default["route"][0]["destination"]["port"] == {"number": 8080}
    assert default["retries"] == {"attempts": 3, "perTryTimeout": "2s", "retryOn": "5xx"}
    assert default["timeout"] == "5s"


def test_destination_rule_subsets_and_circuit_breaking():
    dr = by_name(render_traffic(POLICY))["DestinationRule/shop"]
    assert dr["spec"]["subsets"] == [{"name": "v1", "labels": {"version": "v1"}},
                                     {"name": "v2", "labels": {"track": "canary"}}]
    assert dr["spec"]["trafficPolicy"] == {"connectionPool": {"http": {"http1MaxPendingRequests": 10}},
                                           "outlierDetection": {"consecutive5xxErrors": 5, "interval": "10s"}}


def test_rate_limit_is_scoped_to_the_service_pods():
    ef = by_name(render_traffic(POLICY))["EnvoyFilter/shop-ratelimit"]
    assert ef["apiVersion"] == "networking.istio.io/v1alpha3"
    assert ef["spec"]["workloadSelector"] == {"labels": {"app": "shop"}}
    patch = ef["spec"]["configPatches"][0]
    assert patch["match"]["context"] == "SIDECAR_INBOUND"
    assert patch["patch"]["value"]["name"] == "envoy.filters.http.local_ratelimit"
    assert patch["patch"]["value"]["typed_config"]["token_bucket"] == {
        "max_tokens": 100, "tokens_per_fill": 10, "fill_interval": "1s"}


def test_ingress_uses_the_platform_gateway_and_default_split():
    ing = by_name(render_traffic(POLICY))["VirtualService/shop-ingress"]
    assert ing["spec"]["gateways"] == ["istio-ingress/openova-ingress"]
    assert ing["spec"]["hosts"] == ["shop.acme.openova.io"]
    assert ing["spec"]["http"][0]["match"] == [{"uri": {"prefix": "/shop"}}]
    assert [r["weight"] for r in ing["spec"]["http"][0]["route"]] == [90, 10]


def test_optional_parts_absent_and_defaults():
    policy = {"name": "shop", "namespace": "acme-prod", "tenant": "acme", "subsets": [{"name": "v1"}]}
    objects = render_traffic(policy)
    assert [o["kind"] for o in objects] == ["DestinationRule", "VirtualService"]
    assert "trafficPolicy" not in objects[0]["spec"]
    assert objects[1]["spec"]["http"] == [{"name": "default", "route": [
        {"destination": {"host": "shop.acme-prod.svc.cluster.local", "subset": "v1"}, "weight": 100}]}]


def test_pure_and_deterministic():
    policy = copy.deepcopy(POLICY)
    assert render_traffic(policy) == render_traffic(policy)
    assert policy == POLICY


def test_helpers():
    assert camel("consecutive_5xx_errors") == "consecutive5xxErrors"
    assert camel("http1_max_pending_requests") == "http1MaxPendingRequests"
    assert not re.match(cookie_regex("group", "beta"), "group=betamax")
    assert re.match(cookie_regex("group", "beta"), "group=beta")
