#!/usr/bin/env python3
"""Benchmark (not a test): how long `devcluster up` takes with cached binaries, per profile.

Starts a throwaway cluster several times per profile in its own state folder
and on its own ports, so a running development cluster is left alone, and
prints the seconds until the API server is ready, three kwok nodes report
Ready and every component of the profile runs; then the seconds of a second
`up` on the running cluster (nothing to start), and the memory the components
use. The binaries come from the normal cache and are built first if missing
(that build is not timed).

    .venv/bin/python tools/bench_cluster_up.py [--runs 3] [--profiles default,platform]
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
sys.path.insert(0, str(TOOLS))

import devcluster  # noqa: E402
import toolchain  # noqa: E402

PORTS = {"OPENOVA_ETCD_PORT": "32379", "OPENOVA_ETCD_PEER_PORT": "32380", "OPENOVA_APISERVER_PORT": "36443",
         "OPENOVA_CM_PORT": "40257", "OPENOVA_SCHEDULER_PORT": "40259", "OPENOVA_KWOK_PORT": "40247"}


def _up(cmd, env, profile):
    start = time.monotonic()
    proc = subprocess.run([*cmd, "up", "--profile", profile], env=env, capture_output=True, text=True, check=False)
    return time.monotonic() - start, proc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profiles", default="default,platform",
                        help=f"comma-separated, from {', '.join(devcluster.PROFILES)}")
    args = parser.parse_args()
    profiles = [p for p in args.profiles.split(",") if p]
    unknown = [p for p in profiles if p not in devcluster.PROFILES]
    if unknown:
        parser.error(f"unknown profile(s) {', '.join(unknown)}")
    toolchain.ensure([*toolchain.CLUSTER_BINARIES])
    work = Path(tempfile.mkdtemp(prefix="openova-bench-up-"))
    (work / "bin").symlink_to(toolchain.cache_dir() / "bin")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENOVA_")}
    env.update(OPENOVA_CACHE_DIR=str(work), **PORTS)
    if os.environ.get("OPENOVA_CRD_DIR"):
        env["OPENOVA_CRD_DIR"] = os.environ["OPENOVA_CRD_DIR"]
    cmd = [sys.executable, str(TOOLS / "devcluster.py")]
    summary = []
    try:
        for profile in profiles:
            cold, warm = [], []
            for run in range(1, args.runs + 1):
                elapsed, proc = _up(cmd, env, profile)
                if proc.returncode != 0:
                    print(proc.stdout + proc.stderr, file=sys.stderr)
                    return 1
                memory = next((line for line in proc.stdout.splitlines() if line.startswith("memory")), "")
                again, proc2 = _up(cmd, env, profile)
                if proc2.returncode != 0:
                    print(proc2.stdout + proc2.stderr, file=sys.stderr)
                    return 1
                print(f"{profile} run {run}: ready in {elapsed:.1f}s wall ({proc.stdout.splitlines()[0]}); "
                      f"second `up` on the running cluster {again:.1f}s; {memory}")
                cold.append(elapsed)
                warm.append(again)
                subprocess.run([*cmd, "down"], env=env, capture_output=True, check=True)
            summary.append(f"profile {profile}: `up` to a ready cluster with 3 Ready nodes and all components: "
                           f"median {statistics.median(cold):.1f}s, max {max(cold):.1f}s; `up` again while it "
                           f"runs: median {statistics.median(warm):.1f}s ({len(cold)} runs)")
    finally:
        subprocess.run([*cmd, "down"], env=env, capture_output=True, check=False)
        shutil.rmtree(work, ignore_errors=True)
    print("\n".join(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
