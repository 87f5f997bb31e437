"""A real OpenTelemetry Collector routes telemetry per tenant.

The collector is built by tools/toolchain.py with the OpenTelemetry Collector Builder, at
v0.139.0 like the image of the opentelemetry-collector chart 0.139.1, with exactly the
components the configuration uses. It runs on 127.0.0.1 with the configuration the
observability role renders (tests/integration/playbooks/otel_collector_config.yml), against
the local API server; only the role's own variables change (endpoints, ports, listen address,
kubeconfig authentication, the routing directory).

The sending pods are real pods, scheduled by the real scheduler onto a kwok node whose pod CIDR
lies in 127.0.0.0/8; kwok gives each pod an address from it, and the test binds its sending
socket to that address, so the collector sees the pod's IP as the connection's peer and
k8sattributes identifies the pod exactly as in a cluster.

What is simulated, and named so in the output:
- the HTTP sink stands in for Loki, Mimir and Tempo: it records each export's path, its
  X-Scope-OrgID and its decoded resource attributes;
- a thread stands in for the kubelet's ConfigMap volume refresh: it copies the routing
  ConfigMap from the API server to the routing file every second (the kubelet does so within its
  sync period);
- the reloader is the role's own sidecar script, run with `sh`, told the collector's pid.
"""

import gzip
import http.client
import http.server
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from ansible_collections.openova.platform.plugins.module_utils.apply import Engine
from ansible_collections.openova.platform.plugins.module_utils.tenant.run import run_tenant
from harness import REPO, run_playbook, task_result

sys.path.insert(0, str(REPO / "tools"))
import toolchain  # noqa: E402

# The routing promise (README, Observability): a tenant is routed within this many seconds of
# onboarding: the kubelet refreshes the mounted ConfigMap within its sync period (60 s by
# default), the reloader checks every 5 s, and the collector rebuilds its pipelines in about 1 s.
PROMISE_S = 90
SIGNALS = (("logs", "loki", logs_service_pb2.ExportLogsServiceRequest, "resource_logs"),
           ("metrics", "mimir", metrics_service_pb2.ExportMetricsServiceRequest, "resource_metrics"),
           ("traces", "tempo", trace_service_pb2.ExportTraceServiceRequest, "resource_spans"))
PLATFORM_NAMESPACES = ("openova-redpanda", "openova-data", "openova-observability", "istio-ingress")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    """Stand-in for Loki, Mimir and Tempo: records every OTLP/HTTP export."""

    def __init__(self):
        self.records = []
        self.lock = threading.Lock()
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                store = self.path.strip("/").split("/")[0]
                for signal, _store, message, field in SIGNALS:
                    if self.path.endswith("/v1/" + signal):
                        request = message.FromString(body)
                        for res in getattr(request, field):
                            attrs = {kv.key: kv.value.string_value for kv in res.resource.attributes}
                            with sink.lock:
                                sink.records.append({"store": store, "signal": signal, "path": self.path,
                                                     "orgs": self.headers.get_all("X-Scope-OrgID") or [],
                                                     "attrs": attrs})
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, store):
        return "http://127.0.0.1:%d/%s%s" % (self.server.server_port, store, "" if store == "tempo" else "/otlp")

    def with_marker(self, marker):
        with self.lock:
            return [r for r in self.records if r["attrs"].get("test.marker") == marker]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class KubeletStandIn(threading.Thread):
    """Stand-in for the kubelet's ConfigMap volume: copies the ConfigMap's keys to files."""

    def __init__(self, engine, namespace, name, directory):
        super().__init__(daemon=True)
        self.engine, self.namespace, self.name, self.directory = engine, namespace, name, Path(directory)
        self.stop = threading.Event()
        self.sync()

    def sync(self):
        cm = self.engine.get("v1", "ConfigMap", self.name, self.namespace) or {}
        for key, value in (cm.get("data") or {}).items():
            path = self.directory / key
            if not path.exists() or path.read_text() != value:
                tmp = path.with_suffix(".tmp")
                tmp.write_text(value)
                tmp.replace(path)

    def run(self):
        while not self.stop.wait(1):
            try:
                self.sync()
            except Exception as exc:  # noqa: BLE001 - keep syncing, as the kubelet does
                print("kubelet stand-in: %s" % exc)


