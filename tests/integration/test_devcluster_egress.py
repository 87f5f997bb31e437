"""The local API server connects to nothing beyond 127.0.0.1, by design.

Runs on the default cluster (profile default: webhook admission on), against
the real kube-apiserver and its egress proxy. The API server is made to call a
webhook Service nobody registered, a webhook at an external URL, an aggregated
API and the service proxy subresource: the proxy refuses each, and the socket
sampler shows the API server had no socket to anything but loopback. Then a
local HTTPS webhook server and a plain HTTP stand-in, registered with the
proxy, are reached through it, for real.
"""

import datetime
import http.server
import ipaddress
import json
import socket
import ssl
import sys
import threading
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.openova.platform.plugins.module_utils.errors import OpenovaError
from harness import REPO

sys.path.insert(0, str(REPO / "tools"))

import devcluster  # noqa: E402

DENIAL = "denied by the local test webhook, reached through the egress proxy"


@pytest.fixture(scope="module")
def cluster(kubeconfig):
    found = next((c for c in devcluster.list_clusters() if str(c.kubeconfig) == str(Path(kubeconfig))), None)
    if found is None:
        pytest.fail(f"{kubeconfig} is not a devcluster cluster: the egress test reads its proxy log",
                    pytrace=False)
    if not found.profile.webhook_admission:
        pytest.fail(f"cluster {found.name!r} runs profile {found.profile.name}, without webhook admission",
                    pytrace=False)
    return found


def _pod(namespace, name, labels, port):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace, "labels": labels},
            "spec": {"containers": [{"name": "c", "image": "registry.invalid/stand-in:1",
                                     "ports": [{"containerPort": port}]}]}}


def _service(namespace, name, port, target, selector=None):
    spec = {"ports": [{"name": "main", "port": port, "targetPort": target}]}
    if selector:
        spec["selector"] = selector
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": namespace}, "spec": spec}


def _webhook_config(name, namespace, client_config, ca_bundle=None):
    if ca_bundle:
        client_config = dict(client_config, caBundle=ca_bundle)
    return {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
            "metadata": {"name": name},
            "webhooks": [{"name": f"{name}.test.openova.io", "clientConfig": client_config,
                          "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"],
                                     "resources": ["configmaps"]}],
                          "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}},
                          "failurePolicy": "Fail", "sideEffects": "None", "timeoutSeconds": 5,
                          "admissionReviewVersions": ["v1"]}]}


def _rejection(client, namespace, timeout=30):
    """Create ConfigMaps until the API server applies the webhook; its error message."""
    deadline = time.monotonic() + timeout
    i = 0
    while time.monotonic() < deadline:
        i += 1
        body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"probe-{i}"}, "data": {"k": "v"}}
        try:
            client.request("POST", f"/api/v1/namespaces/{namespace}/configmaps", body)
        except OpenovaError as exc:
            return str(exc)
        time.sleep(0.5)
    raise AssertionError("the webhook was never called")


