#!/usr/bin/env python3
"""Benchmark the offline workload check (not a test):

    .venv/bin/python tools/bench_workload_check.py [--count 1000] [--keep DIR]

Writes COUNT manifests (cycling through the guard-rail fixture corpus, renamed so each is
unique; Deployments with their PDBs) into one directory, then times one
run_workload_check() over it: reading, parsing, defaulting and judging. Target: < 5 s."""

import argparse
import copy
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "kyverno"))
sys.path.insert(0, str(REPO / "tests"))

import collection  # noqa: E402

collection.install()

import corpus  # noqa: E402
from ansible_collections.openova.platform.plugins.module_utils.guardrails.run import run_workload_check  # noqa: E402


def write_manifests(directory, count):
    """COUNT pod objects (plus the PDBs that travel with them), one file per object."""
    sets = list(corpus.fixtures().values())
    for i in range(count):
        docs = copy.deepcopy(sets[i % len(sets)])
        for doc in docs:
            doc["metadata"]["name"] = "%s-%d" % (doc["metadata"]["name"], i)
        (directory / ("m%05d.yaml" % i)).write_text(yaml.safe_dump_all(docs, sort_keys=False))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--keep", help="write the manifests here instead of a temporary directory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(args.keep or tmp)
        directory.mkdir(parents=True, exist_ok=True)
        write_manifests(directory, args.count)
        start = time.perf_counter()
        result = run_workload_check({"src": [str(directory)], "tenant": corpus.TENANT, "report_only": True})
        elapsed = time.perf_counter() - start
    s = result["summary"]
    print("workload_check: %d manifests, %d pod objects, %d findings (%d failed), %d skipped in %.2f s (%s)" % (
        args.count, s["objects"], len(result["findings"]), s["findings_failed"], s["skipped"], elapsed,
        "under" if elapsed < 5 else "OVER"), "the 5 s target")
    return 0 if elapsed < 5 else 1


if __name__ == "__main__":
    sys.exit(main())
