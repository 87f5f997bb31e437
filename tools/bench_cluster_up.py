#!/usr/bin/env python3
"""Benchmark (not a test): how long `devcluster up` takes with cached binaries.

Starts a throwaway cluster several times in its own state folder and on its
own ports, so a running development cluster is left alone, and prints the
seconds until the API server is ready and three kwok nodes report Ready, and
the memory the components use. The binaries come from the normal cache and
are built first if missing (that build is not timed).

    .venv/bin/python tools/bench_cluster_up.py [--runs 3]
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

import toolchain  # noqa: E402

PORTS = {"OPENOVA_ETCD_PORT": "32379", "OPENOVA_ETCD_PEER_PORT": "32380", "OPENOVA_APISERVER_PORT": "36443",
         "OPENOVA_CM_PORT": "40257", "OPENOVA_SCHEDULER_PORT": "40259", "OPENOVA_KWOK_PORT": "40247"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    toolchain.ensure(toolchain.CLUSTER_BINARIES)
    work = Path(tempfile.mkdtemp(prefix="openova-bench-up-"))
    (work / "bin").symlink_to(toolchain.cache_dir() / "bin")
    env = dict(os.environ, OPENOVA_CACHE_DIR=str(work), **PORTS)
    cmd = [sys.executable, str(TOOLS / "devcluster.py")]
    times = []
    try:
        for run in range(1, args.runs + 1):
            start = time.monotonic()
            proc = subprocess.run([*cmd, "up"], env=env, capture_output=True, text=True, check=False)
            elapsed = time.monotonic() - start
            if proc.returncode != 0:
                print(proc.stdout + proc.stderr, file=sys.stderr)
                return 1
            memory = next((line for line in proc.stdout.splitlines() if line.startswith("memory")), "")
            print(f"run {run}: ready in {elapsed:.1f}s wall ({proc.stdout.splitlines()[0]}); {memory}")
            times.append(elapsed)
            subprocess.run([*cmd, "down"], env=env, capture_output=True, check=True)
    finally:
        subprocess.run([*cmd, "down"], env=env, capture_output=True, check=False)
        shutil.rmtree(work, ignore_errors=True)
    print(f"cached `up` to a ready cluster with 3 Ready nodes: median {statistics.median(times):.1f}s, "
          f"max {max(times):.1f}s over {len(times)} runs (target: under 20s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
