"""service.run: keeping the HPA's replicas, the wait predicate, validation first."""

import pytest

from ansible_collections.openova.platform.plugins.module_utils.errors import SpecError
from ansible_collections.openova.platform.plugins.module_utils.service.render import render_workload
from ansible_collections.openova.platform.plugins.module_utils.service.validate import validate_service
from ansible_collections.openova.platform.plugins.module_utils.service.run import (
    deployment_available,
    keep_scaled_replicas,
    run_tenant_service,
)

SPEC = {"name": "orders", "tenant": "acme", "namespace": "acme-prod", "image": "harbor.openova.io/acme/orders:1",
        "replicas": 2, "autoscaling": {"min_replicas": 2, "max_replicas": 4}}


def deployment(objects):
    return next(o for o in objects if o["kind"] == "Deployment")


@pytest.mark.parametrize("live, expected", [(None, 2), (3, 3), (9, 4), (1, 2)])
def test_keep_scaled_replicas(live, expected):
    spec = validate_service(SPEC)
    objects = render_workload(spec)
    owned = [] if live is None else [dict(deployment(render_workload(spec)), spec={"replicas": live})]
    keep_scaled_replicas(objects, owned, spec)
    assert deployment(objects)["spec"]["replicas"] == expected


def test_without_autoscaling_replicas_win():
    spec = validate_service(dict(SPEC, autoscaling={"enabled": False}))
    objects = render_workload(spec)
    keep_scaled_replicas(objects, [dict(deployment(render_workload(spec)), spec={"replicas": 7})], spec)
    assert deployment(objects)["spec"]["replicas"] == 2


def test_deployment_available():
    ready = deployment_available(2)
    base = {"metadata": {"generation": 3}}
    assert ready(dict(base, status={"observedGeneration": 3, "replicas": 2, "updatedReplicas": 2,
                                    "availableReplicas": 2}))
    assert not ready(dict(base, status={"observedGeneration": 2, "replicas": 2, "updatedReplicas": 2,
                                        "availableReplicas": 2}))
    assert not ready(dict(base, status={"observedGeneration": 3, "replicas": 3, "updatedReplicas": 2,
                                        "availableReplicas": 2}))


class NoClient:
    def resource(self, *args):
        raise AssertionError("request sent before validation finished")

    request = resource


def test_invalid_spec_sends_no_request():
    with pytest.raises(SpecError, match="produces"):
        run_tenant_service(dict(SPEC, produces=["orders"]), client=NoClient())
