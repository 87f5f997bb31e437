#!/usr/bin/env python3
"""A dynamic volume provisioner for the local cluster's StorageClass.

It follows the external-provisioner protocol that CSI provisioners and
local-path provisioners use with the real kube-controller-manager and
kube-scheduler:

1. The StorageClass names this provisioner (``devcluster.openova.io/local-volume``)
   and binds volumes ``WaitForFirstConsumer``.
2. The scheduler picks a node for the first Pod that uses the claim and writes
   it to the claim's ``volume.kubernetes.io/selected-node`` annotation; the PV
   controller then marks the claim ``volume.kubernetes.io/storage-provisioner``.
3. This process creates a PersistentVolume for such a claim: ``claimRef`` to the
   claim, the requested size and access modes, the class's reclaim policy and
   mount options, and node affinity to the selected node (a ``local`` volume).
4. The PV controller binds claim and volume; the scheduler then binds the Pod.
5. With reclaim policy Delete, a Released volume of this provisioner is deleted.

Simulated: no storage exists. The volume's path is never created and kwok's
Pods mount nothing; the objects are what a real cluster would show.

    volume_provisioner.py run --kubeconfig FILE
"""

from __future__ import annotations

import argparse
import datetime
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import kubeloop  # noqa: E402

PROVISIONER = "devcluster.openova.io/local-volume"
STORAGE_CLASS = "local-kwok"
COMPONENT = "volume-provisioner"
VOLUME_ROOT = "/var/lib/devcluster/volumes"
ANN_SELECTED_NODE = "volume.kubernetes.io/selected-node"
ANN_STORAGE_PROVISIONER = ("volume.kubernetes.io/storage-provisioner",
                           "volume.beta.kubernetes.io/storage-provisioner")
ANN_PROVISIONED_BY = "pv.kubernetes.io/provisioned-by"
SIMULATION_NOTE = "simulated by devcluster: no storage exists behind this volume"


# --------------------------------------------------------------------------- pure

def storage_class_spec() -> dict:
    """The local cluster's default StorageClass."""
    return {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
            "metadata": {"name": STORAGE_CLASS,
                         "annotations": {"storageclass.kubernetes.io/is-default-class": "true",
                                         "devcluster.openova.io/simulated": SIMULATION_NOTE}},
            "provisioner": PROVISIONER, "reclaimPolicy": "Delete",
            "volumeBindingMode": "WaitForFirstConsumer", "allowVolumeExpansion": False}


def needs_volume(pvc: dict, classes: dict[str, dict]) -> tuple[bool, str]:
    """Should this provisioner create a volume for ``pvc`` now? (yes/no, why)."""
    meta, spec = pvc.get("metadata", {}), pvc.get("spec", {})
    ann = meta.get("annotations") or {}
    if meta.get("deletionTimestamp") or spec.get("volumeName"):
        return False, "deleted or already bound"
    if not any(ann.get(a) == PROVISIONER for a in ANN_STORAGE_PROVISIONER):
        return False, "not handed to this provisioner by the PV controller"
    sc = classes.get(spec.get("storageClassName") or "")
    if sc is None or sc.get("provisioner") != PROVISIONER:
        return False, f"StorageClass {spec.get('storageClassName')!r} is not this provisioner's"
    if sc.get("volumeBindingMode") == "WaitForFirstConsumer" and not ann.get(ANN_SELECTED_NODE):
        return False, "waiting for the scheduler to select a node"
    if spec.get("dataSource") or spec.get("dataSourceRef"):
        return False, "volume populators and snapshots are not supported"
    return True, "ready to provision"


def pick_node(pvc: dict, sc: dict, nodes: list[str]) -> str | None:
    selected = (pvc["metadata"].get("annotations") or {}).get(ANN_SELECTED_NODE)
    if selected:
        return selected
    for term in sc.get("allowedTopologies") or []:
        for expr in term.get("matchLabelExpressions") or []:
            if expr.get("key") == "kubernetes.io/hostname" and expr.get("values"):
                return sorted(expr["values"])[0]
    return sorted(nodes)[0] if nodes else None


def render_pv(pvc: dict, sc: dict, node: str) -> dict:
    meta, spec = pvc["metadata"], pvc["spec"]
    name = f"pvc-{meta['uid']}"
    pv_spec = {
        "capacity": {"storage": spec["resources"]["requests"]["storage"]},
        "accessModes": spec.get("accessModes") or ["ReadWriteOnce"],
        "persistentVolumeReclaimPolicy": sc.get("reclaimPolicy") or "Delete",
        "storageClassName": sc["metadata"]["name"],
        "volumeMode": spec.get("volumeMode") or "Filesystem",
        "claimRef": {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "namespace": meta["namespace"],
                     "name": meta["name"], "uid": meta["uid"], "resourceVersion": meta.get("resourceVersion")},
        "local": {"path": f"{VOLUME_ROOT}/{name}"},
        "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
            {"key": "kubernetes.io/hostname", "operator": "In", "values": [node]}]}]}},
    }
    if sc.get("mountOptions"):
        pv_spec["mountOptions"] = sc["mountOptions"]
    return {"apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": {"name": name, "annotations": {ANN_PROVISIONED_BY: PROVISIONER,
                                                        "devcluster.openova.io/simulated": SIMULATION_NOTE},
                         "labels": {"app.kubernetes.io/managed-by": "devcluster"}},
            "spec": pv_spec}


