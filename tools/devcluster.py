#!/usr/bin/env python3
"""devcluster: a real local Kubernetes control plane for openova.platform's tests.

    devcluster [--name NAME] up [--profile P] [--crds all|PROJECT,...] [--nodes N]
                                                            (the admission profile: its CRDs, always)
    devcluster [--name NAME] down [--keep-data | --purge]   stop what `up` started, by pid file
    devcluster [--name NAME] status                         profile, components, egress, nodes
    devcluster [--name NAME] env                            print `export KUBECONFIG=...`
    devcluster [--name NAME] crds [PROJECT ...]             install CRDs from ../shared/crds
    devcluster [--name NAME] egress register|unregister|list|log
    devcluster [--name NAME] sockets                        what the API server's sockets pointed at
    devcluster [--name NAME] loopback-check                 exit 1 unless everything stayed on loopback
    devcluster list                                         the clusters of this checkout
    devcluster simulated                                    the kinds whose status kwok simulates
    devcluster [--name NAME] stop|start|restart COMPONENT [--kill]
                                                            one component of a running cluster, e.g. to
                                                            test how clients ride out an API server restart

etcd, kube-apiserver, kube-controller-manager and kube-scheduler run on
127.0.0.1 only, with TLS everywhere and Node,RBAC authorization. kwok turns
Node objects into simulated nodes that report Ready and runs the pods that the
real scheduler places on them. The API server reaches webhooks, aggregated APIs
and proxied services only through a loopback-only egress proxy (egress.py).

Several clusters can run side by side in one checkout: the default one (state
in <cache>/cluster, today's ports) and named ones (--name, or OPENOVA_CLUSTER;
state in <cache>/clusters/<name>, each with its own block of ports). A profile
(PROFILES) says what a cluster simulates; a named cluster called like a
profile runs that profile unless told otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import fcntl
import hashlib
import importlib.util
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

TOOLS = Path(__file__).resolve().parent
sys.path.insert(0, str(TOOLS))

import apiserver_sockets  # noqa: E402
import egress  # noqa: E402
import kwok_stages  # noqa: E402
import localcontrollers  # noqa: E402
import toolchain  # noqa: E402
import volume_provisioner  # noqa: E402

HOST = "127.0.0.1"
DEFAULT_NAME = "default"
SERVICE_CIDR = "10.96.0.0/16"
SERVICE_IP = "10.96.0.1"
POD_CIDR = "10.244.0.0/16"
NODE_IP = "10.240.0.1"
ZONES = ("zone-a", "zone-b", "zone-c")
CRD_ROOT = Path(os.environ.get("OPENOVA_CRD_DIR") or toolchain.REPO_ROOT.parent / "shared" / "crds")


class ClusterError(RuntimeError):
    """Something the user has to fix; the message says what."""


class LoopbackViolation(AssertionError):
    """The API server connected, or was let connect, beyond 127.0.0.1."""


# --------------------------------------------------------------------------- ports

# The default cluster keeps its historical ports; each can be moved by its
# environment variable (the port block of a shared machine).
LEGACY_PORTS = {
    "etcd": ("OPENOVA_ETCD_PORT", 12379),
    "etcd-peer": ("OPENOVA_ETCD_PEER_PORT", 12380),
    "kube-apiserver": ("OPENOVA_APISERVER_PORT", 16443),
    "kube-controller-manager": ("OPENOVA_CM_PORT", 20257),
    "kube-scheduler": ("OPENOVA_SCHEDULER_PORT", 20259),
    "kwok": ("OPENOVA_KWOK_PORT", 20247),
}
# Every port a cluster may use, in block order. Components added later (the
# admission profile's webhook servers) append their port names to EXTRA_PORTS.
BASE_PORTS = (*LEGACY_PORTS, "egress-cluster", "egress-controlplane")
EXTRA_PORTS: list[str] = [*localcontrollers.PORT_NAMES]
BLOCK_SIZE = 20
# The default cluster's newer ports sit at <API server port> + 10 ...; named
# clusters take blocks of BLOCK_SIZE at <API server port> + 30, + 50, + 70. All of
# it stays within the 100 ports of one port block (see DEVELOPING/README).
DEFAULT_EXTRA_OFFSET = 10
NAMED_OFFSET = 30
MAX_SLOTS = 3


def port_names() -> list[str]:
    names = [*BASE_PORTS, *EXTRA_PORTS]
    if len(names) > BLOCK_SIZE:
        raise ClusterError(f"{len(names)} ports do not fit a block of {BLOCK_SIZE}")
    return names


def _env_port(var: str, default: int) -> int:
    value = os.environ.get(var)
    if value is None or value == "":
        return default
    try:
        port = int(value)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise ClusterError(f"{var}={value!r} is not a port number")
    return port


def _port_var(port: str) -> str:
    return "OPENOVA_" + port.upper().replace("-", "_") + "_PORT"


def default_ports() -> dict[str, int]:
    """The default cluster: today's ports and their variables, then the newer
    ports above the API server's (each also settable: OPENOVA_EGRESS_CLUSTER_PORT ...)."""
    ports = {name: _env_port(var, default) for name, (var, default) in LEGACY_PORTS.items()}
    extra = [n for n in port_names() if n not in LEGACY_PORTS]
    for i, name in enumerate(extra):
        ports[name] = _env_port(_port_var(name), ports["kube-apiserver"] + DEFAULT_EXTRA_OFFSET + i)
    return ports


def slot_base(slot: int) -> int:
    if not 1 <= slot <= MAX_SLOTS:
        raise ClusterError(f"port slot {slot} is outside 1..{MAX_SLOTS}")
    return default_ports()["kube-apiserver"] + NAMED_OFFSET + (slot - 1) * BLOCK_SIZE


def block_ports(base: int) -> dict[str, int]:
    return {name: base + i for i, name in enumerate(port_names())}


def _base_var(name: str) -> str:
    return "OPENOVA_" + name.upper().replace("-", "_") + "_PORT_BASE"


# --------------------------------------------------------------------------- profiles and components

@dataclass(frozen=True)
class Profile:
    name: str
    simulates: str
    allows_crds: bool  # may preinstall CRDs from ../shared/crds (--crds)
    webhook_admission: bool
    components: tuple[str, ...]  # started after the control plane, in order
    kwok_stage_objects: bool  # kwok reads Stage objects (and simulates operator status)
    crds: tuple[str, ...] = ()  # CRD projects (../shared/crds) that `up` always installs


# Every profile runs the loopback-only egress proxy and the socket sampler.
BASE_COMPONENTS = ("egress-proxy", "apiserver-sockets")
# What real charts expect from a cluster: load-balancer addresses, volumes,
# operator status.
CHART_COMPONENTS = ("lb-controller", "volume-provisioner", "kwok-stages", "job-standins")
# The admission profile's own processes (Kyverno's admission and background
# controllers, istiod; localcontrollers.py), started after everything else. Their
# ports are in EXTRA_PORTS, their webhooks in the egress registrations.
ADMISSION_COMPONENTS: tuple[str, ...] = localcontrollers.ORDER
# The CRDs the admission profile installs before its controllers start: Kyverno's and
# Istio's own, and those of the kinds the tenant module writes (Redpanda topics and
# users, CloudNativePG databases, grafana-operator instances, folders and dashboards).
ADMISSION_CRDS = ("kyverno", "istio", "redpanda-operator", "cloudnative-pg", "grafana-operator")

