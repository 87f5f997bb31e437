"""platform/config.py: the platform_config options, normalized, with every problem named at once."""

import pytest

from ansible_collections.openova.platform.plugins.module_utils import facts
from ansible_collections.openova.platform.plugins.module_utils.errors import SpecError
from ansible_collections.openova.platform.plugins.module_utils.platform.config import normalize


def test_defaults_are_the_platform_facts():
    config = normalize({"phase": "prepare"})
    assert config["components"] == list(facts.COMPONENTS) and config["domain"] == facts.DOMAIN
    assert config["gateway"] == {"name": facts.INGRESS_GATEWAY_NAME, "namespace": facts.INGRESS_NAMESPACE,
                                 "selector": facts.INGRESS_GATEWAY_SELECTOR, "tls_secret": facts.INGRESS_TLS_SECRET,
                                 "hosts": ["*.openova.io"]}
    assert config["tenant_ports"] == {facts.ISTIO_NAMESPACE: [15012]}
    assert normalize({"phase": "prepare", "domain": "example.com"})["gateway"]["hosts"] == ["*.example.com"]
    assert normalize({"phase": "prepare", "gateway_hosts": ["a.example.com"]})["gateway"]["hosts"] == ["a.example.com"]


def test_port_numbers_as_text_become_numbers():
    assert normalize({"phase": "prepare", "open_ports": {"kyverno": ["9443"]}})["open_ports"] == {"kyverno": [9443]}


def test_every_problem_is_named():
    with pytest.raises(SpecError) as err:
        normalize({"phase": "later", "components": ["istio", "grafana"], "mtls_mode": "OFF",
                   "namespaces": {"istio": ["Bad_NS"], "nope": []}, "open_ports": {"kyverno": [0]},
                   "priority_classes": [{"name": "x", "value": 2000000000, "description": "d"}],
                   "query_urls": {"loki": "http://l"}, "grafana_instance_labels": {"a": "b c"}})
    fields = [field for field, _message in err.value.problems]
    assert fields == ["phase", "components[1]", "mtls_mode", "namespaces.istio[0]", "namespaces.nope",
                      "priority_classes[0].value", "grafana_instance_labels.a", "query_urls", "open_ports.kyverno[0]"]
