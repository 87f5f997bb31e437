#!/usr/bin/env python3
"""The local API server's egress: a loopback-only HTTP CONNECT proxy.

kube-apiserver reaches everything outside itself that a cluster object names
(admission and conversion webhooks, aggregated APIs, the service, pod and node
proxy subresources, kubelets) through its egress selector. devcluster points
the ``cluster`` and ``controlplane`` egress selections at this proxy, which
connects only to 127.0.0.1 targets registered with it and refuses everything
else. Every decision is one JSON line in ``<state>/egress/decisions.jsonl``.

What the API server asks for (kube-apiserver v1.36, read in its source):

- ``cluster`` egress (``egressselector.Cluster``): webhooks and CRD conversion
  webhooks that name a Service, aggregated APIs (requests, availability checks,
  discovery and OpenAPI downloads), the ``services/proxy``, ``pods/proxy`` and
  ``nodes/proxy`` subresources and the kubelet connections (logs, exec). For a
  Service it sends ``CONNECT <ClusterIP>:<service port>`` (the TLS server name
  stays ``<name>.<namespace>.svc``); with ``--enable-aggregator-routing`` it
  sends ``<endpoint IP>:<target port>`` instead, and for an ExternalName Service
  ``<external name>:<port>``. The service proxy subresource always picks an
  endpoint of a Pod: ``<pod IP>:<target port>``.
- ``controlplane`` egress: webhooks given by URL (``CONNECT <host>:<port>`` as
  written in the URL, a DNS name is not resolved by the API server), plus the
  authorization, authentication and audit webhooks, none of which the local
  cluster configures. ``kubernetes.default.svc:443`` never leaves the process.

A registration maps a Service (``namespace/name:port``, its service port) or an
explicit ``127.0.0.1:port`` to a local ``127.0.0.1:port``. The proxy resolves a
requested address to a Service through Services (ClusterIP, ExternalName) and
EndpointSlices (endpoint IP and port), read from the API when asked.

    egress.py serve --state DIR --kubeconfig FILE --cluster-port P --controlplane-port Q
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import fcntl
import ipaddress
import json
import os
import re
import signal
import ssl
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

LOOPBACK = "127.0.0.1"
REGISTRATIONS = "registrations.json"
DECISIONS = "decisions.jsonl"
EGRESS_NAMES = ("cluster", "controlplane")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SVC_SUFFIXES = (".svc.cluster.local", ".svc")


class EgressError(ValueError):
    """Bad registration input; the message names the field and the value."""


# --------------------------------------------------------------------------- parsing (pure)

def _port(text: str, what: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise EgressError(f"{what}: port {text!r} is not a number from 1 to 65535")
    return port


def split_hostport(text: str) -> tuple[str, int]:
    """``host:port`` or ``[v6]:port`` as a CONNECT request carries it."""
    if text.startswith("["):
        host, sep, port = text[1:].partition("]:")
    else:
        host, sep, port = text.rpartition(":")
    if not sep or not host:
        raise EgressError(f"target {text!r} is not host:port")
    return host.lower(), _port(port, f"target {text!r}")


@dataclass(frozen=True)
class Target:
    """What a registration is for: a Service port or an explicit loopback address."""

    kind: str  # "service" or "address"
    port: int
    namespace: str = ""
    name: str = ""

    @property
    def key(self) -> str:
        if self.kind == "service":
            return f"{self.namespace}/{self.name}:{self.port}"
        return f"{LOOPBACK}:{self.port}"


def parse_target(text: str) -> Target:
    """``namespace/name:port`` (a Service and one of its ports) or ``127.0.0.1:port``."""
    text = (text or "").strip()
    if "/" in text:
        ref, sep, port = text.rpartition(":")
        namespace, _, name = ref.partition("/")
        if not sep:
            raise EgressError(f"target {text!r}: a Service needs its port, as namespace/name:port")
        for what, value in (("namespace", namespace), ("name", name)):
            if not _DNS_LABEL.match(value) or len(value) > 63:
                raise EgressError(f"target {text!r}: {what} {value!r} is not a DNS label")
        return Target("service", _port(port, f"target {text!r}"), namespace, name)
    host, port = split_hostport(text)
    if host != LOOPBACK:
        raise EgressError(f"target {text!r}: an address target must be {LOOPBACK}:port "
                          "(anything else is reached through its Service, as namespace/name:port)")
    return Target("address", port)


def parse_local(text: str) -> str:
    """The local end of a registration: always ``127.0.0.1:port``."""
    host, port = split_hostport((text or "").strip())
    if host != LOOPBACK:
        raise EgressError(f"local {text!r}: the proxy connects only to {LOOPBACK}; give {LOOPBACK}:port")
    return f"{LOOPBACK}:{port}"


@dataclass(frozen=True)
class Registration:
    target: str
    local: str
    note: str = ""
    added: str = ""

    @classmethod
    def make(cls, target: str, local: str, note: str = "", added: str = "") -> "Registration":
        return cls(parse_target(target).key, parse_local(local), note, added)


# --------------------------------------------------------------------------- resolution (pure)

@dataclass
class ServiceIndex:
    """Which Service port an address stands for, built from Service and
    EndpointSlice lists (the API's JSON)."""

    cluster_ips: dict[tuple[str, int], str] = field(default_factory=dict)
    endpoints: dict[tuple[str, int], str] = field(default_factory=dict)
    external_names: dict[tuple[str, int], str] = field(default_factory=dict)

    @classmethod
    def build(cls, services: list[dict], slices: list[dict]) -> "ServiceIndex":
        index = cls()
        by_name = {}
        for svc in services:
            meta, spec = svc.get("metadata", {}), svc.get("spec", {})
            ns, name = meta.get("namespace", ""), meta.get("name", "")
            by_name[(ns, name)] = spec
            for port in spec.get("ports") or []:
                key = f"{ns}/{name}:{port['port']}"
                if spec.get("type") == "ExternalName" and spec.get("externalName"):
                    index.external_names[(spec["externalName"].lower().rstrip("."), port["port"])] = key
                for ip in spec.get("clusterIPs") or [spec.get("clusterIP")]:
                    if ip and ip != "None":
                        index.cluster_ips[(ip, port["port"])] = key
        for eps in slices:
            meta = eps.get("metadata", {})
            ns, svc_name = meta.get("namespace", ""), (meta.get("labels") or {}).get("kubernetes.io/service-name")
            spec = by_name.get((ns, svc_name))
            if spec is None:
                continue
            svc_ports = {p.get("name", ""): p["port"] for p in spec.get("ports") or []}
            for ep_port in eps.get("ports") or []:
                if ep_port.get("port") is None or ep_port.get("name", "") not in svc_ports:
                    continue
                key = f"{ns}/{svc_name}:{svc_ports[ep_port.get('name', '')]}"
                for endpoint in eps.get("endpoints") or []:
                    for ip in endpoint.get("addresses") or []:
                        index.endpoints[(ip, ep_port["port"])] = key
        return index

    def resolve(self, host: str, port: int) -> tuple[str | None, str]:
        """The Service port ``host:port`` stands for, and how it was found."""
        if (host, port) in self.cluster_ips:
            return self.cluster_ips[(host, port)], "ClusterIP"
        if (host, port) in self.endpoints:
            return self.endpoints[(host, port)], "endpoint"
        if (host, port) in self.external_names:
            return self.external_names[(host, port)], "ExternalName"
        for suffix in _SVC_SUFFIXES:
            if host.endswith(suffix):
                parts = host[:-len(suffix)].split(".")
                if len(parts) == 2 and all(_DNS_LABEL.match(p) for p in parts):
                    return f"{parts[1]}/{parts[0]}:{port}", "service DNS name"
        return None, ""


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Decision:
    decision: str  # "allowed" or "refused"
    reason: str
    service: str | None = None
    upstream: str | None = None

    @property
    def allowed(self) -> bool:
        return self.decision == "allowed"


def decide(host: str, port: int, registrations: dict[str, Registration],
           index: ServiceIndex | None, index_error: str = "") -> Decision:
    """Allow only a registered target, and only towards 127.0.0.1."""
    if host == LOOPBACK:
        reg = registrations.get(f"{LOOPBACK}:{port}")
        if reg:
            return Decision("allowed", f"registered address {reg.target}", None, reg.local)
        return Decision("refused", f"{LOOPBACK}:{port} is not registered")
    if index is None:
        return Decision("refused", f"cannot tell which Service {host}:{port} is: {index_error or 'no API'}")
    service, how = index.resolve(host, port)
    if service is None:
        kind = "address" if _is_ip(host) else "host name"
        return Decision("refused", f"{kind} {host}:{port} is neither a registered target nor the "
                                   "ClusterIP, endpoint or DNS name of a Service port")
    reg = registrations.get(service)
    if reg is None:
        return Decision("refused", f"Service {service} ({how} {host}:{port}) is not registered", service)
    # parse_local() admits only 127.0.0.1; checked again here, where it matters.
    if split_hostport(reg.local)[0] != LOOPBACK:
        return Decision("refused", f"registration {service} points at {reg.local}, not {LOOPBACK}", service)
    return Decision("allowed", f"registered Service {service} ({how} {host}:{port})", service, reg.local)


# --------------------------------------------------------------------------- egress selector (pure)

def render_egress_selector(ports: dict[str, int], ca: Path, cert: Path, key: Path) -> str:
    """The EgressSelectorConfiguration for kube-apiserver: the ``cluster`` and
    ``controlplane`` selections go through the proxy (TLS with a client
    certificate: kube-apiserver v1.36 dereferences the TLS settings of every TCP
    HTTPConnect transport, so plain http:// is not an option); ``etcd`` stays direct."""
    selections = [{
        "name": name,
        "connection": {
            "proxyProtocol": "HTTPConnect",
            "transport": {"tcp": {
                "url": f"https://{LOOPBACK}:{ports[name]}",
                "tlsConfig": {"caBundle": str(ca), "clientCert": str(cert), "clientKey": str(key)},
            }},
        },
    } for name in EGRESS_NAMES]
    return json.dumps({"apiVersion": "apiserver.k8s.io/v1beta1", "kind": "EgressSelectorConfiguration",
                       "egressSelections": selections}, indent=2) + "\n"


# --------------------------------------------------------------------------- registrations (files)

def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class RegistrationStore:
    """``<egress dir>/registrations.json``; writes are locked and atomic, so
    registrations can change while the proxy runs (it re-reads on change)."""

    def __init__(self, directory: Path):
        self.dir = Path(directory)
        self.path = self.dir / REGISTRATIONS

    @contextlib.contextmanager
    def _locked(self):
        self.dir.mkdir(parents=True, exist_ok=True)
        with (self.dir / ".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def load(self) -> dict[str, Registration]:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except ValueError as exc:
            raise EgressError(f"{self.path} is not valid JSON: {exc}") from exc
        regs = (Registration(**item) for item in data.get("registrations", []))
        return {reg.target: reg for reg in regs}

    def _save(self, regs: dict[str, Registration]) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"registrations": [asdict(r) for r in sorted(
            regs.values(), key=lambda r: r.target)]}, indent=2) + "\n")
        tmp.replace(self.path)

    def add(self, target: str, local: str, note: str = "") -> Registration:
        reg = Registration.make(target, local, note, _now())
        with self._locked():
            regs = self.load()
            regs[reg.target] = reg
            self._save(regs)
        return reg

    def remove(self, target: str) -> bool:
        key = parse_target(target).key
        with self._locked():
            regs = self.load()
            found = regs.pop(key, None) is not None
            self._save(regs)
        return found

    def clear(self) -> None:
        with self._locked():
            self._save({})


