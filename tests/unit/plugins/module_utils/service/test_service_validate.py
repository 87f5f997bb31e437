"""service/validate.py: defaults, and every invalid spec rejected at once, naming its field."""

import pytest

from ansible_collections.openova.platform.plugins.module_utils.errors import SpecError
from ansible_collections.openova.platform.plugins.module_utils.service.validate import normalize, validate_service

SPEC = {"name": "orders", "tenant": "acme", "namespace": "acme-prod", "image": "harbor.openova.io/acme/orders:1.4.2"}


def problems(**extra):
    with pytest.raises(SpecError) as err:
        validate_service(dict(SPEC, **extra))
    return [p["field"] for p in err.value.details["problems"]]


@pytest.mark.parametrize("extra, field", [
    ({"image": "docker.io/library/nginx:1.27"}, "image"),
    ({"image": "harbor.openova.io/globex/orders:1"}, "image"),
    ({"image": "harbor.openova.io/acme/orders"}, "image"),
    ({"image": "harbor.openova.io/acme/orders:latest"}, "image"),
    ({"image": "harbor.openova.io/acme/orders@sha256:abc"}, "image"),
    ({"produces": ["orders"]}, "produces[0]"),
    ({"produces": ["acmeorders"]}, "produces[0]"),
    ({"consumes": ["globex.payments"]}, "consumes[0]"),
    ({"consumes": ["acme.a"], "consumer_group": "orders"}, "consumer_group"),
    ({"env": {"REDPANDA_BROKERS": "x"}, "produces": ["acme.a"]}, "env.REDPANDA_BROKERS"),
    ({"env": {"1BAD": "x"}}, "env.1BAD"),
    ({"secret_env": [{"name": "X", "secret": "Bad_Name", "key": "k"}]}, "secret_env[0].secret"),
    ({"ports": [{"name": "http", "port": 70000}]}, "ports[0].port"),
    ({"ports": [{"name": "http", "port": 80}, {"name": "http", "port": 81}]}, "ports[1].name"),
    ({"replicas": 0}, "replicas"),
    ({"resources": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "500m", "memory": "1Gi"}}},
     "resources.requests.cpu"),
    ({"resources": {"requests": {"cpu": "1 core", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "1Gi"}}},
     "resources.requests.cpu"),
    ({"resources": {"requests": {"cpu": "1"}, "limits": {"cpu": "2", "memory": "1Gi"}}}, "resources.requests.memory"),
    ({"probes": {"liveness": {"path": "health"}}}, "probes.liveness.path"),
    ({"probes": {"readiness": {"path": "/ready", "port": "metrics"}}}, "probes.readiness.port"),
    ({"autoscaling": {"min_replicas": 4, "max_replicas": 2}}, "autoscaling.max_replicas"),
    ({"autoscaling": {"cpu_utilization": 0}}, "autoscaling.cpu_utilization"),
    ({"name": "1orders"}, "name"),
    ({"version": "V2"}, "version"),
    ({"run_as_user": 0}, "run_as_user"),
])
def test_each_invalid_spec_names_its_field(extra, field):
    assert field in problems(**extra)


def test_other_domain_moves_the_registry():
    assert "image" in problems(domain="example.com")
    validate_service(dict(SPEC, domain="example.com", image="harbor.example.com/acme/orders:1"))


def test_identity_only_for_deletes():
    validate_service({"name": "orders", "tenant": "acme", "namespace": "acme-prod", "version": "v1"},
                     identity_only=True)


def test_defaults_fill_a_short_spec():
    spec = normalize(SPEC)
    assert spec["version"] == spec["stable_version"] == "v1"
    assert spec["domain"] == "openova.io" and spec["replicas"] == 2
    assert spec["autoscaling"] == {"enabled": True, "cpu_utilization": 70, "min_replicas": 2, "max_replicas": 6}


def test_quantities_are_compared_exactly():
    assert "resources.requests.cpu" in problems(resources={"requests": {"cpu": "1001m", "memory": "1Gi"},
                                                           "limits": {"cpu": "1", "memory": "1Gi"}})
    validate_service(dict(SPEC, resources={"requests": {"cpu": "1000m", "memory": "1Gi"},
                                           "limits": {"cpu": "1", "memory": "1024Mi"}}))


def test_every_problem_at_once():
    with pytest.raises(SpecError) as err:
        validate_service(dict(SPEC, replicas=0, image="nginx", ports=[{"name": "http", "port": 0}]))
    assert {"replicas", "image", "ports[0].port"} <= {field for field, _message in err.value.problems}
