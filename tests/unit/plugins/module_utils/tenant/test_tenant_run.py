"""run.py: the parts that need no API server (password reuse, summaries, and
input errors raised before any request)."""

import base64

import pytest

from ansible_collections.openova.platform.plugins.module_utils.apply import ObjectResult, summarize_by
from ansible_collections.openova.platform.plugins.module_utils.errors import SpecError
from ansible_collections.openova.platform.plugins.module_utils.tenant import run


class NoClient:
    """Fails the test on any request: validation must come first."""

    requests = 0

    def __getattr__(self, name):
        raise AssertionError("the API was called (%s) before validation finished" % name)


@pytest.mark.parametrize("params,field", [
    ({"tenants": [{"name": "Bad!", "owners": {"admin": ["g"]}}]}, "name"),
    ({"tenants": [{"name": "acme", "owners": {"admin": ["g"]}, "quota": {"requests_cpu": "2 cores"}}]},
     "quota.requests_cpu"),
    ({"tenants": [{"name": "acme", "owners": {"admin": ["g"]}}], "platform": {"nope": 1}}, "platform.nope"),
    ({"tenants": [{"name": "acme", "owners": {"admin": ["g"]}}], "concurrency": 0}, "concurrency"),
    ({"tenants": []}, "tenants"),
])
def test_bad_input_fails_before_any_request(params, field):
    with pytest.raises(SpecError) as err:
        run.run_tenant(params, client=NoClient())
    assert field in err.value.msg


def test_passwords_are_reused_from_live_secrets(tenant, platform):
    t = tenant()
    live = {("v1", "Secret", "openova-redpanda", "tenant-acme-redpanda"): {
        "data": {"password": base64.b64encode(b"kept").decode()}}}
    passwords = run._passwords(t, platform, live)
    assert passwords["redpanda"] == "kept"
    assert len(passwords["postgres"]) >= 32 and passwords["postgres"] != run._passwords(t, platform, {})["postgres"]


def test_summary_per_tenant():
    results = [ObjectResult(("v1", "ConfigMap", "acme", "x"), action, error="boom")
               for action in ("created", "updated", "unchanged", "failed", "deleted")]
    summary = summarize_by(results, lambda r: "acme", ["acme", run.SHARED])
    assert summary["acme"] == {"created": ["ConfigMap acme/x"], "updated": ["ConfigMap acme/x"],
                               "deleted": ["ConfigMap acme/x"], "unchanged": 1, "failed": ["boom"]}
    assert summary[run.SHARED] == {"created": [], "updated": [], "deleted": [], "unchanged": 0, "failed": []}