def _wait_for(predicate, what, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def _decisions(cluster, since, **match):
    return [d for d in devcluster.egress_decisions(cluster=cluster, since=since)
            if all(d.get(k) == v for k, v in match.items())]


def _ready_pod(engine, namespace, name):
    return engine.wait("v1", "Pod", name, namespace, timeout=60, description="Ready",
                       predicate=lambda p: p.get("status", {}).get("podIP") and any(
                           c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions", [])))


def _endpoints(client, namespace, service):
    def ready():
        try:
            eps = client.request("GET", f"/api/v1/namespaces/{namespace}/endpoints/{service}")
        except OpenovaError:
            return None
        return any(s.get("addresses") for s in eps.get("subsets") or [])
    _wait_for(ready, f"endpoints of {service}")


def test_unregistered_webhook_service_is_refused_by_the_proxy(cluster, client, engine, namespace):
    since = devcluster.now()
    engine.apply([_service(namespace, "unregistered-webhook", 443, 8443)])
    svc = engine.get("v1", "Service", "unregistered-webhook", namespace)
    name = f"{namespace}-refused-service"
    engine.apply([_webhook_config(name, namespace, {"service": {
        "namespace": namespace, "name": "unregistered-webhook", "path": "/validate", "port": 443}})])
    try:
        message = _rejection(client, namespace)
    finally:
        engine.delete([("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", "", name)])
    assert "failed calling webhook" in message and "403" in message
    refused = _decisions(cluster, since, decision="refused", egress="cluster",
                         service=f"{namespace}/unregistered-webhook:443")
    # Without --enable-aggregator-routing the API server asks for ClusterIP:service port.
    assert refused and refused[0]["target"] == f"{svc['spec']['clusterIP']}:443"
    assert "is not registered" in refused[0]["reason"]


def test_webhook_at_an_external_url_is_refused_before_any_dial(cluster, client, engine, namespace):
    since = devcluster.now()
    name = f"{namespace}-refused-url"
    engine.apply([_webhook_config(name, namespace, {"url": "https://webhook.example.com:8443/validate"})])
    try:
        message = _rejection(client, namespace)
    finally:
        engine.delete([("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", "", name)])
    assert "failed calling webhook" in message
    # URL webhooks use the controlplane egress; the host name is never resolved by the API server.
    refused = _decisions(cluster, since, decision="refused", egress="controlplane",
                         target="webhook.example.com:8443")
    assert refused and refused[0]["service"] is None


def test_aggregated_api_and_service_proxy_to_unregistered_services_are_refused(cluster, client, engine, namespace):
    since = devcluster.now()
    labels = {"app": "unregistered-api"}
    engine.apply([_pod(namespace, "api-0", labels, 8443), _service(namespace, "unregistered-api", 443, 8443, labels)])
    pod = _ready_pod(engine, namespace, "api-0")
    _endpoints(client, namespace, "unregistered-api")
    group = f"{namespace}.test.openova.io"
    apiservice = {"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
                  "metadata": {"name": f"v1alpha1.{group}"},
                  "spec": {"group": group, "version": "v1alpha1", "insecureSkipTLSVerify": True,
                           "groupPriorityMinimum": 100, "versionPriority": 10,
                           "service": {"namespace": namespace, "name": "unregistered-api", "port": 443}}}
    engine.apply([apiservice])
    try:
        def unavailable():
            obj = engine.get("apiregistration.k8s.io/v1", "APIService", f"v1alpha1.{group}")
            cond = next((c for c in obj.get("status", {}).get("conditions", []) if c["type"] == "Available"), None)
            return cond if cond and cond["status"] == "False" and cond["reason"] == "FailedDiscoveryCheck" else None
        cond = _wait_for(unavailable, "the APIService to fail its discovery check", 60)
        assert "403" in cond["message"]
        with pytest.raises(OpenovaError, match="503|ServiceUnavailable|unavailable"):
            client.request("GET", f"/apis/{group}/v1alpha1")
    finally:
        engine.delete([("apiregistration.k8s.io/v1", "APIService", "", f"v1alpha1.{group}")])
    svc = engine.get("v1", "Service", "unregistered-api", namespace)
    assert _decisions(cluster, since, decision="refused", egress="cluster", target=f"{svc['spec']['clusterIP']}:443",
                      service=f"{namespace}/unregistered-api:443")
    # The service proxy subresource dials an endpoint: pod IP and target port.
    with pytest.raises(OpenovaError):
        client.request("GET", f"/api/v1/namespaces/{namespace}/services/https:unregistered-api:443/proxy/")
    proxied = _decisions(cluster, since, decision="refused", target=f"{pod['status']['podIP']}:8443")
    assert proxied and proxied[0]["service"] == f"{namespace}/unregistered-api:443"


# --------------------------------------------------------------------------- reached through the proxy

def _tls_material(tmp_path, dns_name):
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "egress-test-ca")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(hours=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns_name)]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(dns_name),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    (tmp_path / "tls.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "tls.key").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    return ca.public_bytes(serialization.Encoding.PEM)


class _Handler(http.server.BaseHTTPRequestHandler):
    calls: list = []

    def log_message(self, *args):  # quiet
        pass

    def _send(self, code, body, ctype="application/json"):
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):  # noqa: N802 - the http.server API
        review = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.calls.append(("POST", self.path, review["request"]["name"]))
        self._send(200, json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": {
            "uid": review["request"]["uid"], "allowed": False, "status": {"code": 403, "message": DENIAL}}}))

    def do_GET(self):  # noqa: N802
        self.calls.append(("GET", self.path, None))
        self._send(200, "hello from the stand-in\n", "text/plain")


