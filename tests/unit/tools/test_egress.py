"""The egress proxy's pure parts: registration parsing, Service resolution as
the API server asks for it, decisions, the egress selector file, and the
registration store."""

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tools"))

import egress  # noqa: E402

SERVICES = [
    {"metadata": {"namespace": "istio-system", "name": "istiod"},
     "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.20", "clusterIPs": ["10.96.0.20"],
              "ports": [{"name": "https-webhook", "port": 443, "targetPort": 15017},
                        {"name": "grpc-xds", "port": 15010, "targetPort": 15010}]}},
    {"metadata": {"namespace": "harbor", "name": "harbor-core"},
     "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.30", "ports": [{"name": "http", "port": 80,
                                                                           "targetPort": 8080}]}},
    {"metadata": {"namespace": "ext", "name": "partner"},
     "spec": {"type": "ExternalName", "externalName": "api.partner.example.", "ports": [{"port": 443}]}},
    {"metadata": {"namespace": "x", "name": "headless"},
     "spec": {"type": "ClusterIP", "clusterIP": "None", "ports": [{"port": 443}]}},
]
SLICES = [
    {"metadata": {"namespace": "harbor", "name": "harbor-core-abc",
                  "labels": {"kubernetes.io/service-name": "harbor-core"}},
     "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
     "endpoints": [{"addresses": ["10.244.1.7"]}]},
    {"metadata": {"namespace": "harbor", "name": "orphan",
                  "labels": {"kubernetes.io/service-name": "gone"}},
     "ports": [{"name": "http", "port": 8080}], "endpoints": [{"addresses": ["10.244.9.9"]}]},
]


@pytest.fixture()
def index():
    return egress.ServiceIndex.build(SERVICES, SLICES)


def regs(*pairs):
    return {r.target: r for r in (egress.Registration.make(t, local) for t, local in pairs)}


@pytest.mark.parametrize("text, key", [
    ("istio-system/istiod:443", "istio-system/istiod:443"),
    (" kyverno/kyverno-svc:443 ", "kyverno/kyverno-svc:443"),
    ("127.0.0.1:9443", "127.0.0.1:9443"),
])
def test_targets_are_services_or_the_loopback_address(text, key):
    assert egress.parse_target(text).key == key


@pytest.mark.parametrize("text, fragment", [
    ("istio-system/istiod", "needs its port"),
    ("Istio/istiod:443", "namespace 'Istio' is not a DNS label"),
    ("ns/name:0", "from 1 to 65535"),
    ("ns/name:https", "from 1 to 65535"),
    ("10.96.0.20:443", "must be 127.0.0.1:port"),
    ("example.com:443", "must be 127.0.0.1:port"),
    ("localhost:443", "must be 127.0.0.1:port"),
    ("443", "not host:port"),
])
def test_bad_targets_are_refused_naming_the_problem(text, fragment):
    with pytest.raises(egress.EgressError, match=fragment):
        egress.parse_target(text)


@pytest.mark.parametrize("text", ["10.0.0.5:8443", "example.com:443", "[::1]:8443", "localhost:8443"])
def test_the_local_end_is_always_127_0_0_1(text):
    with pytest.raises(egress.EgressError, match="connects only to 127.0.0.1"):
        egress.parse_local(text)
    assert egress.parse_local("127.0.0.1:15017") == "127.0.0.1:15017"


def test_connect_targets_split_like_the_api_server_sends_them():
    assert egress.split_hostport("10.96.0.20:443") == ("10.96.0.20", 443)
    assert egress.split_hostport("[fd00::1]:443") == ("fd00::1", 443)
    assert egress.split_hostport("Istiod.Istio-System.svc:443") == ("istiod.istio-system.svc", 443)


def test_service_resolution_covers_cluster_ip_endpoint_external_name_and_dns(index):
    # Webhooks and aggregated APIs without --enable-aggregator-routing: ClusterIP:service port.
    assert index.resolve("10.96.0.20", 443) == ("istio-system/istiod:443", "ClusterIP")
    # The service proxy subresource (and aggregator routing): endpoint IP:target port -> service port.
    assert index.resolve("10.244.1.7", 8080) == ("harbor/harbor-core:80", "endpoint")
    # ExternalName Services: the API server asks for the external name.
    assert index.resolve("api.partner.example", 443) == ("ext/partner:443", "ExternalName")
    # URL webhooks that name a Service's DNS name.
    assert index.resolve("istiod.istio-system.svc", 443) == ("istio-system/istiod:443", "service DNS name")
    assert index.resolve("istiod.istio-system.svc.cluster.local", 443)[0] == "istio-system/istiod:443"
    # What no Service stands for, or a port the Service does not have.
    assert index.resolve("10.96.0.20", 8443) == (None, "")
    assert index.resolve("10.244.9.9", 8080) == (None, "")
    assert index.resolve("example.com", 443) == (None, "")
    assert index.resolve("istiod.istio-system", 443) == (None, "")


