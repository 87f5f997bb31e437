"""service_objects and service_traffic filters: the same pure renderers, errors as AnsibleFilterError."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.openova.platform.plugins.filter.service_objects import FilterModule as Objects
from ansible_collections.openova.platform.plugins.filter.service_traffic import FilterModule as Traffic

SPEC = {"name": "orders", "tenant": "acme", "namespace": "acme-prod", "image": "harbor.openova.io/acme/orders:1.4.2",
        "version": "v2", "stable_version": "v1"}


def test_service_objects():
    objects = Objects().filters()["service_objects"](SPEC)
    assert [o["kind"] for o in objects] == ["ServiceAccount", "Service", "Deployment", "PodDisruptionBudget",
                                            "HorizontalPodAutoscaler"]


def test_service_traffic():
    assert Traffic().filters()["service_traffic"](SPEC)["weights"] == {"v1": 100, "v2": 0}


@pytest.mark.parametrize("name, module", [("service_objects", Objects), ("service_traffic", Traffic)])
def test_bad_spec_names_the_field(name, module):
    with pytest.raises(AnsibleFilterError, match=r"produces\[0\].*outside the tenant's prefix"):
        module().filters()[name](dict(SPEC, produces=["orders"]))
    with pytest.raises(AnsibleFilterError, match="expects a dict"):
        module().filters()[name]("orders")
