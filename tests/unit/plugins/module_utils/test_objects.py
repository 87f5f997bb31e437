"""objects.py: the parts every renderer builds from."""

import base64

from ansible_collections.openova.platform.plugins.module_utils import objects as o


def test_obj_and_secret():
    assert o.obj("v1", "ConfigMap", "c", "ns", {"a": "b"}, data={"k": "v"}) == {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "ns", "labels": {"a": "b"}},
        "data": {"k": "v"}}
    assert "namespace" not in o.namespace("x")["metadata"]
    secret = o.secret("s", "ns", {"b": "2", "a": "1"}, secret_type="kubernetes.io/basic-auth")
    assert list(secret["data"]) == ["a", "b"] and base64.b64decode(secret["data"]["b"]) == b"2"
    assert secret["type"] == "kubernetes.io/basic-auth"


def test_network_policy_parts():
    peer = o.namespaces_peer(["b", "a", "a"], {"app": "x"})
    assert peer == {"namespaceSelector": {"matchExpressions": [
        {"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["a", "b"]}]},
        "podSelector": {"matchLabels": {"app": "x"}}}
    assert o.labelled_namespaces_peer("t") == {"namespaceSelector": {"matchExpressions": [
        {"key": "t", "operator": "Exists"}]}}
    assert o.ports([53], ("UDP", "TCP")) == [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]
    assert o.rule(port_list=o.ports([1])) == {"ports": [{"port": 1, "protocol": "TCP"}]}
    assert o.rule([peer], direction="to") == {"to": [peer]}


def test_network_policy_types_follow_the_rules():
    deny = o.network_policy("d", "ns", {}, policy_types=["Ingress", "Egress"])
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    both = o.network_policy("p", "ns", {}, ingress=[o.rule()], egress=[o.rule([o.cidr_peer("10.0.0.0/8")], direction="to")])
    assert both["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert both["spec"]["egress"] == [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}]


def test_grafana_datasource_sends_the_org_id():
    ds = o.grafana_datasource("n", "ns", {}, "uid", "Title", "loki", "http://loki", "acme", {"dashboards": "grafana"})
    assert ds["spec"]["datasource"]["secureJsonData"] == {"httpHeaderValue1": "acme"}
    assert ds["spec"]["instanceSelector"] == {"matchLabels": {"dashboards": "grafana"}} and ds["spec"]["uid"] == "uid"
