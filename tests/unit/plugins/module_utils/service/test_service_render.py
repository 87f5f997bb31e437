"""service.validate and service.render: defaults, every rule naming its field, and
objects that meet PSA restricted and the platform's guard rails by construction."""

import copy

from ansible_collections.openova.platform.plugins.module_utils.guardrails.run import run_workload_check
from ansible_collections.openova.platform.plugins.module_utils.service.render import (
    default_traffic,
    render_workload,
)
from ansible_collections.openova.platform.plugins.module_utils.service.validate import validate_service

SPEC = {"name": "orders", "tenant": "acme", "namespace": "acme-prod", "image": "harbor.openova.io/acme/orders:1.4.2"}


def render(**extra):
    return dict((o["kind"], o) for o in render_workload(validate_service(dict(SPEC, **extra))))


def test_defaults_and_order():
    objects = render_workload(validate_service(SPEC))
    assert [(o["kind"], o["metadata"]["name"]) for o in objects] == [
        ("ServiceAccount", "orders"), ("Service", "orders"), ("Deployment", "orders-v1"),
        ("PodDisruptionBudget", "orders-v1"), ("HorizontalPodAutoscaler", "orders-v1")]
    deploy = objects[2]
    assert deploy["spec"]["replicas"] == 2
    assert objects[4]["spec"]["minReplicas"] == 2 and objects[4]["spec"]["maxReplicas"] == 6
    assert all(o["metadata"]["labels"]["openova.io/tenant"] == "acme" for o in objects)


def test_pod_meets_psa_restricted():
    pod = render()["Deployment"]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    for c in pod["containers"]:
        sc = c["securityContext"]
        assert sc["allowPrivilegeEscalation"] is False and sc["readOnlyRootFilesystem"] is True
        assert sc["capabilities"] == {"drop": ["ALL"]} and sc["runAsNonRoot"] is True
        assert sc["seccompProfile"] == {"type": "RuntimeDefault"}
        assert {"name": "tmp", "mountPath": "/tmp"} in c["volumeMounts"]
    assert not any(k in pod for k in ("hostNetwork", "hostPID", "hostIPC"))
    assert all("hostPath" not in v for v in pod["volumes"])


def test_pod_meets_the_adr_rules():
    deploy = render()["Deployment"]
    pod = deploy["spec"]["template"]["spec"]
    c = pod["containers"][0]
    assert set(c["resources"]["requests"]) == set(c["resources"]["limits"]) == {"cpu", "memory"}
    assert c["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert c["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
    assert [t["topologyKey"] for t in pod["topologySpreadConstraints"]] == [
        "topology.kubernetes.io/zone", "kubernetes.io/hostname"]
    labels = deploy["spec"]["template"]["metadata"]["labels"]
    assert labels["app"] == "orders" and labels["version"] == "v1"
    pdb = render()["PodDisruptionBudget"]
    assert pdb["spec"]["selector"]["matchLabels"] == deploy["spec"]["selector"]["matchLabels"]


def test_passes_workload_check_by_construction():
    for extra in ({}, {"replicas": 1, "autoscaling": {"enabled": False}},
                  {"produces": ["acme.a"], "consumes": ["acme.b"], "ports": [{"name": "grpc", "port": 9090}],
                   "probes": {"liveness": {"tcp": True}, "readiness": {"tcp": True}}}):
        objects = render_workload(validate_service(dict(SPEC, **extra)))
        result = run_workload_check({"definitions": objects, "tenant": "acme", "registry": "harbor.openova.io",
                                     "zone_spread": True})
        assert not result.get("failed"), result["msg"]
        assert result["summary"]["objects"] == 1


def test_event_wiring():
    env = render(produces=["acme.orders.created"], consumes=["acme.payments.settled", "acme.refunds"])[
        "Deployment"]["spec"]["template"]["spec"]["containers"][0]["env"]
    by_name = dict((e["name"], e) for e in env)
    for name, key in (("REDPANDA_BROKERS", "bootstrap_servers"), ("REDPANDA_USERNAME", "username"),
                      ("REDPANDA_PASSWORD", "password"), ("REDPANDA_SASL_MECHANISM", "mechanism")):
        assert by_name[name]["valueFrom"]["secretKeyRef"] == {"name": "redpanda-credentials", "key": key}
    assert by_name["REDPANDA_PRODUCE_TOPICS"]["value"] == "acme.orders.created"
    assert by_name["REDPANDA_CONSUME_TOPICS"]["value"] == "acme.payments.settled,acme.refunds"
    assert by_name["REDPANDA_CONSUMER_GROUP"]["value"] == "acme.orders"
    assert "env" not in render()["Deployment"]["spec"]["template"]["spec"]["containers"][0]


def test_env_and_secret_refs():
    env = render(env={"B": 2, "A": "x"}, secret_env=[{"name": "DB_PASSWORD", "secret": "orders-db", "key": "pw"}])[
        "Deployment"]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert env == [{"name": "A", "value": "x"}, {"name": "B", "value": "2"},
                   {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "orders-db", "key": "pw"}}}]


def test_autoscaling_off_renders_no_hpa():
    assert "HorizontalPodAutoscaler" not in render(autoscaling={"enabled": False})


def test_default_traffic():
    spec = validate_service(dict(SPEC, version="v2", stable_version="v1"))
    assert default_traffic(spec) == {"name": "orders", "namespace": "acme-prod", "tenant": "acme", "port": 8080,
                                     "subsets": [{"name": "v1"}, {"name": "v2"}], "weights": {"v1": 100, "v2": 0}}


def test_pure():
    spec = dict(SPEC, produces=["acme.a"])
    before = copy.deepcopy(spec)
    assert render_workload(validate_service(spec)) == render_workload(validate_service(spec))
    assert spec == before