PROFILES = {
    "default": Profile(
        "default",
        "the control plane with kwok nodes and, with --crds, the upstream CRDs from ../shared/crds, "
        "for tests that install no charts; webhook admission is on",
        allows_crds=True, webhook_admission=True, components=BASE_COMPONENTS, kwok_stage_objects=False),
    "platform": Profile(
        "platform",
        "a cluster for the real upstream charts: no CRDs preinstalled (the charts install them), webhook "
        "admission off (no webhook server runs), LoadBalancer addresses, a volume provisioner, and "
        "operator status simulated by kwok Stages",
        allows_crds=False, webhook_admission=False, components=BASE_COMPONENTS + CHART_COMPONENTS,
        kwok_stage_objects=True),
    "admission": Profile(
        "admission",
        "the platform profile with webhook admission on and the CRDs of " + ", ".join(ADMISSION_CRDS)
        + " preinstalled; Kyverno's admission and background controllers and istiod run as local "
        "processes, their webhooks reached only through the egress proxy",
        allows_crds=True, webhook_admission=True,
        components=BASE_COMPONENTS + CHART_COMPONENTS + ADMISSION_COMPONENTS, kwok_stage_objects=True,
        crds=ADMISSION_CRDS),
}


@dataclass
class Cluster:
    """One local cluster: its name, profile, ports and state folder."""

    name: str
    profile: Profile
    ports: dict[str, int]
    state: Path
    slot: int | None = None

    @property
    def kubeconfig(self) -> Path:
        return self.state / "admin.kubeconfig"

    @property
    def pki(self) -> Path:
        return self.state / "pki"

    @property
    def server(self) -> str:
        return f"https://{HOST}:{self.ports['kube-apiserver']}"

    @property
    def egress_dir(self) -> Path:
        return self.state / "egress"

    @property
    def sockets_file(self) -> Path:
        return self.state / "sockets" / "apiserver.json"

    def pidfile(self, component: str) -> Path:
        return self.state / "run" / f"{component}.pid"

    def logfile(self, component: str) -> Path:
        return self.state / "logs" / f"{component}.log"

    def describe(self) -> dict:
        return {"name": self.name, "profile": self.profile.name, "slot": self.slot, "ports": self.ports,
                "state": str(self.state), "kubeconfig": str(self.kubeconfig)}


_NAME = re.compile(r"^[a-z][a-z0-9-]{0,19}$")


def _state_for(name: str) -> Path:
    if name == DEFAULT_NAME:
        return toolchain.cache_dir() / "cluster"
    return toolchain.cache_dir() / "clusters" / name


def _read_meta(state: Path) -> dict:
    try:
        return json.loads((state / "cluster.json").read_text())
    except (OSError, ValueError):
        return {}


def _used_slots(exclude: str) -> set[int]:
    used = set()
    root = toolchain.cache_dir() / "clusters"
    if root.is_dir():
        for state in root.iterdir():
            if state.name != exclude and (slot := _read_meta(state).get("slot")):
                used.add(slot)
    return used


def cluster_name(name: str | None = None) -> str:
    name = name or os.environ.get("OPENOVA_CLUSTER") or DEFAULT_NAME
    if not _NAME.match(name):
        raise ClusterError(f"cluster name {name!r}: use 1 to 20 lower-case letters, digits and '-'")
    return name


def get_cluster(name: str | None = None, profile: str | None = None, allocate: bool = False) -> Cluster:
    """The cluster called ``name`` (default: OPENOVA_CLUSTER or the default
    cluster). Its profile is ``profile``, else the one it was started with,
    else the profile called like it, else "default". ``allocate`` gives a new
    named cluster a port slot and records it."""
    name = cluster_name(name)
    state = _state_for(name)
    meta = _read_meta(state)
    chosen = profile or meta.get("profile") or (name if name in PROFILES else "default")
    if chosen not in PROFILES:
        raise ClusterError(f"unknown profile {chosen!r}; profiles: {', '.join(PROFILES)}")
    if name == DEFAULT_NAME:
        return Cluster(name, PROFILES[chosen], default_ports(), state)
    base_env = os.environ.get(_base_var(name))
    slot = meta.get("slot")
    if base_env:
        base = _env_port(_base_var(name), 0)
    else:
        if slot is None and allocate:
            with _slot_lock():
                free = [s for s in range(1, MAX_SLOTS + 1) if s not in _used_slots(name)]
                if not free:
                    raise ClusterError(f"all {MAX_SLOTS} port slots for named clusters are taken; remove a "
                                       f"cluster with `devcluster.py --name NAME down --purge` or set "
                                       f"{_base_var(name)}")
                slot = free[0]
                _write_meta(Cluster(name, PROFILES[chosen], {}, state, slot))
        if slot is None:
            raise ClusterError(f"there is no cluster {name!r} in {toolchain.cache_dir()}; start it with: "
                               f"devcluster.py --name {name} up")
        base = slot_base(slot)
    return Cluster(name, PROFILES[chosen], block_ports(base), state, slot)


@contextlib.contextmanager
def _slot_lock():
    root = toolchain.cache_dir() / "clusters"
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".slots.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _write_meta(cluster: Cluster) -> None:
    cluster.state.mkdir(parents=True, exist_ok=True)
    meta = {"name": cluster.name, "profile": cluster.profile.name, "slot": cluster.slot}
    (cluster.state / "cluster.json").write_text(json.dumps(meta, indent=2) + "\n")


def list_clusters() -> list[Cluster]:
    found = []
    if (_state_for(DEFAULT_NAME) / "pki").exists():
        found.append(get_cluster(DEFAULT_NAME))
    root = toolchain.cache_dir() / "clusters"
    if root.is_dir():
        for state in sorted(root.iterdir()):
            if state.is_dir() and _NAME.match(state.name):
                found.append(get_cluster(state.name))
    return found


# --------------------------------------------------------------------------- component definitions

@dataclass(frozen=True)
class Component:
    """A process that `up` starts and `down` stops by pid file."""

    name: str
    argv: Callable[[Cluster], list[str]]
    what: str
    ready: Callable[[Cluster], bool] | None = None
    port: str | None = None  # the port name it serves on, for `status`
    script: str | None = None  # Python components: tools/<script>, run by this interpreter
    env: Callable[[Cluster], dict[str, str]] | None = None  # set over devcluster's environment
    cwd: Callable[[Cluster], Path] | None = None  # working directory (default: devcluster's)


def _py(script: str, *args: str) -> list[str]:
    return [sys.executable, str(TOOLS / script), *args]


def _kc(cluster: Cluster, client: str) -> str:
    return str(cluster.state / f"{client}.kubeconfig")