def test_only_registered_targets_are_allowed_and_only_to_loopback(index):
    registered = regs(("istio-system/istiod:443", "127.0.0.1:15017"), ("127.0.0.1:9443", "127.0.0.1:9443"),
                      ("harbor/harbor-core:80", "127.0.0.1:18080"))
    allowed = egress.decide("10.96.0.20", 443, registered, index)
    assert allowed.allowed and allowed.upstream == "127.0.0.1:15017"
    assert allowed.service == "istio-system/istiod:443" and "ClusterIP 10.96.0.20:443" in allowed.reason
    assert egress.decide("10.244.1.7", 8080, registered, index).upstream == "127.0.0.1:18080"
    assert egress.decide("127.0.0.1", 9443, registered, index).upstream == "127.0.0.1:9443"

    refused = egress.decide("127.0.0.1", 6443, registered, index)
    assert not refused.allowed and "127.0.0.1:6443 is not registered" in refused.reason
    unknown = egress.decide("203.0.113.7", 443, registered, index)
    assert not unknown.allowed and unknown.service is None and "address 203.0.113.7:443" in unknown.reason
    by_name = egress.decide("example.com", 443, registered, index)
    assert not by_name.allowed and "host name example.com:443" in by_name.reason
    unregistered = egress.decide("api.partner.example", 443, registered, index)
    assert not unregistered.allowed and unregistered.service == "ext/partner:443"
    assert "Service ext/partner:443 (ExternalName api.partner.example:443) is not registered" in unregistered.reason


def test_without_the_service_index_everything_but_registered_loopback_is_refused():
    registered = regs(("istio-system/istiod:443", "127.0.0.1:15017"))
    decision = egress.decide("10.96.0.20", 443, registered, None, "ConnectionRefusedError")
    assert not decision.allowed and "ConnectionRefusedError" in decision.reason


def test_a_tampered_registration_pointing_off_loopback_is_still_refused(index):
    bad = {"istio-system/istiod:443": egress.Registration("istio-system/istiod:443", "10.0.0.9:443")}
    decision = egress.decide("10.96.0.20", 443, bad, index)
    assert not decision.allowed and "not 127.0.0.1" in decision.reason


def test_egress_selector_sends_cluster_and_controlplane_through_the_proxy(tmp_path):
    text = egress.render_egress_selector({"cluster": 16453, "controlplane": 16454},
                                         tmp_path / "ca.crt", tmp_path / "c.crt", tmp_path / "c.key")
    config = json.loads(text)
    assert config["apiVersion"] == "apiserver.k8s.io/v1beta1"
    assert config["kind"] == "EgressSelectorConfiguration"
    by_name = {s["name"]: s["connection"] for s in config["egressSelections"]}
    assert set(by_name) == {"cluster", "controlplane"}  # etcd stays direct (127.0.0.1)
    for name, port in (("cluster", 16453), ("controlplane", 16454)):
        conn = by_name[name]
        assert conn["proxyProtocol"] == "HTTPConnect"
        assert conn["transport"]["tcp"]["url"] == f"https://127.0.0.1:{port}"
        assert conn["transport"]["tcp"]["tlsConfig"] == {
            "caBundle": str(tmp_path / "ca.crt"), "clientCert": str(tmp_path / "c.crt"),
            "clientKey": str(tmp_path / "c.key")}


def test_registrations_are_stored_listed_replaced_and_removed(tmp_path):
    store = egress.RegistrationStore(tmp_path / "egress")
    assert store.load() == {}
    store.add("istio-system/istiod:443", "127.0.0.1:15017", note="istiod")
    store.add("127.0.0.1:9443", "127.0.0.1:9443")
    store.add("istio-system/istiod:443", "127.0.0.1:15018")  # a new local port replaces the old
    loaded = store.load()
    assert sorted(loaded) == ["127.0.0.1:9443", "istio-system/istiod:443"]
    assert loaded["istio-system/istiod:443"].local == "127.0.0.1:15018"
    assert loaded["istio-system/istiod:443"].added.endswith("Z")
    assert store.remove("istio-system/istiod:443") is True
    assert store.remove("istio-system/istiod:443") is False
    assert list(store.load()) == ["127.0.0.1:9443"]
    with pytest.raises(egress.EgressError, match="connects only to 127.0.0.1"):
        store.add("a/b:443", "192.168.1.10:443")
    assert list(store.load()) == ["127.0.0.1:9443"]  # nothing written for bad input


def test_decision_log_reads_lines_from_a_time_on(tmp_path):
    lines = [{"time": "2026-12-01T10:00:00.000Z", "decision": "refused"},
             {"time": "2026-12-01T10:00:05.000Z", "decision": "allowed"}]
    (tmp_path / egress.DECISIONS).write_text("\n".join(json.dumps(x) for x in lines) + "\nnot json\n")
    assert len(egress.read_decisions(tmp_path)) == 2
    assert egress.read_decisions(tmp_path, since="2026-12-01T10:00:01Z") == [lines[1]]
    assert egress.read_decisions(tmp_path / "missing") == []
