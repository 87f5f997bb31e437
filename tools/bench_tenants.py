#!/usr/bin/env python
"""Benchmark (not a test): onboard N tenants x 2 namespaces in one batch on the
local cluster, re-run it as a no-op, then apply the same kind of objects
(a) one kubernetes.core.k8s task per object and (b) with one
`kubectl apply --server-side` of a rendered file, and print the ratios.

    .venv/bin/python tools/bench_tenants.py [--tenants 50] [--k8s-tenants 5]

Part (a) is scaled down to --k8s-tenants tenants (it runs one Ansible module
process per object) and extrapolated linearly to --tenants; the output says so.
Every tenant created here is offboarded at the end."""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("OPENOVA_CACHE_DIR") or REPO / ".cache")
sys.path.insert(0, str(REPO))
import tests.conftest  # noqa: E402,F401  (makes ansible_collections.openova.platform importable)

from ansible_collections.openova.platform.plugins.module_utils import facts  # noqa: E402
from ansible_collections.openova.platform.plugins.module_utils.apply import Engine  # noqa: E402
from ansible_collections.openova.platform.plugins.module_utils.client import Client  # noqa: E402
from ansible_collections.openova.platform.plugins.module_utils.tenant import validate as v  # noqa: E402
from ansible_collections.openova.platform.plugins.module_utils.tenant.render import (  # noqa: E402
    render_cluster_roles,
    render_tenant,
)
from ansible_collections.openova.platform.plugins.module_utils.tenant.run import run_tenant  # noqa: E402

PLATFORM_NAMESPACES = (facts.REDPANDA_NAMESPACE, facts.DATA_NAMESPACE, facts.OBSERVABILITY_NAMESPACE,
                       facts.INGRESS_NAMESPACE)


def specs(prefix, count):
    return [{"name": "%s%02d" % (prefix, i), "display_name": "Bench %d" % i,
             "owners": {"admin": ["%s%02d-admins" % (prefix, i)], "developer": ["%s%02d-devs" % (prefix, i)]},
             "namespaces": ["%s%02d-dev" % (prefix, i), "%s%02d-prod" % (prefix, i)],
             "topics": [{"name": "%s%02d.orders" % (prefix, i)}], "postgres": {"enabled": True}}
            for i in range(count)]


def rendered(tenant_specs):
    platform = v.normalize_platform({})
    objects = render_cluster_roles(platform)
    for tenant in v.validate(tenant_specs, platform):
        objects.extend(render_tenant(tenant, platform, {"redpanda": "bench-password", "postgres": "bench-password"}))
    return objects


def batch(kubeconfig, tenant_specs, label):
    client = Client({"kubeconfig": kubeconfig}, pool_size=16)
    start = time.monotonic()
    result = run_tenant({"tenants": tenant_specs, "concurrency": 8}, client=client)
    wall = time.monotonic() - start
    counts = {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}
    for summary in result["tenants"].values():
        counts["created"] += len(summary["created"])
        counts["updated"] += len(summary["updated"])
        counts["unchanged"] += summary["unchanged"]
        counts["failed"] += len(summary["failed"])
    print("%-34s %7.2fs  %6.3fs/tenant  %5d API requests  changed=%s  %s" % (
        label, wall, wall / len(tenant_specs), client.requests, result["changed"], counts))
    if result.get("failed"):
        print("  failures: " + result["msg"][:500])
    return wall


def kubectl_apply(kubeconfig, objects, label):
    kubectl = str(next((CACHE / "bin").glob("kubectl-*/kubectl")))
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump({"apiVersion": "v1", "kind": "List", "items": objects}, handle)
    start = time.monotonic()
    proc = subprocess.run([kubectl, "--kubeconfig", kubeconfig, "apply", "--server-side",
                           "--field-manager", "openova-bench", "-f", handle.name],
                          capture_output=True, text=True, check=False)
    wall = time.monotonic() - start
    os.unlink(handle.name)
    print("%-34s %7.2fs  rc=%d  %d objects" % (label, wall, proc.returncode, len(objects)))
    if proc.returncode:
        print("  " + proc.stderr.strip()[:500])
    return wall


