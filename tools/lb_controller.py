#!/usr/bin/env python3
"""Load-balancer addresses for the local cluster, the way a bare-metal load
balancer (MetalLB) hands them out.

Every Service of type LoadBalancer without a ``loadBalancerClass``, or with
ours (``devcluster.openova.io/loadbalancer``), gets one IPv4 address from a
pool in ``status.loadBalancer.ingress[].ip``; ``spec.loadBalancerIP`` is
honoured when it is in the pool and free. An address is released when the
Service is deleted or stops being a LoadBalancer. The allocation lives only in
the Services' status, so a restart of this process or of the API server loses
nothing.

Simulated: nothing listens on these addresses and no route leads to them (the
default pool is 198.51.100.0/24, TEST-NET-2, reserved for documentation). They
exist so that charts and `helm --wait` see what a real cluster reports.

    lb_controller.py run --kubeconfig FILE [--pool CIDR]
"""

from __future__ import annotations

import argparse
import datetime
import ipaddress
import os
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import kubeloop  # noqa: E402

LB_CLASS = "devcluster.openova.io/loadbalancer"
DEFAULT_POOL = "198.51.100.0/24"
COMPONENT = "lb-controller"
FIELD_MANAGER = "devcluster-lb-controller"
SIMULATION_NOTE = "simulated by devcluster: nothing listens on this address"


# --------------------------------------------------------------------------- pure

def pool_addresses(cidr: str) -> list[str]:
    net = ipaddress.ip_network(cidr, strict=False)
    if net.version != 4:
        raise ValueError(f"pool {cidr!r}: only IPv4 pools are supported")
    hosts = list(net.hosts()) if net.num_addresses > 2 else list(net)
    return [str(ip) for ip in hosts]


def is_ours(svc: dict) -> bool:
    spec = svc.get("spec", {})
    return spec.get("type") == "LoadBalancer" and spec.get("loadBalancerClass") in (None, "", LB_CLASS)


def current_ips(svc: dict) -> list[str]:
    ingress = (svc.get("status", {}).get("loadBalancer") or {}).get("ingress") or []
    return [i["ip"] for i in ingress if i.get("ip")]


def key(svc: dict) -> str:
    return f"{svc['metadata']['namespace']}/{svc['metadata']['name']}"


def allocate(pool: list[str], used: dict[str, str], svc: dict) -> tuple[str | None, str]:
    """The address ``svc`` should have, given ``used`` (ip -> owner key), and why."""
    me = key(svc)
    for ip in current_ips(svc):
        if ip in pool and used.get(ip) in (None, me):
            return ip, "kept"
    wanted = svc.get("spec", {}).get("loadBalancerIP")
    if wanted:
        if wanted not in pool:
            return None, f"spec.loadBalancerIP {wanted} is not in the pool {pool[0]}-{pool[-1]}"
        if used.get(wanted) not in (None, me):
            return None, f"spec.loadBalancerIP {wanted} is already used by {used[wanted]}"
        return wanted, "requested"
    for ip in pool:
        if ip not in used:
            return ip, "allocated"
    return None, f"the pool {pool[0]}-{pool[-1]} is exhausted"


def status_patch(ip: str | None) -> dict:
    return {"status": {"loadBalancer": {"ingress": [{"ip": ip, "ipMode": "VIP"}] if ip else []}}}


# --------------------------------------------------------------------------- process

