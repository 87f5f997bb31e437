"""traffic.run: params to policy, and validation before the first request."""

import pytest

from ansible_collections.openova.platform.plugins.module_utils.errors import SpecError
from ansible_collections.openova.platform.plugins.module_utils.traffic.run import (
    kept_weights,
    live_weights,
    policy_from_params,
    run_traffic_policy,
)


class NoClient:
    """Any request is a test failure: validation must come first."""

    def resource(self, *args):
        raise AssertionError("request sent before validation finished")

    request = resource


def test_templated_weights_become_ints_and_connection_options_are_dropped():
    policy = policy_from_params({"name": "shop", "weights": {"v1": "90", "v2": 10}, "kubeconfig": "/x",
                                 "force_conflicts": True})
    assert policy["weights"] == {"v1": 90, "v2": 10}
    assert "kubeconfig" not in policy and "force_conflicts" not in policy


def test_invalid_policy_sends_no_request():
    with pytest.raises(SpecError, match="weights sum to 110"):
        run_traffic_policy({"name": "shop", "namespace": "acme-prod", "tenant": "acme",
                            "subsets": [{"name": "v1"}, {"name": "v2"}], "weights": {"v1": 100, "v2": 10}},
                           client=NoClient())


# ---------------------------------------------------------------- keep_weights: a deploy leaves a rollout alone
def _vs(*routes, extra_http=()):
    return {"kind": "VirtualService", "metadata": {"name": "shop"}, "spec": {"http": list(extra_http) + [
        {"name": "default", "route": [{"destination": {"host": "shop", "subset": s}, "weight": w} for s, w in routes]}]}}


def test_live_weights_read_the_default_route_only():
    ab = {"name": "beta", "match": [{"headers": {"x": {"exact": "1"}}}],
          "route": [{"destination": {"host": "shop", "subset": "v2"}, "weight": 100}]}
    assert live_weights(_vs(("v1", 50), ("v2", 50), extra_http=[ab])) == {"v1": 50, "v2": 50}
    single = {"spec": {"http": [{"name": "default", "route": [{"destination": {"host": "shop", "subset": "v1"}}]}]}}
    assert live_weights(single) == {"v1": 100}
    no_subset = {"spec": {"http": [{"name": "default", "route": [{"destination": {"host": "shop"}}]}]}}
    assert live_weights(no_subset) is None
    assert live_weights(None) is None


@pytest.mark.parametrize("live, subsets, expected", [
    ({"v1": 50, "v2": 50}, ["v1", "v2"], {"v1": 50, "v2": 50}),            # a canary at 50 % stays at 50 %
    ({"v1": 90, "v2": 10}, ["v1", "v2", "v3"], {"v1": 90, "v2": 10, "v3": 0}),  # a new version starts at 0
    ({"v1": 0, "v2": 100}, ["v2"], {"v2": 100}),                          # promoted: v1 may go
    ({"v1": 100}, ["v1", "v2"], {"v1": 100, "v2": 0}),
])
def test_kept_weights(live, subsets, expected):
    policy = {"name": "shop", "subsets": [{"name": s} for s in subsets]}
    assert kept_weights(live, policy) == expected


def test_a_split_that_cannot_be_kept_is_refused_naming_the_way_out():
    with pytest.raises(SpecError) as err:
        kept_weights({"v1": 90, "v2": 10}, {"name": "shop", "subsets": [{"name": "v2"}]})
    assert err.value.problems[0][0] == "subsets"
    assert "90% to subset(s) v1" in err.value.msg and "reset_weights=true" in err.value.msg