def otlp_body(signal, attrs):
    now = time.time_ns()
    resource = {"attributes": [{"key": k, "value": {"stringValue": v}} for k, v in sorted(attrs.items())]}
    if signal == "logs":
        return {"resourceLogs": [{"resource": resource, "scopeLogs": [{"logRecords": [
            {"timeUnixNano": str(now), "body": {"stringValue": "hello from %s" % attrs["test.marker"]}}]}]}]}
    if signal == "metrics":
        return {"resourceMetrics": [{"resource": resource, "scopeMetrics": [{"metrics": [{
            "name": "it_requests", "sum": {"aggregationTemporality": 2, "isMonotonic": True, "dataPoints": [
                {"asInt": "1", "startTimeUnixNano": str(now - 10**9), "timeUnixNano": str(now)}]}}]}]}]}
    return {"resourceSpans": [{"resource": resource, "scopeSpans": [{"spans": [{
        "traceId": uuid.uuid4().hex, "spanId": uuid.uuid4().hex[:16], "name": "it", "kind": 2,
        "startTimeUnixNano": str(now - 10**6), "endTimeUnixNano": str(now)}]}]}]}


def send(source_ip, port, signal, marker, attrs=None, headers=None):
    """POST OTLP/JSON to the collector from ``source_ip`` (a pod's address)."""
    body = otlp_body(signal, dict({"service.name": "it", "test.marker": marker}, **(attrs or {})))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source_ip, 0))
    try:
        conn.request("POST", "/v1/%s" % signal, json.dumps(body),
                     dict({"Content-Type": "application/json"}, **(headers or {})))
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def wait_for(predicate, timeout, step=0.5, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("timed out after %ss waiting for %s" % (timeout, what))


def node_manifest(name, cidr):
    metadata = {"name": name, "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
                "labels": {"type": "kwok", "kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
                           "kubernetes.io/arch": "amd64", "topology.kubernetes.io/zone": "zone-a"}}
    spec = {"podCIDR": cidr, "podCIDRs": [cidr],
            "taints": [{"key": "openova.io/otel-it", "value": "true", "effect": "NoSchedule"}]}
    size = {"cpu": "16", "memory": "64Gi", "pods": "110"}
    return {"apiVersion": "v1", "kind": "Node", "metadata": metadata, "spec": spec,
            "status": {"allocatable": size, "capacity": size}}


def pod_manifest(namespace, node):
    restricted = {"runAsNonRoot": True, "runAsUser": 10001, "allowPrivilegeEscalation": False,
                  "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]},
                  "seccompProfile": {"type": "RuntimeDefault"}}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "sender", "namespace": namespace},
            "spec": {"nodeSelector": {"kubernetes.io/hostname": node},
                     "tolerations": [{"key": "openova.io/otel-it", "operator": "Exists", "effect": "NoSchedule"}],
                     "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
                     "containers": [{"name": "app", "image": "harbor.openova.io/it/app:1", "securityContext": restricted,
                                     "resources": {"requests": {"cpu": "10m", "memory": "16Mi"},
                                                   "limits": {"cpu": "100m", "memory": "64Mi"}}}]}}


def tenant_spec(name):
    return {"name": name, "owners": {"admin": [name + "-admins"]}, "namespaces": [name + "-app"]}


@pytest.fixture(scope="module")
def collector_binary():
    return toolchain.ensure(["otelcol-openova"])["otelcol-openova"]


