#!/usr/bin/env python3
"""How long the main job (`make demo`, tools/demo.sh) takes with the pinned binaries cached.

Each run starts from a fresh cluster of its own (`--name bench`, purged first, so the
user's `demo` cluster is left alone), runs tools/demo.sh and reads the duration of each
step from its output. Prints one row per run and the median; asserts nothing.

    .venv/bin/python tools/bench_main_job.py --runs 1
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STEP = re.compile(r"^--- step '(\d)/6 ([^']*)' took (\d+)s", re.M)


def one_run(cluster):
    subprocess.run([sys.executable, "tools/devcluster.py", "--name", cluster, "down", "--purge"], cwd=ROOT,
                   capture_output=True, check=False)
    start = time.monotonic()
    proc = subprocess.run(["bash", "tools/demo.sh"], cwd=ROOT, capture_output=True, text=True, check=False,
                          env=dict(os.environ, OPENOVA_DEMO_CLUSTER=cluster))
    total = time.monotonic() - start
    steps = {f"{n} {name.split(' (')[0]}": int(secs) for n, name, secs in STEP.findall(proc.stdout)}
    return proc.returncode, total, steps, proc.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--cluster", default="bench")
    parser.add_argument("--keep", action="store_true", help="leave the last cluster running")
    args = parser.parse_args()
    totals = []
    for i in range(args.runs):
        rc, total, steps, out = one_run(args.cluster)
        totals.append(total)
        print(f"run {i + 1}: exit {rc}, {total:.0f} s in all; " + "; ".join(f"{k}: {v} s" for k, v in steps.items()))
        if rc:
            print(out[-3000:])
    if not args.keep:
        subprocess.run([sys.executable, "tools/devcluster.py", "--name", args.cluster, "down", "--purge"], cwd=ROOT,
                       capture_output=True, check=False)
    print(f"main job, median of {len(totals)}: {statistics.median(totals):.0f} s "
          f"(cached binaries; {os.cpu_count()} cores, shared with whatever else runs)")


if __name__ == "__main__":
    main()
