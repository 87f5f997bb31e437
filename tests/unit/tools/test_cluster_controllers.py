"""Pure parts of devcluster's load-balancer controller and volume provisioner."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tools"))

import lb_controller as lb  # noqa: E402
import volume_provisioner as vp  # noqa: E402

POOL = lb.pool_addresses("198.51.100.0/29")


def svc(name, lb_class=None, ips=(), requested=None, svc_type="LoadBalancer"):
    spec = {"type": svc_type}
    if lb_class:
        spec["loadBalancerClass"] = lb_class
    if requested:
        spec["loadBalancerIP"] = requested
    return {"metadata": {"namespace": "ns", "name": name}, "spec": spec,
            "status": {"loadBalancer": {"ingress": [{"ip": ip} for ip in ips]}}}


def test_pool_excludes_network_and_broadcast_and_refuses_ipv6():
    assert POOL == [f"198.51.100.{i}" for i in range(1, 7)]
    with pytest.raises(ValueError, match="IPv4"):
        lb.pool_addresses("fd00::/120")


def test_only_unclassed_or_our_class_of_load_balancer_is_served():
    assert lb.is_ours(svc("a"))
    assert lb.is_ours(svc("a", lb.LB_CLASS))
    assert not lb.is_ours(svc("a", "metallb.io/metallb"))
    assert not lb.is_ours(svc("a", svc_type="ClusterIP"))


def test_allocation_keeps_honours_requests_and_hands_out_the_lowest_free_address():
    used = {"198.51.100.1": "ns/other"}
    assert lb.allocate(POOL, used, svc("a")) == ("198.51.100.2", "allocated")
    assert lb.allocate(POOL, used, svc("a", ips=["198.51.100.5"])) == ("198.51.100.5", "kept")
    assert lb.allocate(POOL, used, svc("a", requested="198.51.100.4")) == ("198.51.100.4", "requested")
    ip, why = lb.allocate(POOL, used, svc("a", requested="198.51.100.1"))
    assert ip is None and "already used by ns/other" in why
    ip, why = lb.allocate(POOL, used, svc("a", requested="10.0.0.1"))
    assert ip is None and "not in the pool" in why
    # An address outside the pool (set by someone else) is replaced.
    assert lb.allocate(POOL, used, svc("a", ips=["10.9.9.9"])) == ("198.51.100.2", "allocated")
    full = {ip: f"ns/s{i}" for i, ip in enumerate(POOL)}
    assert lb.allocate(POOL, full, svc("a"))[0] is None
    assert lb.status_patch("198.51.100.2") == {
        "status": {"loadBalancer": {"ingress": [{"ip": "198.51.100.2", "ipMode": "VIP"}]}}}
    assert lb.status_patch(None) == {"status": {"loadBalancer": {"ingress": []}}}


SC = vp.storage_class_spec()


def pvc(annotations=None, volume=None, sc="local-kwok", deleting=False, **spec):
    meta = {"namespace": "valkey", "name": "data-valkey-node-0", "uid": "1234-abcd", "resourceVersion": "77",
            "annotations": annotations or {}}
    if deleting:
        meta["deletionTimestamp"] = "2026-12-01T00:00:00Z"
    body = {"storageClassName": sc, "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": "8Gi"}}, **spec}
    if volume:
        body["volumeName"] = volume
    return {"metadata": meta, "spec": body}


HANDED = {"volume.kubernetes.io/storage-provisioner": vp.PROVISIONER,
          "volume.kubernetes.io/selected-node": "kwok-node-1"}


def test_storage_class_names_the_provisioner_and_waits_for_the_first_consumer():
    assert SC["provisioner"] == vp.PROVISIONER != "kubernetes.io/no-provisioner"
    assert SC["volumeBindingMode"] == "WaitForFirstConsumer" and SC["reclaimPolicy"] == "Delete"
    assert SC["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"


@pytest.mark.parametrize("claim, expected, why", [
    (pvc(HANDED), True, "ready"),
    (pvc({"volume.kubernetes.io/storage-provisioner": vp.PROVISIONER}), False, "waiting for the scheduler"),
    (pvc({"volume.kubernetes.io/selected-node": "kwok-node-1"}), False, "not handed"),
    (pvc(HANDED, volume="pv-1"), False, "already bound"),
    (pvc(HANDED, deleting=True), False, "deleted"),
    (pvc(HANDED, sc="other"), False, "not this provisioner's"),
    (pvc(HANDED, dataSource={"kind": "VolumeSnapshot", "name": "s"}), False, "not supported"),
])
def test_claims_are_provisioned_only_when_the_protocol_says_so(claim, expected, why):
    ok, reason = vp.needs_volume(claim, {"local-kwok": SC, "other": dict(SC, provisioner="x")})
    assert ok is expected and why in reason


def test_volume_binds_to_the_claim_on_the_selected_node():
    pv = vp.render_pv(pvc(HANDED), SC, "kwok-node-1")
    assert pv["metadata"]["name"] == "pvc-1234-abcd"
    assert pv["metadata"]["annotations"]["pv.kubernetes.io/provisioned-by"] == vp.PROVISIONER
    spec = pv["spec"]
    assert spec["claimRef"] == {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "namespace": "valkey",
                                "name": "data-valkey-node-0", "uid": "1234-abcd", "resourceVersion": "77"}
    assert spec["capacity"] == {"storage": "8Gi"} and spec["accessModes"] == ["ReadWriteOnce"]
    assert spec["storageClassName"] == "local-kwok" and spec["persistentVolumeReclaimPolicy"] == "Delete"
    term = spec["nodeAffinity"]["required"]["nodeSelectorTerms"][0]["matchExpressions"][0]
    assert term == {"key": "kubernetes.io/hostname", "operator": "In", "values": ["kwok-node-1"]}
    assert "local" in spec


def test_node_choice_prefers_the_scheduler_then_allowed_topologies():
    assert vp.pick_node(pvc(HANDED), SC, ["kwok-node-0"]) == "kwok-node-1"
    topo = dict(SC, allowedTopologies=[{"matchLabelExpressions": [
        {"key": "kubernetes.io/hostname", "values": ["kwok-node-2"]}]}])
    assert vp.pick_node(pvc(), topo, ["kwok-node-0"]) == "kwok-node-2"
    assert vp.pick_node(pvc(), SC, ["kwok-node-1", "kwok-node-0"]) == "kwok-node-0"
    assert vp.pick_node(pvc(), SC, []) is None


def test_only_released_volumes_of_this_provisioner_with_delete_are_removed():
    pv = vp.render_pv(pvc(HANDED), SC, "kwok-node-1")
    pv["status"] = {"phase": "Released"}
    assert vp.should_delete(pv)
    assert not vp.should_delete(dict(pv, status={"phase": "Bound"}))
    retained = {**pv, "spec": dict(pv["spec"], persistentVolumeReclaimPolicy="Retain")}
    assert not vp.should_delete(retained)
    foreign = {**pv, "metadata": dict(pv["metadata"], annotations={"pv.kubernetes.io/provisioned-by": "other"})}
    assert not vp.should_delete(foreign)
