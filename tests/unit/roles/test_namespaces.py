"""The component roles install into the platform namespaces of the platform facts: each role's
namespace variables, rendered as a play renders them, are the facts' namespaces of that component."""

import pytest

from ansible_collections.openova.platform.plugins.module_utils import facts

from .rendering import render

ROLE_NAMESPACES = {
    "istio": ["istio_namespace", "istio_ingress_namespace"], "cert_manager": ["cert_manager_namespace"],
    "kyverno": ["kyverno_namespace"], "redpanda": ["redpanda_namespace"],
    "postgresql": ["postgresql_operator_namespace", "postgresql_namespace"], "redis": ["redis_namespace"],
    "observability": ["observability_namespace"], "llm_gateway": ["llm_gateway_namespace"],
    "harbor": ["harbor_namespace"],
}


@pytest.mark.parametrize("role", sorted(ROLE_NAMESPACES))
def test_role_namespaces_are_the_platform_facts(role):
    got = [render(role, "{{ %s }}" % key) for key in ROLE_NAMESPACES[role]]
    assert got == facts.COMPONENT_NAMESPACES[role]


def test_every_component_is_covered():
    assert set(ROLE_NAMESPACES) | {"cilium"} == set(facts.COMPONENTS)
    assert render("cilium", "{{ cilium_namespace }}") in facts.SYSTEM_NAMESPACES


def test_an_inventory_can_still_choose_a_namespace():
    assert render("redpanda", "{{ redpanda_namespace }}", redpanda_namespace="streaming") == "streaming"


def test_database_hosts_follow_the_postgres_facts():
    assert render("harbor", "{{ harbor_values.database.external.host }}") == facts.POSTGRES_HOST
    assert render("llm_gateway", "{{ llm_gateway_values.db.endpoint }}") == facts.POSTGRES_HOST
