"""comma_list and component_namespaces, templated as a playbook templates them."""

import pytest
from ansible.errors import AnsibleError
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from ansible_collections.openova.platform.plugins.module_utils import facts


def template(expr, **variables):
    return Templar(loader=DataLoader(), variables=variables).template(trust_as_template(expr))


@pytest.mark.parametrize("value, expected", [("acme-dev, acme-prod,", ["acme-dev", "acme-prod"]),
                                             (["a", "b"], ["a", "b"]), ("", []), (None, []), (" , ", [])])
def test_comma_list(value, expected):
    assert template("{{ value | openova.platform.comma_list }}", value=value) == expected


def test_comma_list_refuses_a_mapping():
    with pytest.raises(AnsibleError, match="comma_list expects a list or comma separated text"):
        template("{{ value | openova.platform.comma_list }}", value={"a": 1})


def test_component_namespaces():
    assert template("{{ ['redis', 'istio'] | openova.platform.component_namespaces }}") == [
        facts.ISTIO_NAMESPACE, facts.INGRESS_NAMESPACE, facts.DATA_NAMESPACE]
    assert template("{{ ['cilium'] | openova.platform.component_namespaces }}") == []


def test_component_namespaces_names_an_unknown_component():
    with pytest.raises(AnsibleError, match="grafana is not a component"):
        template("{{ ['grafana'] | openova.platform.component_namespaces }}")
