"""Who may reach whom, on which port: the rendered tenant and platform NetworkPolicies
judged by an independent engine, cyclonus (github.com/mattfenwick/cyclonus, built by
tools/toolchain.py), without a cluster.

The model is the platform's namespaces with one pod per service (the labels and ports
of the upstream charts), the API server as a host-network address, and two tenants:
``acme`` (acme-dev, acme-prod) and ``globex``. cyclonus computes, for every port, every pair of pods: ingress, egress and
combined verdicts. This script prints the combined matrix of the sources that matter
(the tenants' pods and the ingress gateway) against every destination port.

    .venv/bin/python tools/reachability.py            # print the matrix
    .venv/bin/python tools/reachability.py --raw      # also cyclonus' own tables

Simulated: nothing runs; the pods are a model, and cyclonus evaluates the policies as
the NetworkPolicy API defines them (a CNI that enforces them, Cilium here, must agree).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "tools"))

import collection  # noqa: E402

collection.install()

import toolchain  # noqa: E402
from ansible_collections.openova.platform.plugins.module_utils.tenant import validate as tenant_validate  # noqa: E402
from ansible_collections.openova.platform.plugins.module_utils.tenant.render.network import (  # noqa: E402
    render_network_policies,
)

API_SERVER = ("default", "kube-apiserver")
API_SERVER_IP = "192.168.0.10"  # host network: no namespace selector matches it

# namespace -> (labels beyond kubernetes.io/metadata.name, {pod: (labels, [(port, protocol)])}). The pod
# labels and ports are those the upstream charts give (`helm template` of ../shared/charts with the roles'
# release names; CloudNativePG and Redpanda pods as their operators label them), written here rather than
# read from facts.py, so that the model is an independent statement of what runs;
# tests/unit/tools/test_reachability.py checks facts.py against it.
PLATFORM = "openova.io/platform"
MODEL = {
    "kube-system": ({}, {
        "coredns": ({"k8s-app": "kube-dns"}, [(53, "UDP"), (53, "TCP"), (9153, "TCP")]),
    }),
    "default": ({}, {
        "kube-apiserver": ({"component": "kube-apiserver"}, [(6443, "TCP")]),
    }),
    "istio-system": ({PLATFORM: "true"}, {
        "istiod": ({"app": "istiod", "istio": "pilot"}, [(15010, "TCP"), (15012, "TCP"), (15014, "TCP"),
                                                          (15017, "TCP")]),
    }),
    "istio-ingress": ({PLATFORM: "true", "istio-injection": "enabled"}, {
        "gateway": ({"istio": "ingressgateway", "app": "istio-ingressgateway"},
                    [(8080, "TCP"), (8443, "TCP"), (15021, "TCP")]),
    }),
    "kyverno": ({PLATFORM: "true"}, {
        "kyverno": ({"app.kubernetes.io/component": "admission-controller"}, [(9443, "TCP")]),
    }),
    "openova-observability": ({PLATFORM: "true"}, {
        "otel-collector": ({"app.kubernetes.io/name": "opentelemetry-collector", "app.kubernetes.io/instance": "otel",
                            "component": "agent-collector"}, [(4317, "TCP"), (4318, "TCP"), (8888, "TCP")]),
        "loki-gateway": ({"app.kubernetes.io/name": "loki", "app.kubernetes.io/component": "gateway"},
                         [(8080, "TCP")]),
        "loki-read": ({"app.kubernetes.io/name": "loki", "app.kubernetes.io/component": "read"}, [(3100, "TCP")]),
        "mimir": ({"app.kubernetes.io/name": "mimir", "app.kubernetes.io/component": "query-frontend"},
                  [(8080, "TCP")]),
        "tempo": ({"app.kubernetes.io/name": "tempo", "app.kubernetes.io/component": "distributor"},
                  [(3200, "TCP"), (4317, "TCP"), (4318, "TCP")]),
        "grafana": ({"app": "grafana"}, [(3000, "TCP")]),
    }),
    "openova-data": ({PLATFORM: "true"}, {
        "postgres": ({"cnpg.io/cluster": "platform-pg", "cnpg.io/instanceRole": "primary"},
                     [(5432, "TCP"), (8000, "TCP"), (9187, "TCP")]),
        "valkey": ({"app.kubernetes.io/name": "valkey", "app.kubernetes.io/instance": "valkey"},
                   [(6379, "TCP"), (9121, "TCP")]),
    }),
    "openova-redpanda": ({PLATFORM: "true"}, {
        "redpanda": ({"app.kubernetes.io/name": "redpanda", "app.kubernetes.io/instance": "redpanda"},
                     [(9093, "TCP"), (9644, "TCP"), (8081, "TCP"), (8082, "TCP"), (33145, "TCP")]),
    }),
    "openova-llm-gateway": ({PLATFORM: "true"}, {
        "litellm": ({"app.kubernetes.io/name": "litellm", "app.kubernetes.io/instance": "litellm"}, [(4000, "TCP")]),
        "litellm-postgresql": ({"app.kubernetes.io/name": "postgresql", "app.kubernetes.io/instance": "litellm",
                                "app.kubernetes.io/component": "primary"}, [(5432, "TCP")]),
    }),
    "harbor": ({PLATFORM: "true"}, {
        "harbor": ({"app": "harbor", "component": "nginx"}, [(8080, "TCP")]),
    }),
    "acme-dev": ({"openova.io/tenant": "acme"}, {"web": ({"app": "web"}, [(8080, "TCP")])}),
    "acme-prod": ({"openova.io/tenant": "acme"}, {"api": ({"app": "api"}, [(8080, "TCP")])}),
    "globex": ({"openova.io/tenant": "globex"}, {"shop": ({"app": "shop"}, [(8080, "TCP")])}),
}
TENANTS = [
    {"name": "acme", "owners": {"admin": ["acme-admins"]}, "namespaces": ["acme-dev", "acme-prod"]},
    {"name": "globex", "owners": {"admin": ["globex-admins"]}, "namespaces": ["globex"]},
]
# The rows the matrix shows: the tenants' pods and the ingress gateway.
SOURCES = ["acme-dev/web", "acme-prod/api", "globex/shop", "istio-ingress/gateway"]


def tenant_policies():
    platform = tenant_validate.normalize_platform({})
    tenants = tenant_validate.validate(TENANTS, platform)
    return [p for t in tenants for p in render_network_policies(t, platform)]


def platform_policies():
    """The platform's own NetworkPolicies, from the platform configuration: the Python renderer
    (plugins/module_utils/platform) where it exists, else the platform_config role's variables."""
    try:
        from ansible_collections.openova.platform.plugins.module_utils.platform import config as pconfig
        from ansible_collections.openova.platform.plugins.module_utils.platform import render as prender
    except ImportError:
        sys.path.insert(0, str(REPO / "tests" / "unit"))
        from roles.rendering import render  # the role's Jinja variables, as a play templates them
        return [p for p in render("platform_config", "{{ _platform_config_objects }}")
                if p["kind"] == "NetworkPolicy"]
    return prender.render_network_policies(pconfig.normalize({"phase": "configure"}))


