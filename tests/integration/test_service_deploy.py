"""tenant_service and playbooks/deploy_service.yml against the local cluster: pods
Ready on kwok nodes in every zone under PSA restricted, PDB and HPA present,
routing applied, re-runs unchanged, check mode writes nothing, workload_check
gates the apply, and the deployed objects pass workload_check and Kyverno."""

import base64
import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import yaml

from ansible_collections.openova.platform.plugins.module_utils.apply import comparable
from ansible_collections.openova.platform.plugins.module_utils.errors import SpecError
from ansible_collections.openova.platform.plugins.module_utils.guardrails.run import run_workload_check
from ansible_collections.openova.platform.plugins.module_utils.service.run import run_tenant_service
from harness import kubectl_bin, run_playbook


REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "playbooks" / "deploy_service.yml"
TENANT = "acme"
NET = "networking.istio.io/v1"
ZONE = "topology.kubernetes.io/zone"


def b64(text):
    return base64.b64encode(text.encode()).decode()


@pytest.fixture()
def tenant_ns(engine):
    """A namespace as the tenant module leaves it: tenant label, sidecar injection, PSA
    restricted enforced, and the tenant's Redpanda credentials."""
    name = "it-service-" + uuid.uuid4().hex[:6]
    engine.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": {
        "openova.io/tenant": TENANT, "istio-injection": "enabled",
        "pod-security.kubernetes.io/enforce": "restricted"}}}])
    engine.apply([{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "redpanda-credentials", "namespace": name},
                   "type": "Opaque", "data": {"username": b64("acme"), "password": b64("s3cret"),
                                              "mechanism": b64("SCRAM-SHA-512"),
                                              "bootstrap_servers": b64("redpanda.redpanda.svc:9093")}}])
    yield name
    engine.delete([("v1", "Namespace", "", name)])


def service_spec(namespace, **extra):
    spec = {"name": "orders", "tenant": TENANT, "namespace": namespace,
            "image": "harbor.openova.io/acme/orders:1.4.2", "replicas": 3,
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}},
            "env": {"LOG_LEVEL": "info"}, "produces": ["acme.orders.created"], "consumes": ["acme.payments.settled"],
            "autoscaling": {"min_replicas": 3, "max_replicas": 6}}
    spec.update(extra)
    return spec


TRAFFIC = {"timeout": "5s", "retries": {"attempts": 2, "per_try_timeout": "2s", "retry_on": "5xx"},
           "rate_limit": {"max_tokens": 50, "tokens_per_fill": 50, "fill_interval": "1s"}}


def tasks(out):
    """[(task name, changed, failed, skipped)] of a JSON playbook run, in order."""
    rows = []
    for play in out.get("plays", []):
        for task in play.get("tasks", []):
            host = task["hosts"].get("localhost", {})
            rows.append((task["task"]["name"], bool(host.get("changed")), bool(host.get("failed")),
                         bool(host.get("skipped"))))
    return rows


def index_of(rows, name_part):
    return next(i for i, row in enumerate(rows) if name_part in row[0])


def ready_pods(engine, namespace, version="v1"):
    pods = engine.list("v1", "Pod", namespace=namespace, label_selector="app=orders,version=" + version)
    return [p for p in pods if any(c["type"] == "Ready" and c["status"] == "True"
                                   for c in p.get("status", {}).get("conditions", []))]


