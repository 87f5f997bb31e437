#!/usr/bin/env python
"""Benchmark (not a test): how openova.platform.tenant scales, on the local cluster.

For each size (default 100, 250, 500 and 1,000 tenants x 2 namespaces) it
onboards the tenants in one batch, re-runs the batch as a no-op, and applies
the same objects (rendered for other tenant names) with one
`kubectl apply --server-side` and its no-op re-run. For every run it prints
wall time, time per object and API requests; for the module's runs also the
retries and the peak memory of the process that ran the module code (a fresh
Python process per run, like an Ansible module). Then it offboards both sets
and waits until their namespaces are gone, so that every size starts from the
same cluster. The last lines are a Markdown table and the targets.

    .venv/bin/python tools/bench_scale.py [--sizes 100,250,500,1000] [--concurrency 8] [--fresh-cluster bench]

Needs a running local cluster (`make cluster-up`); the API server runs with the
flags tools/devcluster.py gives it. With --fresh-cluster NAME every size runs on
a new local cluster of that name (stopped, emptied and started again with all
CRDs before the size), so that no size pays for the previous size's objects or
for the namespace controller still deleting them."""

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("OPENOVA_CACHE_DIR") or REPO / ".cache")
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tools"))
import tests.conftest  # noqa: E402,F401  (makes ansible_collections.openova.platform importable)

from bench_tenants import PLATFORM_NAMESPACES, rendered, specs  # noqa: E402

from ansible_collections.openova.platform.plugins.module_utils.apply import Engine  # noqa: E402
from ansible_collections.openova.platform.plugins.module_utils.client import Client  # noqa: E402
from ansible_collections.openova.platform.plugins.module_utils.tenant.run import run_tenant  # noqa: E402

TARGET_NOOP_SECONDS = 10.0
TARGET_FLATNESS = 1.5