def model():
    """cyclonus' probe model: namespaces, pods (one container per port) and the ports to probe."""
    namespaces, pods, ports = {}, [], set()
    ip = 10
    for ns, (labels, members) in sorted(MODEL.items()):
        namespaces[ns] = dict(labels, **{"kubernetes.io/metadata.name": ns})
        for name, (pod_labels, pod_ports) in sorted(members.items()):
            ip += 1
            address = API_SERVER_IP if (ns, name) == API_SERVER else "10.244.0.%d" % ip
            containers = [{"Name": "c-%d-%s" % (port, proto.lower()), "Port": port, "Protocol": proto,
                           "PortName": "p-%d-%s" % (port, proto.lower())} for port, proto in pod_ports]
            pods.append({"Namespace": ns, "Name": name, "Labels": dict(pod_labels), "IP": address,
                         "Containers": containers})
            ports.update(pod_ports)
    probes = [{"Port": port, "Protocol": proto} for port, proto in sorted(ports, key=lambda p: (p[0], p[1]))]
    return {"Resources": {"Namespaces": namespaces, "Pods": pods}, "Probes": probes}


TABLE_ROW = re.compile(r"^\|\s*(\S*)\s*\|(.*)\|\s*$")


def _parse_table(text):
    """cyclonus' tablewriter table -> {(from, to): cell}."""
    rows = [TABLE_ROW.match(line) for line in text.splitlines()]
    rows = [(m.group(1), [c.strip() for c in m.group(2).split("|")]) for m in rows if m]
    header = [c.lower() for c in rows[0][1]]  # tablewriter upper-cases headers; pod names are lower-case
    out = {}
    for source, cells in rows[1:]:
        for dest, cell in zip(header, cells):
            out[(source, dest)] = cell
    return out


