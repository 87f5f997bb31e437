"""What real charts expect from a cluster, on the named cluster 'platform'
(profile platform, started once per session by the platform_cluster fixture):
LoadBalancer addresses, volumes through the provisioner, operator status
simulated by kwok for a CRD installed after the cluster started, and real
charts installed with `helm install --wait`."""

import json
import subprocess
import time
import uuid

import pytest

from ansible_collections.openova.platform.plugins.module_utils.apply import Engine, condition_is
from ansible_collections.openova.platform.plugins.module_utils.client import Client
from harness import REPO

import devcluster  # noqa: E402  (tools/ is on sys.path through harness)
import lb_controller  # noqa: E402
import toolchain  # noqa: E402
import volume_provisioner  # noqa: E402

CHARTS = REPO.parent / "shared" / "charts"
CRDS = REPO.parent / "shared" / "crds"


@pytest.fixture(scope="module")
def pengine(platform_cluster):
    return Engine(Client({"kubeconfig": str(platform_cluster.kubeconfig)}))


@pytest.fixture()
def pns(pengine):
    name = "it-" + uuid.uuid4().hex[:8]
    pengine.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}])
    yield name
    pengine.delete([("v1", "Namespace", "", name)])


def _lb_service(namespace, name, lb_class=None):
    spec = {"type": "LoadBalancer", "selector": {"app": name}, "ports": [{"name": "http", "port": 80}]}
    if lb_class:
        spec["loadBalancerClass"] = lb_class
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": namespace}, "spec": spec}


def _ingress_ip(obj):
    ingress = (obj or {}).get("status", {}).get("loadBalancer", {}).get("ingress") or []
    return ingress[0].get("ip") if ingress else None


def test_platform_profile_is_what_it_says(platform_cluster, pengine):
    assert platform_cluster.name == "platform" and platform_cluster.profile.name == "platform"
    crds = pengine.list("apiextensions.k8s.io/v1", "CustomResourceDefinition")
    # Only kwok's own Stage CRD: the charts install theirs.
    assert [c["metadata"]["name"] for c in crds if c["metadata"]["name"] != "stages.kwok.x-k8s.io"] == []
    for name in devcluster.components_of(platform_cluster):
        assert devcluster._running_pid(platform_cluster, name), f"{name} is not running"


def test_load_balancer_services_get_an_address_from_the_pool(pengine, pns):
    pool = lb_controller.pool_addresses(lb_controller.DEFAULT_POOL)
    pengine.apply([_lb_service(pns, "first"), _lb_service(pns, "other-class", "example.com/other-lb"),
                   _lb_service(pns, "ours", lb_controller.LB_CLASS)])
    first = pengine.wait("v1", "Service", "first", pns, predicate=_ingress_ip, timeout=60, description="an address")
    ours = pengine.wait("v1", "Service", "ours", pns, predicate=_ingress_ip, timeout=60, description="an address")
    ip = _ingress_ip(first)
    assert ip in pool and _ingress_ip(ours) in pool and ip != _ingress_ip(ours)
    assert first["status"]["loadBalancer"]["ingress"][0]["ipMode"] == "VIP"
    # A class that is not ours is left to its own controller (there is none here).
    time.sleep(2)
    assert _ingress_ip(pengine.get("v1", "Service", "other-class", pns)) is None
    events = pengine.list("v1", "Event", namespace=pns)
    assert any(e["reason"] == "IPAllocated" and "nothing listens" in e["message"] for e in events)
    # Deleting the Service releases its address: the next Service gets it.
    pengine.delete([("v1", "Service", pns, "first")])
    pengine.wait("v1", "Service", "first", pns, timeout=60, description="deletion")
    pengine.apply([_lb_service(pns, "second")])
    second = pengine.wait("v1", "Service", "second", pns, predicate=_ingress_ip, timeout=60, description="an address")
    assert _ingress_ip(second) == ip


