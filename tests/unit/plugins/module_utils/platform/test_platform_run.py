"""platform/run.py: bad options fail before any request (the API itself is exercised in
tests/integration/test_platform_config.py)."""

import pytest

from ansible_collections.openova.platform.plugins.module_utils.errors import SpecError
from ansible_collections.openova.platform.plugins.module_utils.platform import run


class NoClient:
    requests = 0

    def __getattr__(self, name):
        raise AssertionError("the API was called (%s) before the options were checked" % name)


def test_platform_config_checks_before_any_request():
    with pytest.raises(SpecError, match="mtls_mode"):
        run.run_platform_config({"phase": "configure", "mtls_mode": "OFF"}, client=NoClient())


def test_platform_objects_checks_before_any_request():
    with pytest.raises(SpecError, match="secrets"):
        run.run_platform_objects({"component": "redpanda", "secrets": [{"name": "s", "namespace": "n"}]},
                                 client=NoClient())


def test_each_phase_prunes_only_its_own_kinds():
    assert [k for _api, k in run.OWNED_KINDS["prepare"]] == ["PriorityClass"]
    assert "Namespace" not in [k for kinds in run.OWNED_KINDS.values() for _api, k in kinds]