def k8s_per_object(kubeconfig, objects, label):
    workdir = Path(tempfile.mkdtemp(prefix="bench-k8s-"))
    (workdir / "objects.json").write_text(json.dumps(objects))
    (workdir / "play.yml").write_text(
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
        "    - name: One kubernetes.core.k8s task per object\n"
        "      kubernetes.core.k8s:\n"
        "        kubeconfig: \"{{ kubeconfig }}\"\n"
        "        definition: \"{{ item }}\"\n"
        "        apply: true\n"
        "        server_side_apply: {field_manager: openova-bench}\n"
        "      loop: \"{{ lookup('ansible.builtin.file', 'objects.json') | from_json }}\"\n"
        "      loop_control: {label: \"{{ item.kind }} {{ item.metadata.name }}\"}\n")
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.builtin.null", ANSIBLE_NOCOLOR="1")
    start = time.monotonic()
    proc = subprocess.run([str(REPO / ".venv" / "bin" / "ansible-playbook"), "play.yml", "-i", "localhost,",
                           "-c", "local", "-e", "ansible_python_interpreter=%s" % sys.executable,
                           "-e", "kubeconfig=%s" % kubeconfig], cwd=workdir, env=env, capture_output=True, text=True,
                          check=False)
    wall = time.monotonic() - start
    print("%-34s %7.2fs  rc=%d  %d objects (%.3fs/object)" % (label, wall, proc.returncode, len(objects),
                                                            wall / len(objects)))
    if proc.returncode:
        print("  " + (proc.stdout + proc.stderr).strip()[-800:])
    return wall


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenants", type=int, default=50)
    parser.add_argument("--k8s-tenants", type=int, default=5,
                        help="tenants applied one object per kubernetes.core.k8s task (then extrapolated)")
    parser.add_argument("--kubeconfig", default=os.environ.get("KUBECONFIG") or str(
        CACHE / "cluster" / "admin.kubeconfig"))
    args = parser.parse_args()
    run_id = uuid.uuid4().hex[:4]
    ours, kubectl_specs, k8s_specs = (specs("b%s" % run_id, args.tenants), specs("c%s" % run_id, args.tenants),
                                      specs("d%s" % run_id, args.k8s_tenants))
    client = Client({"kubeconfig": args.kubeconfig})
    Engine(client).apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}}
                          for n in PLATFORM_NAMESPACES])
    objects_per_tenant = (len(rendered(ours)) - 3) / len(ours)
    print("load average before: %s; %d tenants x 2 namespaces, %.0f objects per tenant, %d objects in all"
          % (" ".join(open("/proc/loadavg").read().split()[:3]), args.tenants, objects_per_tenant,
             len(rendered(ours))))
    try:
        ours_wall = batch(args.kubeconfig, ours, "openova.platform.tenant (batch)")
        batch(args.kubeconfig, ours, "openova.platform.tenant (no-op)")
        kubectl_wall = kubectl_apply(args.kubeconfig, rendered(kubectl_specs), "kubectl apply --server-side")
        kubectl_apply(args.kubeconfig, rendered(kubectl_specs), "kubectl apply --server-side (no-op)")
        k8s_wall = k8s_per_object(args.kubeconfig, rendered(k8s_specs),
                                  "kubernetes.core.k8s x%d tenants" % args.k8s_tenants)
        k8s_full = k8s_wall * args.tenants / args.k8s_tenants
        print()
        print("kubernetes.core.k8s extrapolated linearly from %d to %d tenants: %.1fs (measured %.1fs)"
              % (args.k8s_tenants, args.tenants, k8s_full, k8s_wall))
        print("ratio ours / kubectl --server-side: %.2fx (target <= 1.5x)" % (ours_wall / kubectl_wall))
        print("speed-up vs one k8s task per object: %.1fx (target >= 20x)" % (k8s_full / ours_wall))
    finally:
        start = time.monotonic()
        names = [t["name"] for t in ours + kubectl_specs + k8s_specs]
        run_tenant({"state": "absent", "tenants": [{"name": n} for n in names], "confirm_delete_pvcs": True},
                   client=Client({"kubeconfig": args.kubeconfig}))
        print("cleanup (offboarding %d tenants): %.1fs" % (len(names), time.monotonic() - start))


if __name__ == "__main__":
    main()