def worker(args):
    """One module run in this (fresh) process; prints one JSON line."""
    tenant_specs = specs(args.prefix, args.count)
    client = Client({"kubeconfig": args.kubeconfig}, pool_size=args.concurrency)
    start, cpu = time.monotonic(), time.process_time()
    result = run_tenant({"tenants": tenant_specs, "concurrency": args.concurrency,
                         "server_dry_run": not args.no_server_dry_run}, client=client)
    wall, cpu = time.monotonic() - start, time.process_time() - cpu
    counts = {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}
    for summary in list(result["tenants"].values()) + [result["shared"]]:
        for key in ("created", "updated", "failed"):
            counts[key] += len(summary[key])
        counts["unchanged"] += summary["unchanged"]
    print(json.dumps({"wall": wall, "cpu": cpu, "requests": client.requests, "retries": client.retries,
                      "retry_reasons": client.retry_reasons, "objects": sum(counts.values()), "counts": counts,
                      "changed": result["changed"], "failed": result.get("msg") if result.get("failed") else None,
                      "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}))
    return 0


def module_run(kubeconfig, prefix, count, concurrency, server_dry_run=True):
    # Every run starts with a fresh discovery cache (client.DISCOVERY_TTL, 10 minutes), so
    # its request count is the module's own: an expired cache adds 2 discovery requests to
    # any run, whatever the number of tenants (after a long batch, the no-op would pay them).
    Client({"kubeconfig": kubeconfig}).resource("v1", "Namespace")
    proc = subprocess.run([sys.executable, __file__, "--worker", "--prefix", prefix, "--count", str(count),
                           "--kubeconfig", kubeconfig, "--concurrency", str(concurrency)]
                          + ([] if server_dry_run else ["--no-server-dry-run"]),
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit("module run failed:\n" + proc.stdout[-2000:] + proc.stderr[-4000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def kubectl_run(kubeconfig, objects):
    """kubectl apply --server-side of one rendered file; API requests counted from
    its -v=6 log (one line per request)."""
    kubectl = str(next((CACHE / "bin").glob("kubectl-*/kubectl")))
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump({"apiVersion": "v1", "kind": "List", "items": objects}, handle)
    def children_cpu():
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    start, cpu = time.monotonic(), children_cpu()
    # --validate=false: the API server validates every server-side apply itself, as it
    # does for the module; kubectl's client-side pass would first download the whole
    # OpenAPI document (tens of MB with the CRDs), which the module never does.
    proc = subprocess.run([kubectl, "--kubeconfig", kubeconfig, "apply", "--server-side", "--validate=false",
                           "--field-manager", "openova-bench", "-f", handle.name, "-v=6"],
                          capture_output=True, text=True, check=False)
    wall = time.monotonic() - start
    os.unlink(handle.name)
    requests = len(re.findall(r'round_trippers\.go:\d+\] "Response" verb=', proc.stderr))
    if proc.returncode:
        tail = [line for line in proc.stderr.splitlines() if "round_trippers" not in line][-5:]
        print("  kubectl failed (rc=%d): %s" % (proc.returncode, " | ".join(tail)[:800]))
    return {"wall": wall, "requests": requests, "objects": len(objects), "rc": proc.returncode,
            "cpu": children_cpu() - cpu}


def offboard(kubeconfig, names, engine, wait):
    """Offboard; with ``wait``, until the namespace controller has removed the
    namespaces (slow on a cluster with many CRDs: it visits every namespaced
    kind in every namespace)."""
    start = time.monotonic()
    result = run_tenant({"state": "absent", "tenants": [{"name": n} for n in names], "confirm_delete_pvcs": True},
                        client=Client({"kubeconfig": kubeconfig}))
    if result.get("failed"):
        print("  offboarding failed: " + result["msg"][:500])
    wanted = set("%s-%s" % (n, s) for n in names for s in ("dev", "prod"))
    deadline = time.monotonic() + (3600 if wait else 0)
    while time.monotonic() < deadline:
        left = wanted & set(n["metadata"]["name"] for n in engine.list("v1", "Namespace"))
        if not left:
            break
        time.sleep(5)
    return time.monotonic() - start


def fresh_cluster(name):
    """Stop the named local cluster, drop its data and start it again with every CRD;
    returns its kubeconfig."""
    devcluster = [sys.executable, str(REPO / "tools" / "devcluster.py"), "--name", name]
    subprocess.run(devcluster + ["down"], check=False, stdout=subprocess.DEVNULL)
    started = time.monotonic()
    subprocess.run(devcluster + ["up", "--profile", "default", "--crds", "all"], check=True,
                   stdout=subprocess.DEVNULL)
    env = subprocess.run(devcluster + ["env"], check=True, capture_output=True, text=True).stdout
    kubeconfig = re.search(r"KUBECONFIG=(\S+)", env).group(1)
    print("  new cluster %r in %.0f s (%s)" % (name, time.monotonic() - started, kubeconfig))
    return kubeconfig


def line(label, run):
    extra = ""
    if "peak_rss_mib" in run:
        extra = "  %3d retries  peak %4.0f MiB  %s" % (run["retries"], run["peak_rss_mib"], run["counts"])
    print("  %-34s %8.2f s  %6.2f ms/object  %6d requests  %6.1f s CPU%s" % (
        label, run["wall"], 1000.0 * run["wall"] / max(run["objects"], 1), run["requests"], run["cpu"], extra))
    if run.get("failed"):
        print("    failures: " + run["failed"][:500])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,250,500,1000")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--kubeconfig", default=os.environ.get("KUBECONFIG") or str(
        CACHE / "cluster" / "admin.kubeconfig"))
    parser.add_argument("--no-kubectl", action="store_true", help="measure the module only")
    parser.add_argument("--no-kubectl-noop", action="store_true",
                        help="skip kubectl's no-op re-run (it takes about as long as its first apply)")
    parser.add_argument("--keep", action="store_true", help="leave the tenants in place (no offboarding)")
    parser.add_argument("--no-server-dry-run", action="store_true",
                        help="onboard with server_dry_run=false (the dry run costs one more request per object "
                             "that goes into an existing namespace)")
    parser.add_argument("--wait-cleanup", action="store_true",
                        help="after each size, wait until the offboarded namespaces are gone")
    parser.add_argument("--fresh-cluster", metavar="NAME",
                        help="run every size on a new local cluster of this name (devcluster.py --name NAME); "
                             "it is left running afterwards")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--prefix", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    sizes = [int(s) for s in args.sizes.split(",")]
    sys.stdout.reconfigure(line_buffering=True)
    print("concurrency %d; %s" % (args.concurrency, "a new cluster %r for every size" % args.fresh_cluster
                                  if args.fresh_cluster else "one cluster for all sizes"))
    rows = []
    engine = None
    for size in sizes:
        if args.fresh_cluster or engine is None:
            if args.fresh_cluster:
                args.kubeconfig = fresh_cluster(args.fresh_cluster)
            engine = Engine(Client({"kubeconfig": args.kubeconfig}))
            engine.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}}
                          for n in PLATFORM_NAMESPACES])
        print("load average before: %s" % " ".join(open("/proc/loadavg").read().split()[:3]))
        run_id = uuid.uuid4().hex[:4]
        ours, theirs = "b%s" % run_id, "k%s" % run_id
        print("%d tenants x 2 namespaces:" % size)
        try:
            dry = not args.no_server_dry_run
            batch = module_run(args.kubeconfig, ours, size, args.concurrency, dry)
            line("openova.platform.tenant (batch%s)" % ("" if dry else ", no dry run"), batch)
            noop = module_run(args.kubeconfig, ours, size, args.concurrency, dry)
            line("openova.platform.tenant (no-op)", noop)
            row = {"size": size, "batch": batch, "noop": noop}
            if not args.no_kubectl:
                objects = rendered(specs(theirs, size))
                row["kubectl"] = kubectl_run(args.kubeconfig, objects)
                line("kubectl apply --server-side", row["kubectl"])
                if not args.no_kubectl_noop:
                    row["kubectl_noop"] = kubectl_run(args.kubeconfig, objects)
                    line("kubectl apply --server-side (no-op)", row["kubectl_noop"])
            rows.append(row)
        finally:
            if not (args.keep or args.fresh_cluster):  # a fresh cluster is emptied anyway
                names = [t["name"] for t in specs(ours, size)] + [t["name"] for t in specs(theirs, size)]
                took = offboard(args.kubeconfig, names, engine, args.wait_cleanup)
                print("  cleanup (offboarding%s): %.0f s" % (
                    ", namespaces gone" if args.wait_cleanup else "; namespaces are deleted in the background", took))
    report(rows)
    return 0


def report(rows):
    print()
    print("| tenants | objects | module batch | per object | requests | no-op re-run | no-op requests | peak memory "
          "| kubectl --server-side | kubectl no-op | module / kubectl |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        b, n, k, kn = row["batch"], row["noop"], row.get("kubectl"), row.get("kubectl_noop")
        print("| %s | %s | %.1f s | %.2f ms | %s | %.2f s | %d | %.0f MiB | %s | %s | %s |" % (
            "{:,}".format(row["size"]), "{:,}".format(b["objects"]), b["wall"], 1000.0 * b["wall"] / b["objects"],
            "{:,}".format(b["requests"]), n["wall"], n["requests"], max(b["peak_rss_mib"], n["peak_rss_mib"]),
            "%.1f s (%s requests)" % (k["wall"], "{:,}".format(k["requests"])) if k else "-",
            "%.1f s" % kn["wall"] if kn else "-", "%.2fx" % (b["wall"] / k["wall"]) if k else "-"))
    if not rows:
        return
    per_object = [r["batch"]["wall"] / r["batch"]["objects"] for r in rows]
    flat = max(per_object) / min(per_object)
    largest = rows[-1]
    print()
    print("targets:")
    if all("kubectl" in r for r in rows):
        worst = max(r["batch"]["wall"] / r["kubectl"]["wall"] for r in rows)
        print("  batch at or under kubectl's time at every size: %s (worst ratio %.2fx)"
              % ("met" if worst <= 1.0 else "MISSED", worst))
    print("  time per object flat within %.1fx from %d to %d tenants: %s (%.2fx)" % (
        TARGET_FLATNESS, rows[0]["size"], largest["size"], "met" if flat <= TARGET_FLATNESS else "MISSED", flat))
    print("  no-op re-run of %d tenants under %.0f s: %s (%.2f s)" % (
        largest["size"], TARGET_NOOP_SECONDS, "met" if largest["noop"]["wall"] < TARGET_NOOP_SECONDS else "MISSED",
        largest["noop"]["wall"]))
    counts = sorted(set(r["noop"]["requests"] for r in rows))
    print("  no-op request count independent of the number of tenants: %s (%s)" % (
        "met" if len(counts) == 1 else "MISSED", ", ".join(str(c) for c in counts)))


if __name__ == "__main__":
    sys.exit(main())