def _statefulset(namespace, replicas=2):
    labels = {"app": "data"}
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "data", "namespace": namespace},
            "spec": {"replicas": replicas, "serviceName": "data", "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels}, "spec": {
                         "containers": [{"name": "db", "image": "registry.invalid/db:1",
                                         "volumeMounts": [{"name": "data", "mountPath": "/data"}]}]}},
                     "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                         "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "2Gi"}}}}]}}


def test_statefulset_claims_are_provisioned_bound_and_deleted_with_their_claims(pengine, pns):
    pengine.apply([_statefulset(pns)])
    pengine.wait("apps/v1", "StatefulSet", "data", pns, timeout=180, description="2 ready replicas",
                 predicate=lambda s: s.get("status", {}).get("readyReplicas") == 2)
    claims = pengine.list("v1", "PersistentVolumeClaim", namespace=pns)
    assert sorted(c["metadata"]["name"] for c in claims) == ["data-data-0", "data-data-1"]
    volumes = []
    for claim in claims:
        assert claim["status"]["phase"] == "Bound"
        assert claim["spec"]["storageClassName"] == volume_provisioner.STORAGE_CLASS
        node = claim["metadata"]["annotations"]["volume.kubernetes.io/selected-node"]
        pv = pengine.get("v1", "PersistentVolume", claim["spec"]["volumeName"])
        assert pv["metadata"]["annotations"]["pv.kubernetes.io/provisioned-by"] == volume_provisioner.PROVISIONER
        assert pv["spec"]["claimRef"]["uid"] == claim["metadata"]["uid"]
        term = pv["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"][0]["matchExpressions"][0]
        assert term["values"] == [node]
        pod = pengine.get("v1", "Pod", f"data-{claim['metadata']['name'][-1]}", pns)
        assert pod["spec"]["nodeName"] == node  # the scheduler bound the pod where the volume is
        volumes.append(pv["metadata"]["name"])
    pengine.delete([("apps/v1", "StatefulSet", pns, "data")])
    pengine.delete([("v1", "PersistentVolumeClaim", pns, c["metadata"]["name"]) for c in claims])
    for name in volumes:  # reclaim policy Delete: the provisioner removes Released volumes
        pengine.wait("v1", "PersistentVolume", name, timeout=120, description="deletion")


def _redpanda(namespace, replicas):
    return {"apiVersion": "cluster.redpanda.com/v1alpha2", "kind": "Redpanda",
            "metadata": {"name": "events", "namespace": namespace},
            "spec": {"clusterSpec": {"statefulset": {"replicas": replicas}}}}


def _ready_for_generation(obj):
    gen = obj.get("metadata", {}).get("generation")
    return any(c["type"] == "Ready" and c["status"] == "True" and c.get("observedGeneration") == gen
               for c in obj.get("status", {}).get("conditions") or [])