def _etcd_args(c: Cluster) -> list[str]:
    pki, url = c.pki, f"https://{HOST}:{c.ports['etcd']}"
    peer = f"https://{HOST}:{c.ports['etcd-peer']}"
    # The default cluster's member keeps its name, so kept data still matches it.
    member = "openova-local" if c.name == DEFAULT_NAME else f"openova-{c.name}"
    return [
        str(toolchain.BINARIES["etcd"].path),
        f"--name={member}", f"--data-dir={c.state / 'etcd'}",
        f"--listen-client-urls={url}", f"--advertise-client-urls={url}",
        f"--listen-peer-urls={peer}", f"--initial-advertise-peer-urls={peer}",
        f"--initial-cluster={member}={peer}",
        f"--cert-file={pki / 'etcd-server.crt'}", f"--key-file={pki / 'etcd-server.key'}",
        f"--trusted-ca-file={pki / 'ca.crt'}", "--client-cert-auth=true",
        f"--peer-cert-file={pki / 'etcd-server.crt'}", f"--peer-key-file={pki / 'etcd-server.key'}",
        f"--peer-trusted-ca-file={pki / 'ca.crt'}", "--peer-client-cert-auth=true",
        "--listen-metrics-urls=", "--log-level=warn",
        "--quota-backend-bytes=4294967296", "--unsafe-no-fsync=true",
    ]


def _apiserver_args(c: Cluster) -> list[str]:
    pki = c.pki
    args = [
        str(toolchain.BINARIES["kube-apiserver"].path),
        f"--bind-address={HOST}", f"--advertise-address={HOST}",
        f"--secure-port={c.ports['kube-apiserver']}",
        f"--etcd-servers=https://{HOST}:{c.ports['etcd']}", f"--etcd-cafile={pki / 'ca.crt'}",
        f"--etcd-certfile={pki / 'apiserver-etcd-client.crt'}",
        f"--etcd-keyfile={pki / 'apiserver-etcd-client.key'}",
        f"--tls-cert-file={pki / 'apiserver.crt'}", f"--tls-private-key-file={pki / 'apiserver.key'}",
        f"--client-ca-file={pki / 'ca.crt'}",
        "--authorization-mode=Node,RBAC",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        f"--service-account-key-file={pki / 'sa.pub'}",
        f"--service-account-signing-key-file={pki / 'sa.key'}",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
        # No kubelet runs here, so the apiserver must not publish itself as an endpoint.
        "--endpoint-reconciler-type=none",
        f"--requestheader-client-ca-file={pki / 'front-proxy-ca.crt'}",
        "--requestheader-allowed-names=front-proxy-client",
        "--requestheader-username-headers=X-Remote-User",
        "--requestheader-group-headers=X-Remote-Group",
        "--requestheader-extra-headers-prefix=X-Remote-Extra-",
        f"--proxy-client-cert-file={pki / 'front-proxy-client.crt'}",
        f"--proxy-client-key-file={pki / 'front-proxy-client.key'}",
        "--allow-privileged=true", "--profiling=false",
        "--max-requests-inflight=800", "--max-mutating-requests-inflight=400",
        # Webhooks, aggregated APIs, the proxy subresources and kubelet
        # connections go through the loopback-only egress proxy (egress.py).
        f"--egress-selector-config-file={c.egress_dir / 'egress-selector.json'}",
    ]
    if not c.profile.webhook_admission:
        args.append("--disable-admission-plugins=MutatingAdmissionWebhook,ValidatingAdmissionWebhook")
    return args


def _cm_args(c: Cluster) -> list[str]:
    pki, kc = c.pki, _kc(c, "controller-manager")
    return [
        str(toolchain.BINARIES["kube-controller-manager"].path),
        f"--kubeconfig={kc}", f"--authentication-kubeconfig={kc}", f"--authorization-kubeconfig={kc}",
        f"--bind-address={HOST}", f"--secure-port={c.ports['kube-controller-manager']}",
        "--leader-elect=false", "--use-service-account-credentials=true",
        f"--root-ca-file={pki / 'ca.crt'}",
        f"--service-account-private-key-file={pki / 'sa.key'}",
        f"--cluster-signing-cert-file={pki / 'ca.crt'}",
        f"--cluster-signing-key-file={pki / 'ca.key'}",
        f"--requestheader-client-ca-file={pki / 'front-proxy-ca.crt'}",
        f"--client-ca-file={pki / 'ca.crt'}",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
        "--kube-api-qps=200", "--kube-api-burst=400",
        "--concurrent-namespace-syncs=20", "--concurrent-gc-syncs=40",
    ]


def _scheduler_args(c: Cluster) -> list[str]:
    pki, kc = c.pki, _kc(c, "scheduler")
    return [
        str(toolchain.BINARIES["kube-scheduler"].path),
        f"--kubeconfig={kc}", f"--authentication-kubeconfig={kc}", f"--authorization-kubeconfig={kc}",
        f"--bind-address={HOST}", f"--secure-port={c.ports['kube-scheduler']}",
        "--leader-elect=false",
        f"--requestheader-client-ca-file={pki / 'front-proxy-ca.crt'}",
        f"--client-ca-file={pki / 'ca.crt'}",
    ]


def _kwok_args(c: Cluster) -> list[str]:
    args = [
        str(toolchain.BINARIES["kwok"].path),
        f"--kubeconfig={_kc(c, 'kwok')}",
        "--manage-all-nodes=false",
        "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
        f"--cidr={POD_CIDR}", f"--node-ip={NODE_IP}",
        f"--server-address={HOST}:{c.ports['kwok']}",
    ]
    if c.profile.kwok_stage_objects:
        # Stages as objects in the cluster, so that kinds whose CRDs a chart
        # installs later can be simulated (see kwok_stages.py).
        args.append("--enable-crds=Stage")
    else:
        args.append(f"--config={c.state / 'kwok.yaml'}")
    return args


def _egress_args(c: Cluster) -> list[str]:
    return _py("egress.py", "serve", "--state", str(c.egress_dir), "--kubeconfig", _kc(c, "devcluster"),
               "--cluster-port", str(c.ports["egress-cluster"]),
               "--controlplane-port", str(c.ports["egress-controlplane"]),
               "--ca", str(c.pki / "ca.crt"), "--cert", str(c.pki / "egress-proxy.crt"),
               "--key", str(c.pki / "egress-proxy.key"))


def _listening(port: int) -> bool:
    import socket  # noqa: PLC0415

    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


COMPONENTS: dict[str, Component] = {comp.name: comp for comp in (
    Component("etcd", _etcd_args, "etcd, the API server's store",
              ready=lambda c: _healthy(c, f"https://{HOST}:{c.ports['etcd']}/health"), port="etcd"),
    Component("egress-proxy", _egress_args,
              "the API server's only way out: connects to registered 127.0.0.1 targets, refuses the rest",
              ready=lambda c: _listening(c.ports["egress-cluster"]) and _listening(c.ports["egress-controlplane"]),
              port="egress-cluster", script="egress.py"),
    Component("kube-apiserver", _apiserver_args, "the real Kubernetes API server",
              ready=lambda c: _healthy(c, f"{c.server}/readyz"), port="kube-apiserver"),
    Component("apiserver-sockets",
              lambda c: _py("apiserver_sockets.py", "run", "--pidfile", str(c.pidfile("kube-apiserver")),
                            "--out", str(c.sockets_file)),
              "records every remote address of the API server's sockets (the loopback check)",
              script="apiserver_sockets.py"),
    Component("kube-controller-manager", _cm_args, "the real controller-manager",
              ready=lambda c: _healthy(c, f"https://{HOST}:{c.ports['kube-controller-manager']}/healthz",
                                       verify=False), port="kube-controller-manager"),
    Component("kube-scheduler", _scheduler_args, "the real scheduler",
              ready=lambda c: _healthy(c, f"https://{HOST}:{c.ports['kube-scheduler']}/healthz", verify=False),
              port="kube-scheduler"),
    Component("kwok", _kwok_args, "simulated nodes and pods (pods report Running and Ready; nothing runs)",
              port="kwok"),
    Component("lb-controller",
              lambda c: _py("lb_controller.py", "run", "--kubeconfig", _kc(c, "devcluster")),
              "simulated: LoadBalancer Services get an address from a pool (nothing listens on it)",
              script="lb_controller.py"),
    Component("volume-provisioner",
              lambda c: _py("volume_provisioner.py", "run", "--kubeconfig", _kc(c, "devcluster")),
              "simulated: claims of the local StorageClass get PersistentVolumes (no storage exists)",
              script="volume_provisioner.py"),
    Component("kwok-stages",
              lambda c: _py("kwok_stages.py", "run", "--kubeconfig", _kc(c, "devcluster")),
              "simulated: operator status for the kinds in `devcluster.py simulated`, once their CRDs exist",
              script="kwok_stages.py"),
    Component("job-standins",
              lambda c: _py("job_standins.py", "run", "--kubeconfig", _kc(c, "devcluster")),
              "stand-in: does what a chart's CRD Job would (the Redpanda operator's `crd`), with ../shared/crds",
              script="job_standins.py"),
)}


