#!/usr/bin/env python3
"""devcluster: a real local Kubernetes control plane for openova.platform's tests.

    devcluster up [--crds all|PROJECT,...] [--nodes N]   start (or reuse) the cluster
    devcluster down [--keep-data]                        stop what `up` started, by pid file
    devcluster status                                    components, readiness, nodes
    devcluster env                                       print `export KUBECONFIG=...`
    devcluster crds [PROJECT ...]                        install CRDs from ../shared/crds
    devcluster stop|start|restart COMPONENT [--kill]     one component of a running cluster, e.g. to test
                                                         how clients ride out an API server restart

etcd, kube-apiserver, kube-controller-manager and kube-scheduler run on
127.0.0.1 only, with TLS everywhere and Node,RBAC authorization. kwok turns
Node objects into simulated nodes that report Ready and runs the pods that the
real scheduler places on them. State lives under <cache>/cluster (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import toolchain  # noqa: E402

HOST = "127.0.0.1"
PORTS = {
    "etcd": int(os.environ.get("OPENOVA_ETCD_PORT", "12379")),
    "etcd-peer": int(os.environ.get("OPENOVA_ETCD_PEER_PORT", "12380")),
    "kube-apiserver": int(os.environ.get("OPENOVA_APISERVER_PORT", "16443")),
    "kube-controller-manager": int(os.environ.get("OPENOVA_CM_PORT", "20257")),
    "kube-scheduler": int(os.environ.get("OPENOVA_SCHEDULER_PORT", "20259")),
    "kwok": int(os.environ.get("OPENOVA_KWOK_PORT", "20247")),
}
SERVICE_CIDR = "10.96.0.0/16"
SERVICE_IP = "10.96.0.1"
ZONES = ("zone-a", "zone-b", "zone-c")
CRD_ROOT = Path(os.environ.get("OPENOVA_CRD_DIR") or toolchain.REPO_ROOT.parent / "shared" / "crds")
# The order components start in; `down` stops them in reverse.
COMPONENTS = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")


class ClusterError(RuntimeError):
    """Something the user has to fix; the message says what."""


def state_dir() -> Path:
    return toolchain.cache_dir() / "cluster"


def kubeconfig_path() -> Path:
    return state_dir() / "admin.kubeconfig"


def _pki() -> Path:
    return state_dir() / "pki"


def _pidfile(name: str) -> Path:
    return state_dir() / "run" / f"{name}.pid"


def _server() -> str:
    return f"https://{HOST}:{PORTS['kube-apiserver']}"


# --------------------------------------------------------------------------- processes

def _running_pid(name: str) -> int | None:
    """The pid recorded for ``name`` if that process is alive and is our binary."""
    pidfile = _pidfile(name)
    if not pidfile.exists():
        return None
    try:
        pid_text, binary = pidfile.read_text().split("\n", 1)
        pid = int(pid_text)
        exe = os.readlink(f"/proc/{pid}/exe")
    except (ValueError, OSError):
        return None
    # A recycled pid belongs to some other program: never signal it. A binary
    # rebuilt while it runs shows as "<path> (deleted)" and is still ours.
    if exe.endswith(" (deleted)"):
        exe = exe[:-len(" (deleted)")]
    return pid if exe == binary.strip() else None


def _start(name: str, binary: Path, args: list[str]) -> int:
    logdir = state_dir() / "logs"
    logdir.mkdir(parents=True, exist_ok=True)
    _pidfile(name).parent.mkdir(parents=True, exist_ok=True)
    with (logdir / f"{name}.log").open("ab") as log:
        proc = subprocess.Popen([str(binary), *args], stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    _pidfile(name).write_text(f"{proc.pid}\n{os.path.realpath(binary)}\n")
    return proc.pid


def _stop(name: str, timeout: float = 15.0) -> bool:
    pid = _running_pid(name)
    _pidfile(name).unlink(missing_ok=True)
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
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# --------------------------------------------------------------------------- HTTP checks

def _ssl_context() -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(_pki() / "ca.crt"))
    ctx.load_cert_chain(str(_pki() / "admin.crt"), str(_pki() / "admin.key"))
    return ctx


def _healthy(url: str, verify: bool = True) -> bool:
    ctx = _ssl_context() if verify else ssl._create_unverified_context()  # noqa: S323
    try:
        with urllib.request.urlopen(url, context=ctx, timeout=2) as resp:  # noqa: S310
            return resp.status == 200
    except (urllib.error.URLError, OSError, ssl.SSLError):
        return False


def _wait(what: str, check, timeout: float, logname: str | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if logname and _running_pid(logname) is None:
            raise ClusterError(f"{logname} exited while starting; see {state_dir() / 'logs' / logname}.log:\n"
                               + _log_tail(logname))
        time.sleep(0.2)
    raise ClusterError(f"timed out after {timeout:.0f}s waiting for {what}"
                       + (f"; see {state_dir() / 'logs' / logname}.log:\n{_log_tail(logname)}" if logname else ""))


def _log_tail(name: str, lines: int = 12) -> str:
    log = state_dir() / "logs" / f"{name}.log"
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""


# --------------------------------------------------------------------------- kubectl

def kubectl(*args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    binary = toolchain.BINARIES["kubectl"].path
    proc = subprocess.run([str(binary), "--kubeconfig", str(kubeconfig_path()), *args],
                          input=stdin, capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise ClusterError(f"kubectl {' '.join(args)} failed: {proc.stderr.strip()}")
    return proc


# --------------------------------------------------------------------------- up

def _component_args(bins: dict[str, Path]) -> dict[str, list[str]]:
    pki, state = _pki(), state_dir()
    kc = {name: str(state / f"{name}.kubeconfig") for name in ("controller-manager", "scheduler", "kwok")}
    etcd_url = f"https://{HOST}:{PORTS['etcd']}"
    return {
        "etcd": [
            "--name=openova-local", f"--data-dir={state / 'etcd'}",
            f"--listen-client-urls={etcd_url}", f"--advertise-client-urls={etcd_url}",
            f"--listen-peer-urls=https://{HOST}:{PORTS['etcd-peer']}",
            f"--initial-advertise-peer-urls=https://{HOST}:{PORTS['etcd-peer']}",
            f"--initial-cluster=openova-local=https://{HOST}:{PORTS['etcd-peer']}",
            f"--cert-file={pki / 'etcd-server.crt'}", f"--key-file={pki / 'etcd-server.key'}",
            f"--trusted-ca-file={pki / 'ca.crt'}", "--client-cert-auth=true",
            f"--peer-cert-file={pki / 'etcd-server.crt'}", f"--peer-key-file={pki / 'etcd-server.key'}",
            f"--peer-trusted-ca-file={pki / 'ca.crt'}", "--peer-client-cert-auth=true",
            "--listen-metrics-urls=", "--log-level=warn",
            "--quota-backend-bytes=4294967296", "--unsafe-no-fsync=true",
        ],
        "kube-apiserver": [
            f"--bind-address={HOST}", f"--advertise-address={HOST}",
            f"--secure-port={PORTS['kube-apiserver']}",
            f"--etcd-servers={etcd_url}", f"--etcd-cafile={pki / 'ca.crt'}",
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
        ],
        "kube-controller-manager": [
            f"--kubeconfig={kc['controller-manager']}",
            f"--authentication-kubeconfig={kc['controller-manager']}",
            f"--authorization-kubeconfig={kc['controller-manager']}",
            f"--bind-address={HOST}", f"--secure-port={PORTS['kube-controller-manager']}",
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
        ],
        "kube-scheduler": [
            f"--kubeconfig={kc['scheduler']}",
            f"--authentication-kubeconfig={kc['scheduler']}",
            f"--authorization-kubeconfig={kc['scheduler']}",
            f"--bind-address={HOST}", f"--secure-port={PORTS['kube-scheduler']}",
            "--leader-elect=false",
            f"--requestheader-client-ca-file={pki / 'front-proxy-ca.crt'}",
            f"--client-ca-file={pki / 'ca.crt'}",
        ],
        "kwok": [
            f"--kubeconfig={kc['kwok']}",
            "--manage-all-nodes=false",
            "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
            "--cidr=10.244.0.0/16", "--node-ip=10.240.0.1",
            f"--server-address={HOST}:{PORTS['kwok']}",
            f"--config={state / 'kwok.yaml'}",
        ],
    }


def _nodes_manifest(count: int) -> str:
    docs = []
    for i in range(count):
        name = f"kwok-node-{i}"
        node = {
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
                "capacity": {"cpu": "16", "memory": "64Gi", "pods": "250", "ephemeral-storage": "200Gi"}
            },
        }
        docs.append(json.dumps(node))
    # A default StorageClass, so storage-aware checks see what a real cluster offers.
    docs.append(json.dumps({
        "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
        "metadata": {"name": "local-kwok",
                     "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
        "provisioner": "kubernetes.io/no-provisioner", "volumeBindingMode": "WaitForFirstConsumer",
    }))
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": [json.loads(d) for d in docs]})


def _nodes_ready(count: int) -> bool:
    proc = kubectl("get", "nodes", "-l", "type=kwok", "-o", "json", check=False)
    if proc.returncode != 0:
        return False
    ready = 0
    for node in json.loads(proc.stdout)["items"]:
        for cond in node.get("status", {}).get("conditions", []):
            if cond["type"] == "Ready" and cond["status"] == "True":
                ready += 1
    return ready >= count


def up(nodes: int = 3, crds: list[str] | None = None) -> None:
    started = time.monotonic()
    if nodes < 1:
        raise ClusterError("--nodes must be at least 1")
    bins = toolchain.ensure(toolchain.CLUSTER_BINARIES)
    built = time.monotonic()
    state = state_dir()
    state.mkdir(parents=True, exist_ok=True)
    toolchain_note = f"binaries ready in {built - started:.1f}s"

    toolchain_pki = _pki()
    import pki  # noqa: PLC0415  (needs cryptography, only for `up`)

    pki.generate(toolchain_pki, SERVICE_IP)
    kubeconfig_path().write_text(pki.kubeconfig(toolchain_pki, _server(), "admin"))
    kubeconfig_path().chmod(0o600)
    for client in ("controller-manager", "scheduler", "kwok"):
        (state / f"{client}.kubeconfig").write_text(pki.kubeconfig(toolchain_pki, _server(), client))
    (state / "kwok.yaml").write_text(toolchain.kwok_stages())

    args = _component_args(bins)
    checks = {
        "etcd": lambda: _etcd_healthy(),
        "kube-apiserver": lambda: _healthy(f"{_server()}/readyz"),
        "kube-controller-manager": lambda: _healthy(
            f"https://{HOST}:{PORTS['kube-controller-manager']}/healthz", verify=False),
        "kube-scheduler": lambda: _healthy(
            f"https://{HOST}:{PORTS['kube-scheduler']}/healthz", verify=False),
        "kwok": lambda: True,
    }
    for name in COMPONENTS:
        if _running_pid(name) is None:
            _start(name, bins[name], args[name])
        _wait(f"{name} to become healthy", checks[name], 60, logname=name)

    kubectl("apply", "--server-side", "--field-manager=devcluster", "-f", "-", stdin=_nodes_manifest(nodes))
    _wait(f"{nodes} kwok nodes to report Ready", lambda: _nodes_ready(nodes), 60, logname="kwok")
    _wait("the default ServiceAccount", lambda: kubectl(
        "get", "serviceaccount", "default", "-n", "default", check=False).returncode == 0, 60)
    ready = time.monotonic()
    if crds:
        install_crds(crds)
    done = time.monotonic()

    rss = {name: _rss_mib(pid) for name in COMPONENTS if (pid := _running_pid(name))}
    print(f"cluster ready in {ready - started:.1f}s ({toolchain_note}, control plane "
          f"{ready - built:.1f}s)" + (f"; CRDs installed in {done - ready:.1f}s" if crds else ""))
    print("memory (RSS): " + ", ".join(f"{n} {v:.0f} MiB" for n, v in rss.items())
          + f"; total {sum(rss.values()):.0f} MiB")
    print(f"export KUBECONFIG={kubeconfig_path()}")


def _etcd_healthy() -> bool:
    return _healthy(f"https://{HOST}:{PORTS['etcd']}/health")


# --------------------------------------------------------------------------- CRDs

def crd_projects() -> list[str]:
    if not CRD_ROOT.is_dir():
        raise ClusterError(f"the upstream CRDs are missing: expected them in {CRD_ROOT} "
                           "(set OPENOVA_CRD_DIR to their folder)")
    return sorted(p.name for p in CRD_ROOT.iterdir() if p.is_dir())


def install_crds(projects: list[str]) -> None:
    """Server-side apply the CRDs of ``projects`` (or all) and wait until Established."""
    known = crd_projects()
    wanted = known if projects in (["all"], ["*"]) else projects
    unknown = sorted(set(wanted) - set(known))
    if unknown:
        raise ClusterError(f"unknown CRD project(s) {', '.join(unknown)}; known: {', '.join(known)}")
    for project in wanted:
        # Server-side apply: several CRDs are too large for the client-side
        # last-applied annotation.
        kubectl("apply", "--server-side", "--force-conflicts", "--field-manager=devcluster",
                "-R", "-f", str(CRD_ROOT / project))
    names = kubectl("get", "crd", "-o", "name").stdout.split()
    kubectl("wait", "--for=condition=Established", "--timeout=180s", *names)
    print(f"CRDs established: {len(names)} from {', '.join(wanted)}")


# --------------------------------------------------------------------------- one component

def stop_component(name: str, kill: bool = False) -> None:
    """Stop one component that `up` started: SIGTERM (SIGKILL with ``kill``,
    as a crash or an OOM kill would), then wait until it is gone."""
    if name not in COMPONENTS:
        raise ClusterError(f"unknown component {name}; known: {', '.join(COMPONENTS)}")
    pid = _running_pid(name)
    if pid is None:
        print(f"{name} is not running")
        return
    if kill:
        _pidfile(name).unlink(missing_ok=True)
        os.kill(pid, signal.SIGKILL)
        _wait(f"{name} (pid {pid}) to exit", lambda: not Path(f"/proc/{pid}").exists() or _is_zombie(pid), 30)
    else:
        _stop(name)
    print(f"{'killed' if kill else 'stopped'}: {name} (pid {pid})")


def start_component(name: str) -> None:
    """Start one stopped component with the arguments `up` gives it, and wait
    until it is healthy (the API server: /readyz)."""
    if name not in COMPONENTS:
        raise ClusterError(f"unknown component {name}; known: {', '.join(COMPONENTS)}")
    if not (_pki() / "ca.crt").exists():
        raise ClusterError("no cluster has been started here; run: make cluster-up")
    if _running_pid(name) is not None:
        print(f"{name} is already running")
        return
    bins = toolchain.ensure(toolchain.CLUSTER_BINARIES)
    checks = {
        "etcd": _etcd_healthy,
        "kube-apiserver": lambda: _healthy(f"{_server()}/readyz"),
        "kube-controller-manager": lambda: _healthy(
            f"https://{HOST}:{PORTS['kube-controller-manager']}/healthz", verify=False),
        "kube-scheduler": lambda: _healthy(f"https://{HOST}:{PORTS['kube-scheduler']}/healthz", verify=False),
        "kwok": lambda: True,
    }
    # An API server with every CRD installed takes minutes to become ready on a busy
    # machine, and may exit when etcd is slow to answer its start-up checks; it is
    # then started again, as the kubelet restarts a static pod.
    for attempt in range(1, 4):
        _start(name, bins[name], _component_args(bins)[name])
        try:
            _wait(f"{name} to become healthy", checks[name], 600, logname=name)
            break
        except ClusterError:
            if attempt == 3 or _running_pid(name) is not None:
                raise
            print(f"{name} exited while starting (attempt {attempt}); starting it again")
    print(f"started: {name} (pid {_running_pid(name)})")


# --------------------------------------------------------------------------- down / status

def down(keep_data: bool = False) -> None:
    stopped = [name for name in reversed(COMPONENTS) if _stop(name)]
    print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
    if not keep_data:
        for path in (state_dir() / "etcd",):
            shutil.rmtree(path, ignore_errors=True)


def status() -> int:
    healthy = True
    for name in COMPONENTS:
        pid = _running_pid(name)
        healthy &= pid is not None
        print(f"{name:24} {'running pid ' + str(pid) if pid else 'stopped'}"
              + (f" ({_rss_mib(pid):.0f} MiB)" if pid else ""))
    if healthy and _healthy(f"{_server()}/readyz"):
        nodes = kubectl("get", "nodes", "-L", "topology.kubernetes.io/zone", check=False).stdout
        print(f"apiserver {_server()} ready\n{nodes}")
        return 0
    print("cluster is not running; start it with: make cluster-up")
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="devcluster", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_up = sub.add_parser("up", help="start the local control plane and kwok nodes")
    p_up.add_argument("--nodes", type=int, default=int(os.environ.get("OPENOVA_NODES", "3")))
    p_up.add_argument("--crds", default=os.environ.get("OPENOVA_CRDS", ""),
                      help="'all' or a comma-separated list of folders under shared/crds")
    p_down = sub.add_parser("down", help="stop exactly the processes that `up` started")
    p_down.add_argument("--keep-data", action="store_true")
    sub.add_parser("status")
    sub.add_parser("env", help="print the export line for KUBECONFIG")
    p_crds = sub.add_parser("crds", help="install CRDs into the running cluster")
    p_crds.add_argument("projects", nargs="*", default=["all"])
    for verb, what in (("stop", "stop one component"), ("start", "start one stopped component"),
                       ("restart", "stop and start one component")):
        p_one = sub.add_parser(verb, help=what)
        p_one.add_argument("component", choices=COMPONENTS)
        if verb != "start":
            p_one.add_argument("--kill", action="store_true", help="SIGKILL instead of SIGTERM")
    args = parser.parse_args(argv)
    try:
        if args.command == "up":
            up(args.nodes, [p for p in args.crds.split(",") if p] or None)
        elif args.command == "down":
            down(args.keep_data)
        elif args.command == "status":
            return status()
        elif args.command == "env":
            if not kubeconfig_path().exists():
                raise ClusterError("no cluster has been started here; run: make cluster-up")
            print(f"export KUBECONFIG={kubeconfig_path()}")
        elif args.command == "crds":
            install_crds(args.projects)
        elif args.command in ("stop", "restart"):
            stop_component(args.component, kill=args.kill)
            if args.command == "restart":
                start_component(args.component)
        elif args.command == "start":
            start_component(args.component)
    except (ClusterError, toolchain.ToolchainError) as exc:
        print(f"devcluster: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