def run_cyclonus(policies, probe_model, binary=None):
    """(verdicts, raw output): verdicts maps (source pod, destination pod, port, protocol) to
    'allowed' or 'denied' for every destination pod that serves that port."""
    binary = binary or str(toolchain.build(toolchain.BINARIES["cyclonus"]))
    with tempfile.TemporaryDirectory(prefix="openova-reachability-") as tmp:
        policy_dir = Path(tmp) / "policies"
        policy_dir.mkdir()
        (policy_dir / "policies.json").write_text(json.dumps(
            {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicyList", "items": policies}))
        model_path = Path(tmp) / "model.json"
        model_path.write_text(json.dumps(probe_model))
        proc = subprocess.run([binary, "analyze", "--mode", "probe", "--policy-path", str(policy_dir),
                               "--probe-path", str(model_path)], capture_output=True, text=True, timeout=300,
                              check=False)
    if proc.returncode != 0:
        raise RuntimeError("cyclonus failed (%d): %s" % (proc.returncode, (proc.stderr or proc.stdout)[-2000:]))
    combined = proc.stdout.split("Combined:\n")[1:]
    probes = probe_model["Probes"]
    if len(combined) < len(probes):
        raise RuntimeError("cyclonus printed %d tables for %d probes" % (len(combined), len(probes)))
    serves = {}
    for pod in probe_model["Resources"]["Pods"]:
        for c in pod["Containers"]:
            serves.setdefault((c["Port"], c["Protocol"]), set()).add("%s/%s" % (pod["Namespace"], pod["Name"]))
    verdicts = {}
    for probe, text in zip(probes, combined):
        key = (probe["Port"], probe["Protocol"])
        for (source, dest), cell in _parse_table(text.split("\n\n\n")[0]).items():
            if dest not in serves.get(key, ()):
                continue  # cyclonus marks it N: the pod has no such port
            if cell not in (".", "X"):
                raise RuntimeError("unexpected cyclonus verdict %r for %s -> %s %s" % (cell, source, dest, key))
            verdicts[(source, dest, key[0], key[1])] = "allowed" if cell == "." else "denied"
    return verdicts, proc.stdout


def matrix(verdicts, sources=SOURCES):
    """The combined verdicts of ``sources`` as text: one row per destination port, one column per source."""
    columns = sorted({(d, port, proto) for (s, d, port, proto) in verdicts if s in sources})
    width = max(len("%s:%d/%s" % c) for c in columns)
    lines = ["%-*s  %s" % (width, "destination \\ source", "  ".join("%-15s" % s.split("/")[1] + "" for s in sources)),
             "%-*s  %s" % (width, "", "  ".join("%-15s" % s.split("/")[0] for s in sources))]
    for dest, port, proto in columns:
        cells = []
        for source in sources:
            if source == dest:
                cells.append("%-15s" % "(self)")
            else:
                cells.append("%-15s" % verdicts.get((source, dest, port, proto), "?"))
        lines.append("%-*s  %s" % (width, "%s:%d/%s" % (dest, port, proto), "  ".join(cells)))
    return "\n".join(lines)


def compute(binary=None):
    policies = tenant_policies() + platform_policies()
    return run_cyclonus(policies, model(), binary=binary)


def main(argv):
    verdicts, raw = compute()
    if "--raw" in argv:
        print(raw)
    print("Reachability (cyclonus v%s, simulated: no pod runs; combined ingress and egress verdicts)"
          % toolchain.CYCLONUS_VERSION.lstrip("v"))
    print(matrix(verdicts))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