def _controller(name: str, cluster: Cluster) -> tuple[list[str], dict[str, str]]:
    try:
        return localcontrollers.command(name, cluster.state, cluster.ports)
    except localcontrollers.LocalControllerError as exc:
        raise ClusterError(f"{exc}; run: devcluster.py --name {cluster.name} up") from exc


def _local_controller(name: str, port: str) -> Component:
    return Component(name, lambda c: _controller(name, c)[0], localcontrollers.CONTROLLERS[name].what,
                     ready=lambda c: localcontrollers.ready(name, c.ports), port=port,
                     env=lambda c: _controller(name, c)[1], cwd=lambda c: localcontrollers.workdir(name, c.state))


COMPONENTS.update((comp.name, comp) for comp in (
    _local_controller("istiod", "istiod-https"),
    _local_controller("kyverno-admission", "kyverno-webhook"),
    _local_controller("kyverno-background", "kyverno-background-metrics"),
))
CONTROL_PLANE = ("etcd", "egress-proxy", "kube-apiserver", "apiserver-sockets",
                 "kube-controller-manager", "kube-scheduler", "kwok")


def components_of(cluster: Cluster) -> list[str]:
    """Every component of the cluster's profile, in start order."""
    return [*CONTROL_PLANE, *[n for n in cluster.profile.components if n not in CONTROL_PLANE]]


# --------------------------------------------------------------------------- processes

def _argv_hash(argv: list[str], env: dict[str, str] | None = None) -> str:
    """What `up` compares to decide on a restart. The program counts by its real
    path: .venv/bin/python and .venv/bin/python3 are the same interpreter. A
    component's own environment (if any) counts like its arguments."""
    parts = [os.path.realpath(argv[0]), *argv[1:]]
    if env:
        parts += ["env", *(f"{k}={v}" for k, v in sorted(env.items()))]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


def _read_pidfile(cluster: Cluster, name: str) -> dict | None:
    try:
        lines = cluster.pidfile(name).read_text().splitlines()
        return {"pid": int(lines[0]), "binary": lines[1].strip(),
                "hash": lines[2].strip() if len(lines) > 2 else "",
                "marker": lines[3].strip() if len(lines) > 3 else ""}
    except (OSError, ValueError, IndexError):
        return None


def _running_pid(cluster: Cluster, name: str) -> int | None:
    """The pid recorded for ``name`` if that process is alive and is ours."""
    record = _read_pidfile(cluster, name)
    if record is None:
        return None
    pid = record["pid"]
    try:
        exe = os.readlink(f"/proc/{pid}/exe")
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    # A recycled pid belongs to some other program: never signal it. A binary
    # rebuilt while it runs shows as "<path> (deleted)" and is still ours.
    if exe.removesuffix(" (deleted)") != record["binary"] or _is_zombie(pid):
        return None
    # Python components share the interpreter: the script tells them apart.
    if record["marker"] and record["marker"].encode() not in cmdline:
        return None
    return pid


def _start(cluster: Cluster, comp: Component, argv: list[str], extra_env: dict[str, str] | None = None) -> int:
    cluster.logfile(comp.name).parent.mkdir(parents=True, exist_ok=True)
    cluster.pidfile(comp.name).parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONUNBUFFERED="1", **(extra_env or {}))
    cwd = comp.cwd(cluster) if comp.cwd else None
    if cwd is not None:
        cwd.mkdir(parents=True, exist_ok=True)
    with cluster.logfile(comp.name).open("ab") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, env=env, cwd=cwd)
    marker = str(TOOLS / comp.script) if comp.script else ""
    cluster.pidfile(comp.name).write_text(
        f"{proc.pid}\n{os.path.realpath(argv[0])}\n{_argv_hash(argv, extra_env)}\n{marker}\n")
    return proc.pid


def _stop(cluster: Cluster, name: str, timeout: float = 15.0) -> bool:
    pid = _running_pid(cluster, name)
    cluster.pidfile(name).unlink(missing_ok=True)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not Path(f"/proc/{pid}").exists() or _is_zombie(pid):
            return True
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    return True


def _is_zombie(pid: int) -> bool:
    try:
        return " Z " in Path(f"/proc/{pid}/stat").read_text().split(")", 1)[1][:4]
    except OSError:
        return True


def _rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


# --------------------------------------------------------------------------- HTTP checks

def _ssl_context(cluster: Cluster) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(cluster.pki / "ca.crt"))
    ctx.load_cert_chain(str(cluster.pki / "admin.crt"), str(cluster.pki / "admin.key"))
    return ctx


def _healthy(cluster: Cluster, url: str, verify: bool = True) -> bool:
    ctx = _ssl_context(cluster) if verify else ssl._create_unverified_context()  # noqa: S323
    try:
        with urllib.request.urlopen(url, context=ctx, timeout=2) as resp:  # noqa: S310
            return resp.status == 200
    except (urllib.error.URLError, OSError, ssl.SSLError):
        return False