def read_decisions(directory: Path, since: str | None = None) -> list[dict]:
    """The proxy's decisions, oldest first; ``since`` is an ISO time (inclusive)."""
    path = Path(directory) / DECISIONS
    if not path.exists():
        return []
    out = []
    for line in path.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if since is None or entry.get("time", "") >= since:
            out.append(entry)
    return out


# --------------------------------------------------------------------------- the proxy process

class _State:
    """Registrations and the Service index, shared by the proxy's handlers.

    Services and EndpointSlices are kept up to date by two watches, so a
    decision costs no API request; an address that matches nothing is looked
    up once more with fresh lists before it is refused."""

    def __init__(self, directory: Path, kubeconfig: str):
        self.store = RegistrationStore(directory)
        self.log_path = Path(directory) / DECISIONS
        self.kubeconfig = kubeconfig
        self._regs: dict[str, Registration] = {}
        self._regs_mtime = None
        self._objects: dict[str, dict] = {"services": {}, "slices": {}}
        self._synced = {"services": threading.Event(), "slices": threading.Event()}
        self._index: ServiceIndex | None = None
        self._dirty = True
        self._relisted_at = 0.0
        self._error = ""
        self._lock = threading.Lock()
        self._log_lock = threading.Lock()
        self._api = None

    def registrations(self) -> dict[str, Registration]:
        try:
            mtime = self.store.path.stat().st_mtime_ns
        except FileNotFoundError:
            mtime = None
        if mtime != self._regs_mtime:
            try:
                self._regs = self.store.load()
            except EgressError as exc:  # a half-edited file: keep the last good set
                print(f"egress: {exc}", file=sys.stderr, flush=True)
            self._regs_mtime = mtime
        return self._regs

    def _client(self):
        if self._api is None:
            from kubernetes import client, config  # noqa: PLC0415 (only the proxy process needs it)

            api_client = config.new_client_from_config(config_file=self.kubeconfig)
            api_client.user_agent = "devcluster-egress-proxy"
            self._api = {"services": client.CoreV1Api(api_client).list_service_for_all_namespaces,
                         "slices": client.DiscoveryV1Api(api_client).list_endpoint_slice_for_all_namespaces}
        return self._api

    def start_watches(self) -> None:
        import kubeloop  # noqa: PLC0415 (beside this file)

        def watcher(kind: str):
            def on_sync(items):
                with self._lock:
                    self._objects[kind] = {_ref(o): o for o in items}
                    self._dirty = True
                self._synced[kind].set()

            def on_event(event, obj):
                with self._lock:
                    if event == "DELETED":
                        self._objects[kind].pop(_ref(obj), None)
                    else:
                        self._objects[kind][_ref(obj)] = obj
                    self._dirty = True

            def run():
                while True:
                    try:
                        list_func = self._client()[kind]
                        break
                    except Exception as exc:  # noqa: BLE001 - retried; decisions say why meanwhile
                        self._error = f"{type(exc).__name__}: {str(exc)[:200]}"
                        time.sleep(1)
                kubeloop.watch_forever(f"egress-proxy/{kind}", list_func, on_sync, on_event)
            return run

        for kind in self._objects:
            threading.Thread(target=watcher(kind), daemon=True).start()

    def _relist(self) -> None:
        """Fresh lists, for an address the watches do not know (yet)."""
        try:
            fresh = {kind: {_ref(o): o for o in json.loads(func(_preload_content=False, _request_timeout=5).data)
                            ["items"]} for kind, func in self._client().items()}
            with self._lock:
                self._objects.update(fresh)
                self._dirty = True
            for event in self._synced.values():
                event.set()
            self._error = ""
        except Exception as exc:  # noqa: BLE001 - any API failure means: refuse, and say why
            self._error = f"{type(exc).__name__}: {str(exc)[:200]}"
        self._relisted_at = time.monotonic()

    def _current_index(self) -> ServiceIndex | None:
        if not all(e.is_set() for e in self._synced.values()):
            return None
        with self._lock:
            if self._dirty:
                self._index = ServiceIndex.build(list(self._objects["services"].values()),
                                                 list(self._objects["slices"].values()))
                self._dirty = False
            return self._index

    def decide(self, host: str, port: int) -> Decision:
        regs = self.registrations()
        if host == LOOPBACK:
            return decide(host, port, regs, None)
        for event in self._synced.values():
            event.wait(5)
        decision = decide(host, port, regs, self._current_index(), self._error or "the Service list is not loaded")
        # A Service or endpoint created a moment ago: look again before refusing.
        if not decision.allowed and decision.service is None and time.monotonic() - self._relisted_at > 0.5:
            self._relist()
            decision = decide(host, port, regs, self._current_index(), self._error or "no Service list")
        return decision

    def log(self, entry: dict) -> None:
        line = json.dumps(entry, sort_keys=False) + "\n"
        with self._log_lock, self.log_path.open("a") as out:
            out.write(line)