def _serve(tls_dir=None):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    if tls_dir:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(tls_dir / "tls.crt"), str(tls_dir / "tls.key"))
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_registered_webhook_and_stand_in_are_reached_through_the_proxy(cluster, client, engine, namespace, tmp_path):
    since = devcluster.now()
    _Handler.calls = []
    ca = _tls_material(tmp_path, f"local-webhook.{namespace}.svc")
    webhook, standin = _serve(tmp_path), _serve()
    webhook_target, standin_target = f"{namespace}/local-webhook:443", f"{namespace}/stand-in:80"
    devcluster.register_egress(webhook_target, f"127.0.0.1:{webhook.server_port}", "egress test webhook",
                               cluster=cluster)
    devcluster.register_egress(standin_target, f"127.0.0.1:{standin.server_port}", "egress test stand-in",
                               cluster=cluster)
    name = f"{namespace}-local-webhook"
    try:
        labels = {"app": "stand-in"}
        engine.apply([_service(namespace, "local-webhook", 443, 8443), _pod(namespace, "stand-in-0", labels, 8080),
                      _service(namespace, "stand-in", 80, 8080, labels)])
        import base64  # noqa: PLC0415
        engine.apply([_webhook_config(name, namespace, {"service": {
            "namespace": namespace, "name": "local-webhook", "path": "/validate", "port": 443}},
            base64.b64encode(ca).decode())])
        message = _rejection(client, namespace)
        assert DENIAL in message
        assert any(call[0] == "POST" and call[1].startswith("/validate") for call in _Handler.calls)
        allowed = _decisions(cluster, since, decision="allowed", service=webhook_target)
        assert allowed and allowed[0]["upstream"] == f"127.0.0.1:{webhook.server_port}"

        # The service proxy subresource, as a Harbor or LiteLLM stand-in would be reached.
        pod = _ready_pod(engine, namespace, "stand-in-0")
        _endpoints(client, namespace, "stand-in")
        raw = client.api.rest_client.pool_manager.request(
            "GET", f"{cluster.server}/api/v1/namespaces/{namespace}/services/stand-in:80/proxy/hello",
            preload_content=True)
        assert raw.status == 200 and raw.data == b"hello from the stand-in\n"
        assert ("GET", "/hello", None) in _Handler.calls
        proxied = _decisions(cluster, since, decision="allowed", service=standin_target)
        assert proxied and proxied[0]["target"] == f"{pod['status']['podIP']}:8080"
    finally:
        engine.delete([("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", "", name)])
        devcluster.unregister_egress(webhook_target, cluster=cluster)
        devcluster.unregister_egress(standin_target, cluster=cluster)
        webhook.shutdown()
        standin.shutdown()


def test_the_api_server_had_no_socket_beyond_loopback(cluster):
    """After the tests above (and whatever ran before): the socket sampler saw
    the API server's connections to etcd and to the egress proxy, and nothing
    that was not loopback."""
    report = devcluster.assert_loopback_only(cluster=cluster)
    assert report["sampler_fresh"] and report["samples"] > 0
    seen = {(r["direction"], r["port"]) for r in report["remotes"]}
    assert ("out", cluster.ports["etcd"]) in seen, "the sampler did not see the API server's etcd connection"
    assert all(d["upstream"].startswith("127.0.0.1:") for d in report["allowed"])


def test_the_proxy_answers_only_clients_with_a_cluster_certificate(cluster):
    ctx = ssl.create_default_context(cafile=str(cluster.pki / "ca.crt"))
    with socket.create_connection(("127.0.0.1", cluster.ports["egress-cluster"]), timeout=5) as raw:
        with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                tls.sendall(b"CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                if not tls.recv(100):
                    raise ConnectionError("closed")