@pytest.mark.skipif(not CRDS.is_dir(), reason="the upstream CRDs (../shared/crds) are not beside the repository")
def test_a_crd_installed_later_gets_its_operator_status_simulated(platform_cluster, pengine, pns):
    crd_file = CRDS / "redpanda-operator" / "cluster.redpanda.com_redpandas.yaml"
    # A CRD still being deleted by an earlier run would never become Established.
    earlier = pengine.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", "redpandas.cluster.redpanda.com")
    if earlier and earlier["metadata"].get("deletionTimestamp"):
        pengine.wait("apiextensions.k8s.io/v1", "CustomResourceDefinition", "redpandas.cluster.redpanda.com",
                     timeout=120, description="the end of an earlier deletion")
    devcluster.kubectl("apply", "--server-side", "--field-manager=chart", "-f", str(crd_file), cluster=platform_cluster)
    try:
        pengine.wait("apiextensions.k8s.io/v1", "CustomResourceDefinition", "redpandas.cluster.redpanda.com",
                     predicate=condition_is("Established"), timeout=180, description="Established")
        pengine.client.resource("cluster.redpanda.com/v1alpha2", "Redpanda")  # refreshes discovery
        pengine.apply([_redpanda(pns, 3)])
        ready = pengine.wait("cluster.redpanda.com/v1alpha2", "Redpanda", "events", pns, timeout=180,
                             predicate=_ready_for_generation, description="Ready=True (simulated)")
        conditions = {c["type"]: c for c in ready["status"]["conditions"]}
        assert {"Ready", "Healthy", "ResourcesSynced", "ConfigurationApplied", "Quiesced", "Stable"} <= set(conditions)
        assert all(c["reason"] == "SimulatedByKwok" and "no Redpanda operator" in c["message"]
                   for c in conditions.values())
        stage = pengine.get("kwok.x-k8s.io/v1alpha1", "Stage", "simulate-redpandas.cluster.redpanda.com")
        assert stage["metadata"]["labels"]["devcluster.openova.io/simulates"] == "Redpanda"
        # A spec change is a new generation: the simulated status follows it, as the operator's would.
        pengine.apply([_redpanda(pns, 5)])
        again = pengine.wait("cluster.redpanda.com/v1alpha2", "Redpanda", "events", pns, timeout=120,
                             predicate=lambda o: o["metadata"]["generation"] > ready["metadata"]["generation"]
                             and _ready_for_generation(o), description="Ready for the new generation")
        assert again["metadata"]["generation"] == ready["metadata"]["generation"] + 1
        events = pengine.list("v1", "Event", namespace=pns)
        assert any(e["reason"] == "SimulatedByKwok" for e in events)
    finally:
        pengine.delete([("cluster.redpanda.com/v1alpha2", "Redpanda", pns, "events")])
        devcluster.kubectl("delete", "--ignore-not-found", "-f", str(crd_file), cluster=platform_cluster)
    # The CRD is gone, so is its Stage (kwok stops that controller).
    pengine.wait("kwok.x-k8s.io/v1alpha1", "Stage", "simulate-redpandas.cluster.redpanda.com", timeout=120,
                 description="the Stage's removal")


def _helm(cluster, *args, timeout=600):
    helm = toolchain.ensure(["helm"])["helm"]
    return subprocess.run([str(helm), "--kubeconfig", str(cluster.kubeconfig), *args],
                          capture_output=True, text=True, timeout=timeout, check=False)


@pytest.mark.skipif(not CHARTS.is_dir(), reason="the upstream charts (../shared/charts) are not beside the repository")
@pytest.mark.parametrize("chart, release, values", [
    # The Istio ingress gateway with its production shape: a LoadBalancer Service.
    ("gateway-1.30.3.tgz", "gw", ["--set", "service.type=LoadBalancer"]),
    # Valkey: StatefulSets whose claims need the provisioner.
    ("valkey-3.0.31.tgz", "valkey", []),
])
def test_real_charts_install_with_helm_wait(platform_cluster, pengine, pns, chart, release, values):
    proc = _helm(platform_cluster, "install", release, str(CHARTS / chart), "-n", pns, "--wait", "--timeout", "5m",
                 *values)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    status = json.loads(_helm(platform_cluster, "status", release, "-n", pns, "-o", "json").stdout)
    assert status["info"]["status"] == "deployed"
    for svc in pengine.list("v1", "Service", namespace=pns):
        if svc["spec"]["type"] == "LoadBalancer":
            assert _ingress_ip(svc), f"{svc['metadata']['name']} has no address"
    for claim in pengine.list("v1", "PersistentVolumeClaim", namespace=pns):
        assert claim["status"]["phase"] == "Bound", claim["metadata"]["name"]
    _helm(platform_cluster, "uninstall", release, "-n", pns, "--wait")


def test_loopback_only_on_the_platform_cluster(platform_cluster):
    report = devcluster.assert_loopback_only(cluster=platform_cluster)
    assert report["samples"] > 0