def _wait(cluster: Cluster, what: str, check, timeout: float, logname: str | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if logname and _running_pid(cluster, logname) is None:
            raise ClusterError(f"{logname} exited while starting; see {cluster.logfile(logname)}:\n"
                               + _log_tail(cluster, logname))
        time.sleep(0.2)
    raise ClusterError(f"timed out after {timeout:.0f}s waiting for {what}"
                       + (f"; see {cluster.logfile(logname)}:\n{_log_tail(cluster, logname)}" if logname else ""))


def _log_tail(cluster: Cluster, name: str, lines: int = 12) -> str:
    log = cluster.logfile(name)
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""


# --------------------------------------------------------------------------- kubectl

def kubectl(*args: str, stdin: str | None = None, check: bool = True, name: str | None = None,
            cluster: Cluster | None = None) -> subprocess.CompletedProcess:
    cluster = cluster or get_cluster(name)
    binary = toolchain.BINARIES["kubectl"].path
    proc = subprocess.run([str(binary), "--kubeconfig", str(cluster.kubeconfig), *args],
                          input=stdin, capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise ClusterError(f"kubectl {' '.join(args)} failed: {proc.stderr.strip()}")
    return proc


# --------------------------------------------------------------------------- up

def _nodes_manifest(count: int) -> str:
    """Nodes and the default StorageClass as a stream of documents (a v1
    List would make kubectl fetch the whole /openapi/v2 document to validate
    it client-side, which takes minutes with every CRD installed on a busy machine)."""
    items = []
    for i in range(count):
        name = f"kwok-node-{i}"
        items.append({
            "apiVersion": "v1", "kind": "Node",
            "metadata": {
                "name": name,
                "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
                "labels": {
                    "type": "kwok", "kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
                    "kubernetes.io/arch": "amd64", "node-role.kubernetes.io/worker": "",
                    "topology.kubernetes.io/region": "local",
                    "topology.kubernetes.io/zone": ZONES[i % len(ZONES)],
                },
            },
            "spec": {},
            "status": {
                "allocatable": {"cpu": "16", "memory": "64Gi", "pods": "250", "ephemeral-storage": "200Gi"},
                "capacity": {"cpu": "16", "memory": "64Gi", "pods": "250", "ephemeral-storage": "200Gi"},
            },
        })
    # The default StorageClass: volumes come from volume_provisioner.py (in the
    # profiles that run it), bound where the first consumer is scheduled.
    items.append(volume_provisioner.storage_class_spec())
    return "\n---\n".join(json.dumps(item) for item in items)


def _nodes_ready(cluster: Cluster, count: int) -> bool:
    proc = kubectl("get", "nodes", "-l", "type=kwok", "-o", "json", check=False, cluster=cluster)
    if proc.returncode != 0:
        return False
    ready = 0
    for node in json.loads(proc.stdout)["items"]:
        for cond in node.get("status", {}).get("conditions", []):
            if cond["type"] == "Ready" and cond["status"] == "True":
                ready += 1
    return ready >= count


def _replace_storage_class(cluster: Cluster) -> None:
    """A StorageClass's provisioner cannot change: replace one from an older devcluster."""
    proc = kubectl("get", "storageclass", volume_provisioner.STORAGE_CLASS, "-o", "json", check=False,
                   cluster=cluster)
    if proc.returncode == 0 and json.loads(proc.stdout).get("provisioner") != volume_provisioner.PROVISIONER:
        kubectl("delete", "storageclass", volume_provisioner.STORAGE_CLASS, cluster=cluster)


def _kwok_module() -> Path:
    return toolchain.module_dir("sigs.k8s.io/kwok", toolchain.KWOK_VERSION)


def _install_kwok_stage_objects(cluster: Cluster) -> None:
    """kwok's Stage CRD and its node and pod Stages as objects (kwok --enable-crds=Stage)."""
    crd = _kwok_module() / "kustomize" / "crd" / "bases" / "kwok.x-k8s.io_stages.yaml"
    kubectl("apply", "--server-side", "--force-conflicts", "--field-manager=devcluster", "-f", str(crd),
            cluster=cluster)
    # Polled: `kubectl wait` fails at once while a new CRD has no conditions yet.
    _wait(cluster, "kwok's Stage CRD to be Established", lambda: kubectl(
        "get", "crd", "stages.kwok.x-k8s.io", "-o", 'jsonpath={.status.conditions[?(@.type=="Established")].status}',
        check=False, cluster=cluster).stdout == "True", _up_timeout())
    docs = toolchain.kwok_stages().split("\n---\n")
    kubectl("apply", "--server-side", "--force-conflicts", "--field-manager=devcluster", "-f", "-",
            stdin="\n---\n".join(docs), cluster=cluster)
    kubectl("label", "--overwrite", "stages.kwok.x-k8s.io", "--all", "app.kubernetes.io/managed-by=devcluster",
            cluster=cluster)


def _write_configs(cluster: Cluster) -> None:
    import pki  # noqa: PLC0415  (needs cryptography, only for `up`)

    state = cluster.state
    pki.generate(cluster.pki, SERVICE_IP)
    cluster.kubeconfig.write_text(pki.kubeconfig(cluster.pki, cluster.server, "admin",
                                                 f"openova-{cluster.name}"))
    cluster.kubeconfig.chmod(0o600)
    for client in ("controller-manager", "scheduler", "kwok", "devcluster"):
        path = state / f"{client}.kubeconfig"
        path.write_text(pki.kubeconfig(cluster.pki, cluster.server, client, f"openova-{cluster.name}"))
        path.chmod(0o600)
    if not cluster.profile.kwok_stage_objects:
        (state / "kwok.yaml").write_text(toolchain.kwok_stages())
    cluster.egress_dir.mkdir(parents=True, exist_ok=True)
    (cluster.egress_dir / "egress-selector.json").write_text(egress.render_egress_selector(
        {"cluster": cluster.ports["egress-cluster"], "controlplane": cluster.ports["egress-controlplane"]},
        cluster.pki / "ca.crt", cluster.pki / "apiserver-egress-client.crt",
        cluster.pki / "apiserver-egress-client.key"))


def _up_timeout() -> float:
    """Seconds `up` waits for each component (OPENOVA_UP_TIMEOUT; a shared, busy machine needs more)."""
    try:
        return float(os.environ.get("OPENOVA_UP_TIMEOUT", "180"))
    except ValueError as exc:
        raise ClusterError(f"OPENOVA_UP_TIMEOUT={os.environ['OPENOVA_UP_TIMEOUT']!r} is not a number") from exc


def _ensure_running(cluster: Cluster, name: str, timeout: float | None = None) -> str:
    """Start ``name`` unless it runs with the same command line; restart it if
    its command line changed. Returns what was done."""
    comp = COMPONENTS[name]
    argv = comp.argv(cluster)
    extra_env = comp.env(cluster) if comp.env else None
    pid = _running_pid(cluster, name)
    done = "running"
    if pid is not None:
        record = _read_pidfile(cluster, name) or {}
        if record.get("hash") != _argv_hash(argv, extra_env):
            _stop(cluster, name)
            pid, done = None, "restarted (its command line changed)"
    if pid is None:
        _start(cluster, comp, argv, extra_env)
        done = "started" if done == "running" else done
    if comp.ready is not None:
        _wait(cluster, f"{name} to become healthy", lambda: comp.ready(cluster), timeout or _up_timeout(),
              logname=name)
    elif done != "running":
        time.sleep(0.3)  # a process that fails on its arguments exits at once
        if _running_pid(cluster, name) is None:
            raise ClusterError(f"{name} exited at start; see {cluster.logfile(name)}:\n"
                               + _log_tail(cluster, name))
    return done


def _check_python_components(cluster: Cluster) -> None:
    scripts = [COMPONENTS[n].script for n in components_of(cluster) if COMPONENTS[n].script]
    if any(s != "apiserver_sockets.py" for s in scripts) and importlib.util.find_spec("kubernetes") is None:
        raise ClusterError(f"{sys.executable} lacks the kubernetes client, which devcluster's proxy and "
                           "controllers use: run `make setup` and use .venv/bin/python")


def up(nodes: int = 3, crds: list[str] | None = None, name: str | None = None,
       profile: str | None = None) -> Cluster:
    """Start (or reuse) the cluster and return it."""
    started = time.monotonic()
    if nodes < 1:
        raise ClusterError("--nodes must be at least 1")
    cluster = get_cluster(name, profile, allocate=True)
    meta = _read_meta(cluster.state)
    if meta.get("profile") and meta["profile"] != cluster.profile.name and \
            _running_pid(cluster, "kube-apiserver") is not None:
        raise ClusterError(f"cluster {cluster.name!r} runs profile {meta['profile']!r}; stop it first "
                           f"(devcluster.py --name {cluster.name} down) to start profile {cluster.profile.name!r}")
    if crds and not cluster.profile.allows_crds:
        raise ClusterError(f"profile {cluster.profile.name!r} preinstalls no CRDs (the charts install them); "
                           "use the default profile for --crds, or `devcluster.py crds` on purpose")
    if cluster.profile.crds and crds not in (["all"], ["*"]):
        crds = [*cluster.profile.crds, *(p for p in crds or [] if p not in cluster.profile.crds)]
    admission = [n for n in ADMISSION_COMPONENTS if n in cluster.profile.components]
    _check_python_components(cluster)
    toolchain.ensure(toolchain.CLUSTER_BINARIES)
    if admission:
        toolchain.ensure(toolchain.ADMISSION_BINARIES)
    built = time.monotonic()
    cluster.state.mkdir(parents=True, exist_ok=True)
    _write_meta(cluster)
    _write_configs(cluster)

    actions = {}
    for comp in ("etcd", "egress-proxy", "kube-apiserver", "apiserver-sockets"):
        actions[comp] = _ensure_running(cluster, comp)
    if cluster.profile.kwok_stage_objects:
        _install_kwok_stage_objects(cluster)
    for comp in ("kube-controller-manager", "kube-scheduler", "kwok"):
        actions[comp] = _ensure_running(cluster, comp)

    _replace_storage_class(cluster)
    kubectl("apply", "--server-side", "--force-conflicts", "--field-manager=devcluster", "-f", "-",
            stdin=_nodes_manifest(nodes), cluster=cluster)
    _wait(cluster, f"{nodes} kwok nodes to report Ready", lambda: _nodes_ready(cluster, nodes), _up_timeout(),
          logname="kwok")
    _wait(cluster, "the default ServiceAccount", lambda: kubectl(
        "get", "serviceaccount", "default", "-n", "default", check=False, cluster=cluster).returncode == 0,
        _up_timeout())
    for comp in components_of(cluster)[len(CONTROL_PLANE):]:
        if comp not in admission:
            actions[comp] = _ensure_running(cluster, comp)
    ready = time.monotonic()
    if crds:
        install_crds(crds, cluster=cluster)
    crds_time = time.monotonic() - ready
    if admission:
        _start_admission(cluster, admission, actions)
        ready = time.monotonic() - crds_time  # the CRDs are reported on their own

    rss = {n: _rss_mib(pid) for n in components_of(cluster) if (pid := _running_pid(cluster, n))}
    changed = [f"{n} {a}" for n, a in actions.items() if a != "running"]
    print(f"cluster {cluster.name!r} (profile {cluster.profile.name}) ready in {ready - started:.1f}s "
          f"(binaries {built - started:.1f}s, control plane and components {ready - built:.1f}s)"
          + (f"; CRDs installed in {crds_time:.1f}s" if crds else ""))
    if changed:
        print("components: " + ", ".join(changed))
    print("memory (RSS): " + ", ".join(f"{n} {v:.0f} MiB" for n, v in rss.items())
          + f"; total {sum(rss.values()):.0f} MiB")
    print(f"export KUBECONFIG={cluster.kubeconfig}")
    return cluster


def _start_admission(cluster: Cluster, names: list[str], actions: dict[str, str]) -> None:
    """The admission profile's controllers: their charts' objects and credentials
    (localcontrollers.prepare), their webhooks as egress targets, then the processes."""
    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return kubectl(*args, stdin=stdin, cluster=cluster)

    try:
        localcontrollers.prepare(cluster.state, cluster.server, cluster.pki / "ca.crt", run)
    except localcontrollers.LocalControllerError as exc:
        raise ClusterError(str(exc)) from exc
    for target, local, note in localcontrollers.registrations(cluster.ports):
        register_egress(target, local, note, cluster=cluster)
    for comp in names:
        actions[comp] = _ensure_running(cluster, comp)


# --------------------------------------------------------------------------- CRDs

def crd_projects() -> list[str]:
    if not CRD_ROOT.is_dir():
        raise ClusterError(f"the upstream CRDs are missing: expected them in {CRD_ROOT} "
                           "(set OPENOVA_CRD_DIR to their folder)")
    return sorted(p.name for p in CRD_ROOT.iterdir() if p.is_dir())


def install_crds(projects: list[str], name: str | None = None, cluster: Cluster | None = None) -> None:
    """Server-side apply the CRDs of ``projects`` (or all) and wait until Established."""
    cluster = cluster or get_cluster(name)
    known = crd_projects()
    wanted = known if projects in (["all"], ["*"]) else projects
    unknown = sorted(set(wanted) - set(known))
    if unknown:
        raise ClusterError(f"unknown CRD project(s) {', '.join(unknown)}; known: {', '.join(known)}")
    for project in wanted:
        # Server-side apply: several CRDs are too large for the client-side
        # last-applied annotation.
        kubectl("apply", "--server-side", "--force-conflicts", "--field-manager=devcluster",
                "-R", "-f", str(CRD_ROOT / project), cluster=cluster)
    names = kubectl("get", "crd", "-o", "name", cluster=cluster).stdout.split()
    kubectl("wait", "--for=condition=Established", "--timeout=180s", *names, cluster=cluster)
    print(f"CRDs established: {len(names)} from {', '.join(wanted)}")


# --------------------------------------------------------------------------- one component

def stop_component(component: str, kill: bool = False, name: str | None = None) -> None:
    """Stop one component of a running cluster: SIGTERM (SIGKILL with ``kill``,
    as a crash or an OOM kill would), then wait until it is gone."""
    cluster = get_cluster(name)
    if component not in components_of(cluster):
        raise ClusterError(f"unknown component {component}; known: {', '.join(components_of(cluster))}")
    pid = _running_pid(cluster, component)
    if pid is None:
        print(f"{component} is not running")
        return
    if kill:
        cluster.pidfile(component).unlink(missing_ok=True)
        os.kill(pid, signal.SIGKILL)
        _wait(cluster, f"{component} (pid {pid}) to exit",
              lambda: not Path(f"/proc/{pid}").exists() or _is_zombie(pid), 30)
    else:
        _stop(cluster, component)
    print(f"{'killed' if kill else 'stopped'}: {component} (pid {pid})")


def start_component(component: str, name: str | None = None) -> None:
    """Start one stopped component with the arguments `up` gives it, and wait
    until it is healthy (the API server: /readyz)."""
    cluster = get_cluster(name)
    if component not in components_of(cluster):
        raise ClusterError(f"unknown component {component}; known: {', '.join(components_of(cluster))}")
    if not cluster.kubeconfig.exists():
        raise ClusterError(f"no cluster {cluster.name!r} has been started here; run: devcluster.py up")
    if _running_pid(cluster, component) is not None:
        print(f"{component} is already running")
        return
    # An API server with every CRD installed takes minutes to become ready on a busy
    # machine, and may exit when etcd is slow to answer its start-up checks; it is
    # then started again, as the kubelet restarts a static pod.
    for attempt in range(1, 4):
        try:
            _ensure_running(cluster, component, timeout=max(_up_timeout(), 600))
            break
        except ClusterError:
            if attempt == 3 or _running_pid(cluster, component) is not None:
                raise
            print(f"{component} exited while starting (attempt {attempt}); starting it again")
    print(f"started: {component} (pid {_running_pid(cluster, component)})")


# --------------------------------------------------------------------------- down / status

def _known_pidfiles(cluster: Cluster) -> list[str]:
    run = cluster.state / "run"
    found = sorted(p.stem for p in run.glob("*.pid")) if run.is_dir() else []
    order = list(COMPONENTS)
    # Components this devcluster does not know (yet) first, then the reverse start order.
    return [n for n in found if n not in order] + [n for n in reversed(CONTROL_PLANE + tuple(
        n for n in order if n not in CONTROL_PLANE)) if n in found]


def down(keep_data: bool = False, name: str | None = None, purge: bool = False) -> None:
    cluster = get_cluster(name)
    stopped = [n for n in _known_pidfiles(cluster) if _stop(cluster, n)]
    print(f"cluster {cluster.name!r} stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
    if purge:
        shutil.rmtree(cluster.state, ignore_errors=True)
        print(f"removed {cluster.state}")
    elif not keep_data:
        # A new cluster: its objects, registrations and records start empty.
        shutil.rmtree(cluster.state / "etcd", ignore_errors=True)
        for path in (cluster.egress_dir / egress.REGISTRATIONS, cluster.egress_dir / egress.DECISIONS,
                     cluster.sockets_file):
            path.unlink(missing_ok=True)


def status(name: str | None = None) -> int:
    cluster = get_cluster(name)
    healthy = True
    print(f"cluster {cluster.name!r}: profile {cluster.profile.name} - {cluster.profile.simulates}")
    print(f"state {cluster.state}")
    for comp_name in components_of(cluster):
        comp = COMPONENTS[comp_name]
        pid = _running_pid(cluster, comp_name)
        healthy &= pid is not None
        state = f"running pid {pid} ({_rss_mib(pid):.0f} MiB)" if pid else "stopped"
        port = f"{HOST}:{cluster.ports[comp.port]}" if comp.port else ""
        print(f"  {comp_name:24} {state:28} {port:16} {comp.what}")
    if not healthy or not _healthy(cluster, f"{cluster.server}/readyz"):
        print(f"cluster is not running; start it with: devcluster.py --name {cluster.name} up")
        return 1
    regs = egress_registrations(cluster=cluster)
    decisions = egress_decisions(cluster=cluster)
    refused = sum(1 for d in decisions if d.get("decision") == "refused")
    print(f"egress: {len(regs)} registration(s), {len(decisions) - refused} connection(s) allowed, "
          f"{refused} refused (devcluster.py --name {cluster.name} egress log)")
    report = loopback_report(cluster=cluster)
    print(f"loopback check: {report['summary']}")
    nodes = kubectl("get", "nodes", "-L", "topology.kubernetes.io/zone", check=False, cluster=cluster).stdout
    print(f"apiserver {cluster.server} ready\n{nodes}")
    return 0


# --------------------------------------------------------------------------- egress API

def register_egress(target: str, local: str, note: str = "", name: str | None = None,
                    cluster: Cluster | None = None) -> dict:
    """Let the API server reach ``target`` (``namespace/name:port`` of a
    Service, or ``127.0.0.1:port``) at the local ``127.0.0.1:port``. Takes
    effect at the proxy's next connection; no restart."""
    cluster = cluster or get_cluster(name)
    try:
        reg = egress.RegistrationStore(cluster.egress_dir).add(target, local, note)
    except egress.EgressError as exc:
        raise ClusterError(str(exc)) from exc
    return reg.__dict__.copy()


def unregister_egress(target: str, name: str | None = None, cluster: Cluster | None = None) -> bool:
    cluster = cluster or get_cluster(name)
    try:
        return egress.RegistrationStore(cluster.egress_dir).remove(target)
    except egress.EgressError as exc:
        raise ClusterError(str(exc)) from exc


def egress_registrations(name: str | None = None, cluster: Cluster | None = None) -> list[dict]:
    cluster = cluster or get_cluster(name)
    return [r.__dict__.copy() for r in egress.RegistrationStore(cluster.egress_dir).load().values()]


def egress_decisions(name: str | None = None, since: str | None = None,
                     cluster: Cluster | None = None) -> list[dict]:
    """The proxy's decisions (JSON objects), oldest first, from ``since`` (ISO time) on."""
    cluster = cluster or get_cluster(name)
    return egress.read_decisions(cluster.egress_dir, since)


def now() -> str:
    """An ISO timestamp comparable with the proxy's and the sampler's records."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def apiserver_remotes(name: str | None = None, cluster: Cluster | None = None) -> dict:
    """What the socket sampler recorded: samples, API server pids, and each
    remote address with direction, first and last time seen, and whether it is loopback."""
    cluster = cluster or get_cluster(name)
    return apiserver_sockets.read(cluster.sockets_file)


def loopback_report(name: str | None = None, since: str | None = None, cluster: Cluster | None = None) -> dict:
    """Evidence that the API server stayed on 127.0.0.1 (from ``since`` on):
    the sampler's non-loopback remotes, the proxy's allowed connections to
    anything but 127.0.0.1, and whether the sampler was running at all."""
    cluster = cluster or get_cluster(name)
    sockets = apiserver_remotes(cluster=cluster)
    remotes = list(sockets.get("remotes", {}).values())
    outside = [r for r in remotes if not r["loopback"] and (since is None or r["last_seen"] >= since)]
    decisions = egress_decisions(cluster=cluster, since=since)
    allowed = [d for d in decisions if d.get("decision") == "allowed"]
    leaked = [d for d in allowed if not str(d.get("upstream") or "").startswith(f"{egress.LOOPBACK}:")]
    last = sockets.get("last_sample", "")
    fresh = bool(last) and _age_seconds(last) < 10 and _running_pid(cluster, "apiserver-sockets") is not None
    problems = []
    if not fresh:
        problems.append("the socket sampler is not running or has not sampled for 10 s")
    if outside:
        problems.append("the API server had sockets to " + ", ".join(
            f"{r['address']}" + (f":{r['port']}" if r['port'] else "") + f" ({r['proto']} {r['direction']})"
            for r in outside))
    if leaked:
        problems.append(f"the egress proxy let {len(leaked)} connection(s) through to non-loopback targets")
    summary = ("nothing beyond 127.0.0.1" if not problems else "; ".join(problems)) + (
        f" ({sockets.get('samples', 0)} socket samples, {len(remotes)} remote address(es) seen, "
        f"{len(allowed)} egress connection(s) allowed, {len(decisions) - len(allowed)} refused)")
    return {"ok": not problems, "problems": problems, "summary": summary, "sampler_fresh": fresh,
            "samples": sockets.get("samples", 0), "remotes": remotes, "outside": outside,
            "allowed": allowed, "refused": [d for d in decisions if d.get("decision") != "allowed"]}


def assert_loopback_only(name: str | None = None, since: str | None = None,
                         cluster: Cluster | None = None) -> dict:
    """Raise LoopbackViolation unless the API server connected to nothing
    beyond loopback (see loopback_report); return the report otherwise."""
    report = loopback_report(name, since, cluster)
    if not report["ok"]:
        raise LoopbackViolation(report["summary"])
    return report


def _age_seconds(iso: str) -> float:
    then = datetime.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return (datetime.datetime.now(datetime.timezone.utc) - then).total_seconds()


# --------------------------------------------------------------------------- CLI

def _print_decisions(entries: list[dict], as_json: bool) -> None:
    for d in entries:
        if as_json:
            print(json.dumps(d))
        else:
            print(f"{d.get('time', '')} {d.get('egress', ''):12} {d.get('decision', ''):8} "
                  f"{d.get('target') or '-':28} {d.get('service') or '-':32} {d.get('reason', '')}"
                  + (f" [{d['error']}]" if d.get("error") else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="devcluster", description=__doc__.split("\n")[0])
    parser.add_argument("--name", default=None,
                        help="which cluster (default: $OPENOVA_CLUSTER or the default cluster)")
    sub = parser.add_subparsers(dest="command", required=True)
    p_up = sub.add_parser("up", help="start the local control plane and kwok nodes")
    p_up.add_argument("--profile", choices=sorted(PROFILES), default=None,
                      help="what the cluster simulates (default: its last profile, or the one named like it)")
    p_up.add_argument("--nodes", type=int, default=int(os.environ.get("OPENOVA_NODES", "3")))
    p_up.add_argument("--crds", default=os.environ.get("OPENOVA_CRDS", ""),
                      help="'all' or a comma-separated list of folders under shared/crds (default profile)")
    p_down = sub.add_parser("down", help="stop exactly the processes that `up` started")
    mode = p_down.add_mutually_exclusive_group()
    mode.add_argument("--keep-data", action="store_true")
    mode.add_argument("--purge", action="store_true", help="also remove the state folder (frees a port slot)")
    sub.add_parser("status")
    sub.add_parser("env", help="print the export line for KUBECONFIG")
    p_crds = sub.add_parser("crds", help="install CRDs into the running cluster")
    p_crds.add_argument("projects", nargs="*", default=["all"])
    p_eg = sub.add_parser("egress", help="the API server's loopback-only egress proxy")
    eg = p_eg.add_subparsers(dest="egress_command", required=True)
    p_reg = eg.add_parser("register", help="let the API server reach TARGET at LOCAL")
    p_reg.add_argument("target", help="namespace/name:port (a Service port) or 127.0.0.1:port")
    p_reg.add_argument("local", help="127.0.0.1:port")
    p_reg.add_argument("--note", default="")
    p_unreg = eg.add_parser("unregister")
    p_unreg.add_argument("target")
    eg.add_parser("list")
    p_log = eg.add_parser("log", help="the proxy's decisions")
    p_log.add_argument("--refused", action="store_true", help="only refusals")
    p_log.add_argument("--since", default=None, help="ISO time")
    p_log.add_argument("--tail", type=int, default=0)
    p_log.add_argument("--json", action="store_true")
    p_sock = sub.add_parser("sockets", help="remote addresses of the API server's sockets, as sampled")
    p_sock.add_argument("--json", action="store_true")
    p_check = sub.add_parser("loopback-check", help="exit 1 unless the API server stayed on loopback")
    p_check.add_argument("--since", default=None)
    sub.add_parser("list", help="the clusters of this checkout")
    p_sim = sub.add_parser("simulated", help="the kinds whose operator status kwok simulates")
    p_sim.add_argument("--json", action="store_true")
    for verb, what in (("stop", "stop one component"), ("start", "start one stopped component"),
                       ("restart", "stop and start one component")):
        p_one = sub.add_parser(verb, help=what)
        p_one.add_argument("component", choices=list(COMPONENTS))
        if verb != "start":
            p_one.add_argument("--kill", action="store_true", help="SIGKILL instead of SIGTERM")
    args = parser.parse_args(argv)
    try:
        if args.command == "up":
            up(args.nodes, [p for p in args.crds.split(",") if p] or None, args.name, args.profile)
        elif args.command == "down":
            down(args.keep_data, args.name, args.purge)
        elif args.command == "status":
            return status(args.name)
        elif args.command == "env":
            cluster = get_cluster(args.name)
            if not cluster.kubeconfig.exists():
                raise ClusterError(f"no cluster {cluster.name!r} has been started here; run: "
                                   f"devcluster.py --name {cluster.name} up")
            print(f"export KUBECONFIG={cluster.kubeconfig}")
        elif args.command == "crds":
            install_crds(args.projects, args.name)
        elif args.command == "egress":
            return _egress_cli(args)
        elif args.command == "sockets":
            data = apiserver_remotes(args.name)
            if args.json:
                print(json.dumps(data, indent=2))
            else:
                print(f"{data.get('samples', 0)} samples, last {data.get('last_sample', 'never')}, "
                      f"API server pids {data.get('pids', [])}")
                for key, rec in sorted(data.get("remotes", {}).items()):
                    print(f"  {key:40} {'loopback' if rec['loopback'] else 'NOT LOOPBACK':12} "
                          f"seen {rec.get('sightings', rec.get('samples', 0)):7}x, "
                          f"{rec['first_seen']} .. {rec['last_seen']}")
        elif args.command == "loopback-check":
            report = loopback_report(args.name, args.since)
            print(report["summary"])
            return 0 if report["ok"] else 1
        elif args.command == "list":
            for cluster in list_clusters():
                running = _running_pid(cluster, "kube-apiserver") is not None
                print(f"{cluster.name:12} {cluster.profile.name:10} {'running' if running else 'stopped':8} "
                      f"{cluster.server:24} {cluster.state}")
        elif args.command == "simulated":
            rows = kwok_stages.table()
            if args.json:
                print(json.dumps(rows, indent=2))
            else:
                for row in rows:
                    print(f"{row['apiVersion']:34} {row['kind']:18} {row['sets']}")
        elif args.command in ("stop", "restart"):
            stop_component(args.component, kill=args.kill, name=args.name)
            if args.command == "restart":
                start_component(args.component, name=args.name)
        elif args.command == "start":
            start_component(args.component, name=args.name)
    except (ClusterError, toolchain.ToolchainError, localcontrollers.LocalControllerError) as exc:
        print(f"devcluster: error: {exc}", file=sys.stderr)
        return 1
    return 0


def _egress_cli(args) -> int:
    if args.egress_command == "register":
        reg = register_egress(args.target, args.local, args.note, args.name)
        print(f"registered {reg['target']} -> {reg['local']}")
    elif args.egress_command == "unregister":
        if not unregister_egress(args.target, args.name):
            print(f"{args.target} was not registered", file=sys.stderr)
            return 1
        print(f"unregistered {args.target}")
    elif args.egress_command == "list":
        for reg in egress_registrations(args.name):
            print(f"{reg['target']:40} -> {reg['local']:18} {reg['added']} {reg['note']}")
    elif args.egress_command == "log":
        entries = egress_decisions(args.name, args.since)
        if args.refused:
            entries = [d for d in entries if d.get("decision") != "allowed"]
        if args.tail:
            entries = entries[-args.tail:]
        _print_decisions(entries, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
