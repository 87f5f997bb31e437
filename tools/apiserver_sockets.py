#!/usr/bin/env python3
"""Records every remote address of the local kube-apiserver's sockets.

An independent check of the loopback-only guarantee, which does not trust the
egress proxy's own log: every ``--interval`` seconds (default 1) it lists the socket
inodes of the API server process (``/proc/<pid>/fd``) and looks them up in
``/proc/<pid>/net/{tcp,tcp6,udp,udp6}``. Connections the API server accepted
(its own port) are kept by remote address, outgoing ones by remote address and
port. A connection opened and closed between two samples is not seen: the
proxy's log covers those; this sampler shows that no socket of the process
pointed elsewhere while the cluster ran. The API server's pid is read from
devcluster's pid file at every sample, so a restart is followed.

    apiserver_sockets.py run --pidfile FILE --out FILE [--interval 1.0]
"""

from __future__ import annotations

import argparse
import datetime
import ipaddress
import json
import os
import signal
import socket
import struct
import sys
import time
from pathlib import Path

TCP_STATES = {"01": "ESTABLISHED", "02": "SYN_SENT", "03": "SYN_RECV", "04": "FIN_WAIT1", "05": "FIN_WAIT2",
              "06": "TIME_WAIT", "07": "CLOSE", "08": "CLOSE_WAIT", "09": "LAST_ACK", "0A": "LISTEN",
              "0B": "CLOSING"}


# --------------------------------------------------------------------------- pure parsing

def decode_address(text: str) -> tuple[str, int]:
    """``0100007F:1F90`` or the 32-hex-digit IPv6 form of /proc/net/* (each
    32-bit word in host byte order) as (address, port)."""
    addr_hex, port_hex = text.split(":")
    raw = bytes.fromhex(addr_hex)
    words = b"".join(struct.pack("=I", struct.unpack(">I", raw[i:i + 4])[0]) for i in range(0, len(raw), 4))
    family = socket.AF_INET if len(raw) == 4 else socket.AF_INET6
    return socket.inet_ntop(family, words), int(port_hex, 16)


def parse_proc_net(text: str, proto: str, only: set[int] | None = None) -> dict[int, dict]:
    """inode -> socket, from the text of one /proc/net table (only the
    inodes in ``only``, if given: the table lists every socket of the network
    namespace, and decoding them all costs more than the sampling)."""
    out = {}
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10 or (only is not None and int(fields[9]) not in only):
            continue
        local, remote = decode_address(fields[1]), decode_address(fields[2])
        out[int(fields[9])] = {"proto": proto, "local": local, "remote": remote,
                               "state": TCP_STATES.get(fields[3], fields[3]) if proto.startswith("tcp") else ""}
    return out


def is_loopback(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def remotes(sockets: list[dict], listening_ports: set[int]) -> list[dict]:
    """The remote ends worth recording: not listening or unconnected sockets;
    accepted connections keyed by remote address only (their ports are ephemeral)."""
    out = []
    for sock in sockets:
        address, port = sock["remote"]
        if port == 0 or ipaddress.ip_address(address).is_unspecified or sock["state"] == "LISTEN":
            continue
        inbound = sock["proto"].startswith("tcp") and sock["local"][1] in listening_ports
        out.append({"proto": sock["proto"].rstrip("6"), "address": address,
                    "port": None if inbound else port, "direction": "in" if inbound else "out",
                    "loopback": is_loopback(address)})
    return out


def merge(seen: dict, found: list[dict], now: str) -> bool:
    """Fold one sample into ``seen`` (key -> record); True if something new appeared."""
    new = False
    for item in found:
        key = f"{item['proto']} {item['direction']} {item['address']}" + (
            f":{item['port']}" if item["port"] is not None else "")
        record = seen.get(key)
        if record is None:
            seen[key] = dict(item, first_seen=now, last_seen=now, samples=1)
            new = True
        else:
            record["last_seen"] = now
            record["samples"] += 1
    return new


# --------------------------------------------------------------------------- process side

def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def read_pid(pidfile: Path) -> int | None:
    """The API server's pid, if the pid file names a live process running the recorded binary."""
    try:
        lines = pidfile.read_text().splitlines()
        pid, binary = int(lines[0]), lines[1].strip()
        exe = os.readlink(f"/proc/{pid}/exe")
    except (OSError, ValueError, IndexError):
        return None
    return pid if exe.removesuffix(" (deleted)") == binary else None


def sample(pid: int) -> tuple[list[dict], set[int]]:
    inodes = set()
    for fd in os.scandir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(fd.path)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    table = {}
    for proto in ("tcp", "tcp6", "udp", "udp6"):
        try:
            table.update(parse_proc_net(Path(f"/proc/{pid}/net/{proto}").read_text(), proto, inodes))
        except OSError:
            continue
    mine = [table[i] for i in inodes if i in table]
    listening = {s["local"][1] for s in mine if s["state"] == "LISTEN"}
    return mine, listening


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        state = json.loads(out.read_text())
    except (OSError, ValueError):
        state = {"started": _now(), "samples": 0, "pids": [], "remotes": {}}
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    last_write = 0.0
    while not stop:
        pid = read_pid(Path(args.pidfile))
        changed = False
        if pid is not None:
            try:
                mine, listening = sample(pid)
            except OSError:  # the process ended between the pid check and the scan
                mine, listening = [], set()
            now = _now()
            changed = merge(state["remotes"], remotes(mine, listening), now)
            state["samples"] += 1
            state["last_sample"] = now
            if pid not in state["pids"]:
                state["pids"].append(pid)
                changed = True
        if changed or time.monotonic() - last_write > 2:
            tmp = out.with_suffix(".tmp")
            tmp.write_text(json.dumps(state, indent=1) + "\n")
            tmp.replace(out)
            last_write = time.monotonic()
        time.sleep(args.interval)
    return 0


def read(path: Path) -> dict:
    """What the sampler has recorded (as written to its output file)."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {"samples": 0, "pids": [], "remotes": {}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="sample until stopped (devcluster starts it)")
    p.add_argument("--pidfile", required=True, help="devcluster's pid file of kube-apiserver")
    p.add_argument("--out", required=True)
    p.add_argument("--interval", type=float, default=float(os.environ.get("OPENOVA_SOCKET_SAMPLE_INTERVAL", "1.0")),
                   help="seconds between samples (OPENOVA_SOCKET_SAMPLE_INTERVAL)")
    args = parser.parse_args(argv)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