def test_deploy_service_playbook(kubeconfig, engine, tenant_ns):
    extra = {"openova_domain": "openova.io", "service": service_spec(tenant_ns), "traffic": TRAFFIC}
    out = run_playbook(DEPLOY, kubeconfig, extra_vars=extra)[1]
    rows = tasks(out)
    check, apply_, route = (index_of(rows, "guard rails"), index_of(rows, "Apply the service's workload"),
                            index_of(rows, "Route the service"))
    assert check < apply_ < route, "workload_check must run before anything is applied"
    assert rows[check][1:] == (False, False, False)
    assert rows[apply_][1] and rows[route][1]

    # Pods are Ready on kwok nodes, one per zone, under PSA restricted.
    pods = ready_pods(engine, tenant_ns)
    assert len(pods) == 3
    zones = {n["metadata"]["name"]: n["metadata"]["labels"][ZONE] for n in engine.list("v1", "Node")}
    assert sorted(zones[p["spec"]["nodeName"]] for p in pods) == ["zone-a", "zone-b", "zone-c"]

    pdb = engine.get("policy/v1", "PodDisruptionBudget", "orders-v1", tenant_ns)
    assert pdb["spec"]["selector"]["matchLabels"] == {"app": "orders", "version": "v1"}
    hpa = engine.get("autoscaling/v2", "HorizontalPodAutoscaler", "orders-v1", tenant_ns)
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (3, 6)
    assert engine.get("v1", "ServiceAccount", "orders", tenant_ns)["automountServiceAccountToken"] is False

    # Event wiring: credentials from the tenant's Secret, topics and group inside the prefix.
    deploy = engine.get("apps/v1", "Deployment", "orders-v1", tenant_ns)
    env = {e["name"]: e for e in deploy["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["REDPANDA_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "redpanda-credentials", "key": "password"}
    assert env["REDPANDA_BROKERS"]["valueFrom"]["secretKeyRef"]["key"] == "bootstrap_servers"
    assert env["REDPANDA_PRODUCE_TOPICS"]["value"] == "acme.orders.created"
    assert env["REDPANDA_CONSUMER_GROUP"]["value"] == "acme.orders"

    # Routing: all traffic to v1, with the traffic settings and the rate limit.
    vs = engine.get(NET, "VirtualService", "orders", tenant_ns)
    assert vs["spec"]["http"][-1]["route"][0]["destination"]["subset"] == "v1"
    assert vs["spec"]["http"][-1]["timeout"] == "5s"
    assert engine.get("networking.istio.io/v1alpha3", "EnvoyFilter", "orders-ratelimit", tenant_ns) is not None

    # Controllers keep writing the status of the Deployment, PDB and HPA, which bumps their
    # resourceVersion; what a re-run must not change is the spec (generation) and our
    # managed fields. The VirtualService has no status writer, so its resourceVersion holds.
    def stamp(obj):
        ours = [m for m in obj["metadata"]["managedFields"] if m["manager"] == "openova-platform"]
        return obj["metadata"].get("generation"), [(m["operation"], m["time"]) for m in ours]

    stamps = {(o["apiVersion"], o["kind"], o["metadata"]["name"]): stamp(o) for o in [deploy, pdb, hpa, vs]}
    vs_version = vs["metadata"]["resourceVersion"]

    # A second run changes nothing.
    out = run_playbook(DEPLOY, kubeconfig, extra_vars=extra)[1]
    rows = tasks(out)
    assert not rows[index_of(rows, "Apply the service's workload")][1]
    assert not rows[index_of(rows, "Route the service")][1]
    for (api, kind, name), before in stamps.items():
        assert stamp(engine.get(api, kind, name, tenant_ns)) == before, (kind, name)
    assert engine.get(NET, "VirtualService", "orders", tenant_ns)["metadata"]["resourceVersion"] == vs_version


def test_deploy_service_check_mode_writes_nothing(kubeconfig, engine, tenant_ns):
    extra = {"openova_domain": "openova.io", "service": service_spec(tenant_ns), "traffic": TRAFFIC}
    out = run_playbook(DEPLOY, kubeconfig, extra_vars=extra, check=True)[1]
    rows = tasks(out)
    assert rows[index_of(rows, "Apply the service's workload")][1] is True
    assert engine.get("apps/v1", "Deployment", "orders-v1", tenant_ns) is None
    assert engine.list(NET, "VirtualService", namespace=tenant_ns) == []
    assert engine.list("v1", "ServiceAccount", namespace=tenant_ns, label_selector="app=orders") == []


def test_deploy_service_stops_before_applying_a_bad_spec(kubeconfig, engine, tenant_ns):
    extra = {"openova_domain": "openova.io", "service_wait": False,
             "service": service_spec(tenant_ns, image="docker.io/library/nginx:1.27", produces=["orders"])}
    rc, out, stdout = run_playbook(DEPLOY, kubeconfig, extra_vars=extra, expect_rc=None)
    assert rc != 0
    assert "image" in stdout and "produces[0]" in stdout and "harbor.openova.io/acme/" in stdout
    assert not any("Apply the service's workload" in row[0] and not row[3] for row in tasks(out))
    assert engine.list("apps/v1", "Deployment", namespace=tenant_ns) == []


def test_deployed_objects_pass_workload_check_and_kyverno(client, engine, tenant_ns, tmp_path):
    result = run_tenant_service(dict(service_spec(tenant_ns), wait=True, wait_timeout=60), client=client)
    assert not result.get("failed"), result.get("msg")
    live = [comparable(engine.get(o["apiVersion"], o["kind"], o["metadata"]["name"], tenant_ns))
            for o in result["objects"]]

    verdict = run_workload_check({"definitions": live, "tenant": TENANT, "registry": "harbor.openova.io",
                                  "zone_spread": True})
    assert not verdict.get("failed"), verdict["msg"]
    assert verdict["summary"]["objects"] == 2 and verdict["summary"]["failed"] == 0  # Deployment, Service

    sys.path.insert(0, str(REPO / "tools"))
    import toolchain  # noqa: E402  pylint: disable=import-outside-toplevel

    kyverno = toolchain.build(toolchain.BINARIES["kyverno"])  # the CLI (cached; the stage builds it)
    from ansible_collections.openova.platform.plugins.module_utils.guardrails.policies import render_policies
    from ansible_collections.openova.platform.plugins.module_utils.guardrails.rules import (
        PDB_RULE_ID, POD_RULES, Params, policy_name)

    # A `kyverno test` suite: the platform's policies (require-pdb in validate mode, so it
    # checks our PDB), the live objects, and "pass" expected for every rule on the Deployment.
    policies = [p for p in render_policies(Params(tenant=TENANT, zone_spread=True, pdb_mode="validate"))
                if p["kind"] == "ClusterPolicy"]
    (tmp_path / "policies.yaml").write_text(yaml.safe_dump_all(policies))
    (tmp_path / "resources.yaml").write_text(yaml.safe_dump_all(live))
    pdbs = [o for o in live if o["kind"] == "PodDisruptionBudget"]
    rules = [(policy_name(r.id), "autogen-" + r.id) for r in POD_RULES] + [(policy_name(PDB_RULE_ID), PDB_RULE_ID)]
    (tmp_path / "kyverno-test.yaml").write_text(yaml.safe_dump({
        "apiVersion": "cli.kyverno.io/v1alpha1", "kind": "Test", "metadata": {"name": "tenant-service"},
        "policies": ["policies.yaml"], "resources": ["resources.yaml"],
        "values": {"namespaceSelector": [{"name": tenant_ns, "labels": {"openova.io/tenant": TENANT}}]},
        "apiCallResponses": [
            {"urlPath": "/api/v1/namespaces/" + tenant_ns, "response": {"body": {
                "apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": tenant_ns, "labels": {"openova.io/tenant": TENANT}}}}},
            {"urlPath": "/apis/policy/v1/namespaces/%s/poddisruptionbudgets" % tenant_ns, "response": {"body": {
                "apiVersion": "policy/v1", "kind": "PodDisruptionBudgetList", "items": pdbs}}}],
        "results": [{"policy": policy, "rule": rule, "kind": "Deployment", "result": "pass",
                     "resources": ["orders-v1"]} for policy, rule in rules],
    }, sort_keys=False))
    proc = subprocess.run([str(kyverno), "test", str(tmp_path), "--detailed-results"], capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert " 0 tests failed" in proc.stdout, proc.stdout[-4000:]
    # The suite matches by name, so the PDB and HPA named orders-v1 show up as Excluded; what
    # counts is that every rule really ran on the Deployment and passed.
    ran = [line for line in proc.stdout.splitlines() if "Deployment/%s/orders-v1" % tenant_ns in line]
    assert len(ran) == len(rules) and all("passed." in line for line in ran), proc.stdout[-4000:]


@pytest.mark.parametrize("overrides, field", [
    ({"produces": ["orders.created"]}, "produces[0]"),
    ({"consumes": ["globex.payments"]}, "consumes[0]"),
    ({"consumer_group": "orders"}, "consumer_group"),
    ({"image": "harbor.openova.io/globex/orders:1.0.0"}, "image"),
    ({"image": "harbor.openova.io/acme/orders:latest"}, "image"),
    ({"resources": {"requests": {"cpu": "100m"}, "limits": {"cpu": "50m", "memory": "1Gi"}}},
     "resources.requests.memory"),
    ({"probes": {"readiness": {"path": "ready"}}}, "probes.readiness.path"),
    ({"autoscaling": {"min_replicas": 5, "max_replicas": 2}}, "autoscaling.max_replicas"),
])
def test_invalid_service_is_rejected_before_any_request(client, engine, tenant_ns, overrides, field):
    sent = client.requests
    with pytest.raises(SpecError) as err:
        run_tenant_service(service_spec(tenant_ns, **overrides), client=client)
    assert client.requests == sent
    assert field in [p["field"] for p in err.value.details["problems"]]
    assert engine.list("apps/v1", "Deployment", namespace=tenant_ns) == []


def test_second_version_and_its_removal(client, engine, tenant_ns):
    base = service_spec(tenant_ns, replicas=1, autoscaling={"enabled": False})
    run_tenant_service(base, client=client)
    two = run_tenant_service(dict(base, version="v2", stable_version="v1", image="harbor.openova.io/acme/orders:1.5.0"),
                             client=client)
    assert two["traffic"]["weights"] == {"v1": 100, "v2": 0}
    assert sorted(d["metadata"]["name"] for d in engine.list("apps/v1", "Deployment", namespace=tenant_ns)) == [
        "orders-v1", "orders-v2"]
    assert engine.list("autoscaling/v2", "HorizontalPodAutoscaler", namespace=tenant_ns) == []
    gone = run_tenant_service({"name": "orders", "tenant": TENANT, "namespace": tenant_ns, "version": "v1",
                               "state": "absent"}, client=client)
    assert sorted((r["kind"], r["action"]) for r in gone["results"]) == [("Deployment", "deleted"),
                                                                         ("PodDisruptionBudget", "deleted")]
    assert [d["metadata"]["name"] for d in engine.list("apps/v1", "Deployment", namespace=tenant_ns)] == ["orders-v2"]
    assert engine.get("v1", "Service", "orders", tenant_ns) is not None
    json.dumps(gone)  # the result is plain data


def test_rerun_keeps_the_replicas_the_hpa_chose(client, engine, kubeconfig, tenant_ns):
    spec = dict(service_spec(tenant_ns), wait=True, wait_timeout=60)
    run_tenant_service(spec, client=client)
    kubectl = kubectl_bin()
    subprocess.run([kubectl, "--kubeconfig", kubeconfig, "-n", tenant_ns, "scale", "deployment/orders-v1",
                    "--replicas=5"], check=True, capture_output=True)
    again = run_tenant_service(spec, client=client)
    assert engine.get("apps/v1", "Deployment", "orders-v1", tenant_ns)["spec"]["replicas"] == 5
    assert {r["action"] for r in again["results"]} == {"unchanged"}
    # Turning autoscaling off takes the count back, which the scaler co-owns: server-side
    # apply reports the conflict, and force_conflicts takes ownership.
    off = run_tenant_service(dict(spec, autoscaling={"enabled": False}), client=client)
    assert off.get("failed") and "force_conflicts" in off["msg"], off.get("msg")
    off = run_tenant_service(dict(spec, autoscaling={"enabled": False}, force_conflicts=True), client=client)
    assert not off.get("failed"), off.get("msg")
    assert engine.get("apps/v1", "Deployment", "orders-v1", tenant_ns)["spec"]["replicas"] == 3
    assert ("HorizontalPodAutoscaler", "deleted") in [(r["kind"], r["action"]) for r in off["results"]]


def test_deploy_service_validates_its_variables(kubeconfig):
    rc, _out, stdout = run_playbook(DEPLOY, kubeconfig, extra_vars={"traffic": "fast"}, expect_rc=None)
    assert rc != 0
    assert "service" in stdout and "traffic" in stdout