def test_real_collector_routes_each_tenant_to_its_own_org(kubeconfig, client, collector_binary):
    engine = Engine(client)
    tag = uuid.uuid4().hex[:6]
    ta, tb, tc = "ota" + tag, "otb" + tag, "otc" + tag
    pns, uns, node = "otp-" + tag, "otu-" + tag, "otel-it-" + tag
    cidr = "127.77.%d.0/24" % (int(tag[:2], 16) % 250 + 1)
    work = Path(tempfile.mkdtemp(prefix="otel-it-"))
    routing_dir = work / "routing"
    routing_dir.mkdir()
    sink = Sink()
    ports = {"otlp_grpc": free_port(), "otlp_http": free_port(), "health": free_port(), "metrics": free_port()}
    platform = {"otel_routing": "%s/otel-routing" % pns}
    procs, standin = [], None
    try:
        engine.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}} for n in PLATFORM_NAMESPACES]
                     + [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": uns}}, node_manifest(node, cidr)])
        # 1. the role renders the configuration and writes the routing ConfigMap (no tenant of this test yet)
        role_vars = {
            "otel_values_path": str(work / "values.json"),
            "observability_namespace": pns,
            "observability_collector_endpoints": {s: sink.url(s) for s in ("loki", "mimir", "tempo")},
            "observability_collector_listen_address": "127.0.0.1",
            "observability_collector_ports": ports,
            "observability_collector_k8s_auth": "kubeConfig",
            "observability_collector_routing_dir": str(routing_dir),
        }
        run_playbook(REPO / "tests" / "integration" / "playbooks" / "otel_collector_config.yml", kubeconfig,
                     extra_vars=role_vars)
        values = json.loads((work / "values.json").read_text())
        (work / "relay.yaml").write_text(json.dumps(values["alternateConfig"], indent=2))
        # 2. two tenants onboarded by the tenant module, which rewrites the routing
        result = run_tenant({"tenants": [tenant_spec(ta), tenant_spec(tb)], "platform": platform}, client=client)
        assert not result.get("failed"), result
        assert result["telemetry_routing"] == "applied"
        # 3. sending pods: two tenants, a platform namespace, an unlabelled namespace
        for ns in (ta + "-app", tb + "-app", pns, uns):
            engine.apply([pod_manifest(ns, node)])
        ips = {}
        for ns in (ta + "-app", tb + "-app", pns, uns):
            pod = wait_for(lambda ns=ns: ((engine.get("v1", "Pod", "sender", ns) or {}).get("status") or {})
                           .get("podIP"), 60, what="pod IP in %s" % ns)
            assert pod.startswith("127.77."), pod
            ips[ns] = pod
        print("pods (kwok node %s, pod CIDR %s): %s" % (node, cidr, ips))
        # 4. the collector, the kubelet stand-in and the role's reloader script
        standin = KubeletStandIn(engine, pns, "otel-routing", routing_dir)
        standin.start()
        log = (work / "collector.log").open("w")
        collector = subprocess.Popen(
            [str(collector_binary), "--config=%s" % (work / "relay.yaml")] + values["command"]["extraArgs"],
            env=dict(os.environ, KUBECONFIG=kubeconfig, K8S_NODE_NAME=node), stdout=log, stderr=subprocess.STDOUT)
        procs.append(collector)
        reloader_spec = values["extraContainers"][0]
        reloader = subprocess.Popen(
            reloader_spec["command"],
            env=dict(os.environ, OTELCOL_PID=str(collector.pid),
                     **{e["name"]: e["value"] for e in reloader_spec["env"]}),
            stdout=(work / "reloader.log").open("w"), stderr=subprocess.STDOUT)
        procs.append(reloader)
        wait_for(lambda: _healthy(ports["health"]), 60, what="the collector's health check")

        def delivered(source, marker, attrs=None, headers=None, timeout=60):
            """Send all three signals until each arrives; return the records."""
            def attempt():
                for signal, _store, _m, _f in SIGNALS:
                    assert send(source, ports["otlp_http"], signal, marker, attrs, headers) == 200
                got = sink.with_marker(marker)
                return got if {r["signal"] for r in got} == {"logs", "metrics", "traces"} else None
            return wait_for(attempt, timeout, step=1, what="telemetry %s" % marker)

        def orgs_of(records):
            return {(r["store"], tuple(r["orgs"])) for r in records}

        # each tenant's data carries its own X-Scope-OrgID, in the right store
        for tenant in (ta, tb):
            got = delivered(ips[tenant + "-app"], "plain-" + tenant)
            assert orgs_of(got) == {("loki", (tenant,)), ("mimir", (tenant,)), ("tempo", (tenant,))}, got
            assert {r["attrs"]["k8s.namespace.name"] for r in got} == {tenant + "-app"}
        got = delivered(ips[pns], "platform")
        assert orgs_of(got) == {("loki", ("platform",)), ("mimir", ("platform",)), ("tempo", ("platform",))}
        # a forged header and forged attributes from tenant B's pod are ignored: B's own org, B's namespace
        got = delivered(ips[tb + "-app"], "forged-" + tag, headers={"X-Scope-OrgID": ta}, attrs={
            "openova.tenant": ta, "openova.platform": "true", "k8s.namespace.name": ta + "-app",
            "k8s.pod.ip": ips[ta + "-app"]})
        assert orgs_of(got) == {("loki", (tb,)), ("mimir", (tb,)), ("tempo", (tb,))}, got
        assert {r["attrs"]["k8s.namespace.name"] for r in got} == {tb + "-app"}
        assert {r["attrs"]["openova.tenant"] for r in got} == {tb}
        # dropped: an unlabelled namespace's pod, and an address that is no pod claiming tenant A's namespace
        stranger = cidr.replace(".0/24", ".250")
        assert stranger not in ips.values()
        forged = {"k8s.namespace.name": ta + "-app", "openova.tenant": ta}
        for source, marker, attrs in ((ips[uns], "unlabelled-" + tag, {}), (stranger, "stranger-" + tag, forged)):
            for signal, _store, _m, _f in SIGNALS:
                assert send(source, ports["otlp_http"], signal, marker, attrs, {"X-Scope-OrgID": ta}) == 200
        fence = delivered(ips[ta + "-app"], "fence-" + tag)  # sent after the dropped ones; all have been processed
        assert fence
        time.sleep(2)
        for marker in ("unlabelled-" + tag, "stranger-" + tag):
            assert sink.with_marker(marker) == [], marker
        # 5. a tenant onboarded now, with the onboarding playbook, is routed within the promise
        started = time.monotonic()
        _rc, out, _stdout = run_playbook(REPO / "playbooks" / "onboard_tenant.yml", kubeconfig, extra_vars={
            "tenant_name": tc, "tenant_owner_groups": tc + "-admins", "tenant_namespaces": tc + "-app",
            "tenant_platform": platform})
        onboarded = time.monotonic()
        assert task_result(out, "Apply the tenants in one batch")["telemetry_routing"] == "applied"
        engine.apply([pod_manifest(tc + "-app", node)])
        ip_c = wait_for(lambda: ((engine.get("v1", "Pod", "sender", tc + "-app") or {}).get("status") or {})
                        .get("podIP"), 60, what="pod IP of the new tenant")
        got = delivered(ip_c, "new-" + tag, timeout=PROMISE_S + 30)
        routed = time.monotonic()
        interval = {e["name"]: e["value"] for e in reloader_spec["env"]}["INTERVAL"]
        print("tenant %s routed %.1f s after onboard_tenant.yml started (%.1f s after it returned); promise %d s "
              "(kubelet stand-in copies the ConfigMap every 1 s, the reloader checks every %s s)"
              % (tc, routed - started, routed - onboarded, PROMISE_S, interval))
        assert orgs_of(got) == {("loki", (tc,)), ("mimir", (tc,)), ("tempo", (tc,))}, got
        assert routed - started < PROMISE_S
        # reloaded in-process: the same collector process, which logged the reload and the drops
        assert collector.poll() is None
        text = (work / "collector.log").read_text()
        assert "Config updated, restart service" in text
        assert '"otelcol.component.id": "debug/dropped"' in text  # the drops were counted, not lost to an error
        assert "sent SIGHUP to %d" % collector.pid in (work / "reloader.log").read_text()
        # the earlier tenants are still routed after the reload
        got = delivered(ips[ta + "-app"], "after-" + tag)
        assert orgs_of(got) == {("loki", (ta,)), ("mimir", (ta,)), ("tempo", (ta,))}
        print("sink (stand-in for Loki, Mimir and Tempo) received %d resource batches" % len(sink.records))
    finally:
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if standin is not None:
            standin.stop.set()
        sink.close()
        run_tenant({"tenants": [{"name": t} for t in (ta, tb, tc)], "platform": platform, "state": "absent"},
                   client=client)
        engine.delete([("v1", "Namespace", "", n) for n in (pns, uns)] + [("v1", "Node", "", node)])
        if os.environ.get("OPENOVA_KEEP_TEST_LOGS") is None:
            for path in sorted(work.rglob("*"), reverse=True):
                path.unlink() if path.is_file() else path.rmdir()
            work.rmdir()


def _healthy(port):
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", "/")
        return conn.getresponse().status == 200
    except OSError:
        return False