def _ref(obj: dict) -> str:
    meta = obj.get("metadata", {})
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}"


def _response(status: str, body: str = "") -> bytes:
    data = body.encode()
    return (f"HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n").encode() + data


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError, ssl.SSLError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()


async def _relay(client: tuple, upstream: tuple) -> None:
    """Copy both ways until either side closes, then close both (a TLS
    connection cannot be half-closed)."""
    tasks = [asyncio.ensure_future(_pipe(client[0], upstream[1])),
             asyncio.ensure_future(_pipe(upstream[0], client[1]))]
    _, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    with contextlib.suppress(Exception):
        upstream[1].close()


async def _handle(state: _State, egress: str, reader, writer) -> None:
    """One CONNECT: decide, log the decision, then answer (in that order, so
    the log holds a decision before its requester sees the outcome)."""
    peer = writer.get_extra_info("peername")
    entry = {"time": _now(), "egress": egress, "target": None, "service": None,
             "decision": "refused", "reason": "", "upstream": None,
             "client": f"{peer[0]}:{peer[1]}" if peer else None}

    def refuse(status: str, reason: str) -> None:
        entry["reason"] = entry["reason"] or reason
        state.log(entry)
        writer.write(_response(status, f"devcluster egress proxy: {reason}"))

    try:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        except (asyncio.TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                ConnectionError, ssl.SSLError):
            return  # a probe or a client that went away: nothing was asked for
        request = head.split(b"\r\n", 1)[0].decode("latin-1").split()
        if len(request) != 3 or request[0] != "CONNECT":
            entry["target"] = " ".join(request)[:200]
            refuse("405 Method Not Allowed", "only CONNECT requests are served")
            return
        entry["target"] = request[1]
        try:
            host, port = split_hostport(request[1])
        except EgressError as exc:
            refuse("400 Bad Request", str(exc))
            return
        decision = await asyncio.get_running_loop().run_in_executor(None, state.decide, host, port)
        entry.update(decision=decision.decision, reason=decision.reason, service=decision.service,
                     upstream=decision.upstream)
        if not decision.allowed:
            refuse("403 Forbidden", decision.reason)
            return
        up_host, up_port = split_hostport(decision.upstream)
        try:
            up_reader, up_writer = await asyncio.wait_for(asyncio.open_connection(up_host, up_port), 5)
        except (OSError, asyncio.TimeoutError) as exc:
            entry["error"] = f"the registered local end {decision.upstream} did not answer: {exc}"
            state.log(entry)
            writer.write(_response("502 Bad Gateway", entry["error"]))
            return
        state.log(entry)
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        await _relay((reader, writer), (up_reader, up_writer))
    finally:
        with contextlib.suppress(Exception):
            await writer.drain()
            writer.close()


