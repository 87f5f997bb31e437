"""Shared inputs for the tenant unit tests: a normalized platform and tenant
(fixtures ``platform``, ``passwords`` and ``tenant``, a factory)."""

import pytest

from ansible_collections.openova.platform.plugins.module_utils.tenant import validate as v

PLATFORM = v.normalize_platform({})
PASSWORDS = {"redpanda": "rp-secret", "postgres": "pg-secret"}


def make_tenant(**extra):
    raw = {"name": "acme", "owners": {"admin": ["acme-admins"], "viewer": ["acme-viewers"]},
           "namespaces": ["acme-dev", "acme-prod"]}
    raw.update(extra)
    return v.validate([raw], PLATFORM)[0]


@pytest.fixture()
def platform():
    return PLATFORM


@pytest.fixture()
def passwords():
    return dict(PASSWORDS)


@pytest.fixture()
def tenant():
    return make_tenant