def should_delete(pv: dict) -> bool:
    meta, spec = pv.get("metadata", {}), pv.get("spec", {})
    return ((meta.get("annotations") or {}).get(ANN_PROVISIONED_BY) == PROVISIONER
            and spec.get("persistentVolumeReclaimPolicy") == "Delete"
            and pv.get("status", {}).get("phase") == "Released"
            and not meta.get("deletionTimestamp"))


# --------------------------------------------------------------------------- process

class Provisioner:
    def __init__(self, kubeconfig: str):
        from kubernetes import client  # noqa: PLC0415

        api = kubeloop.api_client(kubeconfig, "devcluster-volume-provisioner")
        self.core = client.CoreV1Api(api)
        self.storage = client.StorageV1Api(api)
        self.lock = threading.Lock()
        self.classes: dict[str, dict] = {}

    def _classes(self, refresh: bool = False) -> dict[str, dict]:
        if refresh or not self.classes:
            import json  # noqa: PLC0415

            items = json.loads(self.storage.list_storage_class(_preload_content=False).data)["items"]
            self.classes = {sc["metadata"]["name"]: sc for sc in items}
        return self.classes

    def _event(self, pvc: dict, reason: str, message: str, kind: str = "Normal") -> None:
        now = datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")
        meta = pvc["metadata"]
        body = {"metadata": {"generateName": f"{meta['name']}.", "namespace": meta["namespace"]},
                "involvedObject": {"kind": "PersistentVolumeClaim", "apiVersion": "v1", "uid": meta.get("uid"),
                                   "namespace": meta["namespace"], "name": meta["name"]},
                "reason": reason, "message": message, "type": kind, "firstTimestamp": now,
                "lastTimestamp": now, "count": 1,
                "source": {"component": f"{PROVISIONER}_devcluster"}}
        try:
            self.core.create_namespaced_event(meta["namespace"], body)
        except Exception as exc:  # noqa: BLE001 - an event is a courtesy
            kubeloop.log(COMPONENT, "could not record an event", error=str(exc)[:200])

    def claim(self, pvc: dict) -> None:
        from kubernetes.client.exceptions import ApiException  # noqa: PLC0415

        ref = f"{pvc['metadata']['namespace']}/{pvc['metadata']['name']}"
        with self.lock:
            classes = self._classes()
            if (pvc.get("spec", {}).get("storageClassName") or "") not in classes:
                classes = self._classes(refresh=True)
            ok, why = needs_volume(pvc, classes)
            if not ok:
                return
            sc = classes[pvc["spec"]["storageClassName"]]
            node = pick_node(pvc, sc, [])
            if node is None:
                nodes = [n.metadata.name for n in self.core.list_node().items]
                node = pick_node(pvc, sc, nodes)
            if node is None:
                kubeloop.log(COMPONENT, "no node to place the volume on", claim=ref)
                return
            pv = render_pv(pvc, sc, node)
            try:
                self.core.create_persistent_volume(pv, field_manager="devcluster-volume-provisioner")
            except ApiException as exc:
                if exc.status != 409:
                    raise
                return  # created on an earlier event; the PV controller binds it
            kubeloop.log(COMPONENT, "provisioned", claim=ref, volume=pv["metadata"]["name"], node=node,
                         size=pv["spec"]["capacity"]["storage"])
            self._event(pvc, "ProvisioningSucceeded",
                        f"Successfully provisioned volume {pv['metadata']['name']} on node {node} ({SIMULATION_NOTE})")

    def volume(self, pv: dict) -> None:
        from kubernetes.client.exceptions import ApiException  # noqa: PLC0415

        if not should_delete(pv):
            return
        name = pv["metadata"]["name"]
        try:
            self.core.delete_persistent_volume(name)
        except ApiException as exc:
            if exc.status != 404:
                raise
            return
        kubeloop.log(COMPONENT, "deleted released volume", volume=name)

    def _safe(self, func, obj: dict) -> None:
        try:
            func(obj)
        except Exception as exc:  # noqa: BLE001 - one object must not stop the others
            kubeloop.log(COMPONENT, "reconcile failed", object=obj.get("metadata", {}).get("name"),
                         error=f"{type(exc).__name__}: {str(exc)[:300]}")

    def run_claims(self) -> None:
        kubeloop.watch_forever(
            "volume-provisioner/claims", self.core.list_persistent_volume_claim_for_all_namespaces,
            lambda items: [self._safe(self.claim, i) for i in items],
            lambda kind, obj: kind != "DELETED" and self._safe(self.claim, obj))

    def run_volumes(self) -> None:
        kubeloop.watch_forever(
            "volume-provisioner/volumes", self.core.list_persistent_volume,
            lambda items: [self._safe(self.volume, i) for i in items],
            lambda kind, obj: kind != "DELETED" and self._safe(self.volume, obj))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run")
    p.add_argument("--kubeconfig", required=True)
    args = parser.parse_args(argv)
    provisioner = Provisioner(args.kubeconfig)
    kubeloop.log(COMPONENT, "started", provisioner=PROVISIONER, note=SIMULATION_NOTE)
    return kubeloop.run_threads([provisioner.run_claims, provisioner.run_volumes])


if __name__ == "__main__":
    kubeloop.main_guard(main)
