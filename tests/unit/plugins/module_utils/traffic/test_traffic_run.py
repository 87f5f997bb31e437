"""traffic.run: params to policy, and validation before the first request."""

import pytest

from ansible_collections.openova.platform.plugins.module_utils.errors import SpecError
from ansible_collections.openova.platform.plugins.module_utils.traffic.run import (
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