class Controller:
    def __init__(self, kubeconfig: str, pool: list[str]):
        from kubernetes import client  # noqa: PLC0415

        self.api = client.CoreV1Api(kubeloop.api_client(kubeconfig, "devcluster-lb-controller"))
        self.pool = pool
        self.used: dict[str, str] = {}  # ip -> namespace/name
        self.lock = threading.Lock()

    def _event(self, svc: dict, reason: str, message: str, kind: str = "Normal") -> None:
        now = datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")
        meta = svc["metadata"]
        body = {"metadata": {"generateName": f"{meta['name']}.", "namespace": meta["namespace"]},
                "involvedObject": {"kind": "Service", "apiVersion": "v1", "namespace": meta["namespace"],
                                   "name": meta["name"], "uid": meta.get("uid")},
                "reason": reason, "message": message, "type": kind, "firstTimestamp": now,
                "lastTimestamp": now, "count": 1, "source": {"component": "devcluster-lb-controller"}}
        try:
            self.api.create_namespaced_event(meta["namespace"], body)
        except Exception as exc:  # noqa: BLE001 - an event is a courtesy
            kubeloop.log(COMPONENT, "could not record an event", error=str(exc)[:200])

    def _patch(self, svc: dict, ip: str | None) -> None:
        meta = svc["metadata"]
        self.api.patch_namespaced_service_status(meta["name"], meta["namespace"], status_patch(ip),
                                                 field_manager=FIELD_MANAGER)

    def reconcile(self, svc: dict) -> None:
        me = key(svc)
        with self.lock:
            if not is_ours(svc):
                mine = [ip for ip, owner in self.used.items() if owner == me]
                for ip in mine:
                    del self.used[ip]
                # Stopped being a LoadBalancer of ours: take our address back.
                if mine and svc["spec"].get("type") != "LoadBalancer" and current_ips(svc):
                    self._patch(svc, None)
                    kubeloop.log(COMPONENT, "released", service=me, ip=mine)
                return
            ip, why = allocate(self.pool, self.used, svc)
            for old in [i for i, owner in self.used.items() if owner == me and i != ip]:
                del self.used[old]
            if ip is None:
                kubeloop.log(COMPONENT, "no address", service=me, reason=why)
                self._event(svc, "AllocationFailed", f"Failed to allocate IP for {me}: {why}", "Warning")
                return
            self.used[ip] = me
            if current_ips(svc) != [ip]:
                self._patch(svc, ip)
                kubeloop.log(COMPONENT, "assigned", service=me, ip=ip, how=why)
                self._event(svc, "IPAllocated", f"Assigned IP [\"{ip}\"] ({SIMULATION_NOTE})")

    def release(self, svc: dict) -> None:
        me = key(svc)
        with self.lock:
            for ip in [i for i, owner in self.used.items() if owner == me]:
                del self.used[ip]
                kubeloop.log(COMPONENT, "released", service=me, ip=ip)

    def sync(self, items: list[dict]) -> None:
        with self.lock:
            self.used = {}
            for svc in items:  # addresses already handed out keep their owners
                if is_ours(svc):
                    for ip in current_ips(svc):
                        if ip in self.pool and ip not in self.used:
                            self.used[ip] = key(svc)
        for svc in items:
            self._safe(self.reconcile, svc)

    def on_event(self, kind: str, svc: dict) -> None:
        self._safe(self.release if kind == "DELETED" else self.reconcile, svc)

    @staticmethod
    def _safe(func, svc: dict) -> None:
        try:
            func(svc)
        except Exception as exc:  # noqa: BLE001 - one Service must not stop the others
            kubeloop.log(COMPONENT, "reconcile failed", service=key(svc), error=f"{type(exc).__name__}: {str(exc)[:300]}")

    def run(self) -> None:
        kubeloop.watch_forever(COMPONENT, self.api.list_service_for_all_namespaces, self.sync, self.on_event)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run")
    p.add_argument("--kubeconfig", required=True)
    p.add_argument("--pool", default=os.environ.get("OPENOVA_LB_POOL", DEFAULT_POOL))
    args = parser.parse_args(argv)
    controller = Controller(args.kubeconfig, pool_addresses(args.pool))
    kubeloop.log(COMPONENT, "started", pool=args.pool, load_balancer_class=LB_CLASS, note=SIMULATION_NOTE)
    return kubeloop.run_threads([controller.run])


if __name__ == "__main__":
    kubeloop.main_guard(main)