def serve(args: argparse.Namespace) -> int:
    directory = Path(args.state)
    directory.mkdir(parents=True, exist_ok=True)
    state = _State(directory, args.kubeconfig)
    state.start_watches()
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=args.ca)
    ctx.load_cert_chain(args.cert, args.key)
    ctx.verify_mode = ssl.CERT_REQUIRED  # only holders of a cluster certificate (the API server)

    async def main() -> None:
        servers = []
        for egress, port in (("cluster", args.cluster_port), ("controlplane", args.controlplane_port)):
            servers.append(await asyncio.start_server(
                lambda r, w, e=egress: _handle(state, e, r, w), LOOPBACK, port, ssl=ctx,
                ssl_handshake_timeout=10))
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        print(f"egress proxy: cluster egress on {LOOPBACK}:{args.cluster_port}, controlplane egress on "
              f"{LOOPBACK}:{args.controlplane_port}; decisions in {state.log_path}", flush=True)
        await stop.wait()
        for server in servers:
            server.close()

    asyncio.run(main())
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve", help="run the proxy (devcluster starts it)")
    p.add_argument("--state", required=True, help="the cluster's egress folder")
    p.add_argument("--kubeconfig", required=True)
    p.add_argument("--cluster-port", type=int, required=True)
    p.add_argument("--controlplane-port", type=int, required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    args = parser.parse_args(argv)
    return serve(args)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
