"""Fixtures for the tests that need live admission: the local cluster of the ``admission``
profile (`python tools/devcluster.py --name admission up`), where Kyverno's admission and
background controllers and istiod run as local processes and the API server reaches their
webhooks only through the loopback egress proxy. Nothing is faked; without that cluster the
tests fail and say how to start it."""

import os
import sys
from pathlib import Path

import pytest

from ansible_collections.openova.platform.plugins.module_utils.apply import Engine
from ansible_collections.openova.platform.plugins.module_utils.client import Client

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))
sys.path.insert(0, str(HERE))

from harness import CACHE  # noqa: E402
import live  # noqa: E402

ADMISSION_KUBECONFIG = CACHE / "clusters" / "admission" / "admin.kubeconfig"
START = "python tools/devcluster.py --name admission up"


@pytest.fixture(scope="session")
def kubeconfig():
    path = os.environ.get("OPENOVA_ADMISSION_KUBECONFIG") or str(ADMISSION_KUBECONFIG)
    if not Path(path).exists():
        pytest.fail(f"live admission tests need the admission cluster: run `{START}` (no kubeconfig at {path})",
                    pytrace=False)
    return path


@pytest.fixture(scope="session")
def client(kubeconfig):
    c = Client({"kubeconfig": kubeconfig})
    try:
        c.version()
    except Exception as exc:  # noqa: BLE001 - turned into one readable failure
        pytest.fail(f"the admission cluster is not reachable ({exc}); run `{START}`", pytrace=False)
    missing = live.missing_webhooks(c)
    if missing:
        pytest.fail(f"the admission cluster runs no {', '.join(missing)} webhooks; run `{START}`", pytrace=False)
    return c


@pytest.fixture()
def engine(client):
    return Engine(client)


@pytest.fixture(scope="session")
def tenant(client):
    """The corpus tenant ``acme`` with its namespaces ``acme-dev`` (the fixtures' namespace) and
    ``acme-prod``, as the Kyverno CLI suite describes them, onboarded by the tenant module; left
    in place for the next run (onboarding is idempotent)."""
    return live.onboard(client, live.TENANT, live.corpus.TENANT_NAMESPACES)


@pytest.fixture(scope="session")
def developer(kubeconfig, tenant):
    """A client of the API server that acts as a developer of ``acme`` (impersonation of a
    member of the tenant's developer group, bound to openova-tenant-developer)."""
    return live.impersonating(kubeconfig, tenant["developer_user"], tenant["developer_group"])
