"""traffic.validate: every invalid policy is rejected at once, naming its field."""

import pytest

from ansible_collections.openova.platform.plugins.module_utils.errors import SpecError
from ansible_collections.openova.platform.plugins.module_utils.traffic.validate import (
    host_in_namespace,
    validate_policy,
)

BASE = {"name": "shop", "namespace": "acme-prod", "tenant": "acme", "subsets": [{"name": "v1"}, {"name": "v2"}],
        "weights": {"v1": 90, "v2": 10}}


def fields(**overrides):
    """The field names SpecError reports for BASE updated with ``overrides``."""
    with pytest.raises(SpecError) as err:
        validate_policy(dict(BASE, **overrides))
    return [p["field"] for p in err.value.details["problems"]]


@pytest.mark.parametrize("host, ok", [("shop", True), ("shop.acme-prod", True), ("shop.acme-prod.svc", True),
                                      ("shop.acme-prod.svc.cluster.local", True), ("shop.other", False),
                                      ("shop.other.svc.cluster.local", False), ("example.com", False),
                                      ("Shop", False), ("shop.acme-prod.svc.cluster.remote", False)])
def test_host_in_namespace(host, ok):
    assert host_in_namespace(host, "acme-prod") is ok


def test_valid_policy_passes():
    validate_policy(dict(BASE, timeout="5s", retries={"attempts": 0}, port=8080,
                         routes=[{"name": "beta", "match": [{"headers": {"x-beta": {"exact": "1"}}},
                                                            {"cookie": {"name": "group", "value": "b"}},
                                                            {"uri": {"prefix": "/v2"}}],
                                  "destinations": [{"subset": "v2"}], "timeout": "1s"}],
                         connection_pool={"tcp": {"max_connections": 10}, "http": {"max_retries": 2}},
                         outlier_detection={"consecutive_5xx_errors": 3, "interval": "5s"},
                         rate_limit={"max_tokens": 10, "tokens_per_fill": 5, "fill_interval": "1s"},
                         gateway={"hosts": ["shop.acme.openova.io"], "path": "/"}))


@pytest.mark.parametrize("overrides, field", [
    ({"weights": {"v1": 90, "v2": 20}}, "weights"),
    ({"weights": {"v1": 100, "v3": 0}}, "weights[1].subset"),
    ({"weights": {"v1": 101, "v2": -1}}, "weights[0].weight"),
    ({"timeout": "5 seconds"}, "timeout"),
    ({"timeout": "0s"}, "timeout"),
    ({"retries": {"attempts": -1}}, "retries.attempts"),
    ({"retries": {"attempts": 2, "per_try_timeout": "2"}}, "retries.per_try_timeout"),
    ({"retries": {"attempts": 2, "retry_on": "5xx,sometimes"}}, "retries.retry_on"),
    ({"host": "shop.other-tenant.svc.cluster.local"}, "host"),
    ({"host": "evil.example.com"}, "host"),
    ({"routes": [{"match": [{"headers": {"x-beta": {"exact": "1"}}}],
                  "destinations": [{"subset": "v2", "host": "db.other.svc.cluster.local"}]}]},
     "routes[0].destinations[0].host"),
    ({"routes": [{"match": [{"headers": {"x-beta": {"exact": "1"}}}], "destinations": [{"subset": "v9"}]}]},
     "routes[0].destinations[0].subset"),
    ({"routes": [{"match": [{"headers": {"x-beta": {"exact": "1", "prefix": "2"}}}],
                  "destinations": [{"subset": "v2"}]}]}, "routes[0].match[0].headers.x-beta"),
    ({"routes": [{"match": [{"headers": {"X Beta": {"exact": "1"}}}], "destinations": [{"subset": "v2"}]}]},
     "routes[0].match[0].headers.X Beta"),
    ({"routes": [{"match": [{"headers": {"x-beta": {"regex": "(["}}}], "destinations": [{"subset": "v2"}]}]},
     "routes[0].match[0].headers.x-beta.regex"),
    ({"routes": [{"match": [{"cookie": {"name": "group", "value": "a;b"}}], "destinations": [{"subset": "v2"}]}]},
     "routes[0].match[0].cookie.value"),
    ({"routes": [{"match": [{"cookie": {"name": "gr oup", "value": "a"}}], "destinations": [{"subset": "v2"}]}]},
     "routes[0].match[0].cookie.name"),
    ({"routes": [{"match": [{"cookie": "group=a"}], "destinations": [{"subset": "v2"}]}]},
     "routes[0].match[0].cookie"),
    ({"routes": [{"match": [], "destinations": [{"subset": "v2"}]}]}, "routes[0].match"),
    ({"routes": [{"match": [{"headers": {"x": {"exact": "1"}}}],
                  "destinations": [{"subset": "v1", "weight": 50}, {"subset": "v2", "weight": 40}]}]},
     "routes[0].destinations"),
    ({"rate_limit": {"max_tokens": 0, "tokens_per_fill": 1, "fill_interval": "1s"}}, "rate_limit.max_tokens"),
    ({"rate_limit": {"max_tokens": 1, "tokens_per_fill": -5, "fill_interval": "1s"}}, "rate_limit.tokens_per_fill"),
    ({"rate_limit": {"max_tokens": 1, "tokens_per_fill": 1, "fill_interval": "10ms"}}, "rate_limit.fill_interval"),
    ({"connection_pool": {"tcp": {"max_connections": 0}}}, "connection_pool.tcp.max_connections"),
    ({"connection_pool": {"tcp": {"connect_timeout": "soon"}}}, "connection_pool.tcp.connect_timeout"),
    ({"connection_pool": {"tcp": {"max_conns": 5}}}, "connection_pool.tcp.max_conns"),
    ({"outlier_detection": {"base_ejection_time": "30"}}, "outlier_detection.base_ejection_time"),
    ({"outlier_detection": {"max_ejection_percent": 150}}, "outlier_detection.max_ejection_percent"),
    ({"gateway": {"hosts": ["*"], "path": "/"}}, "gateway.hosts[0]"),
    ({"gateway": {"hosts": ["shop.evil.example"], "path": "/"}, "ingress_domain": "openova.io"}, "gateway.hosts[0]"),
    ({"gateway": {"hosts": ["shop.acme.openova.io"], "path": "shop"}}, "gateway.path"),
    ({"gateway": {"hosts": ["shop.acme.openova.io"], "path": "/", "gateway": "a/b/c"}}, "gateway.gateway"),
    ({"subsets": [{"name": "v1"}, {"name": "v1"}], "weights": {"v1": 100}}, "subsets[1].name"),
    ({"name": "Shop"}, "name"),
])
def test_each_invalid_policy_names_its_field(overrides, field):
    assert field in fields(**overrides)


def test_all_problems_are_reported_together():
    with pytest.raises(SpecError) as err:
        validate_policy(dict(BASE, weights={"v1": 50, "v2": 20}, timeout="later", retries={"attempts": -2},
                             host="x.other"))
    assert sorted(p["field"] for p in err.value.details["problems"]) == [
        "host", "retries.attempts", "timeout", "weights"]
    assert "nothing was written" in err.value.msg and "sum to 70" in err.value.msg
