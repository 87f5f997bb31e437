"""render/data.py: CloudNativePG Database, DatabaseRole and credentials."""

import base64

from ansible_collections.openova.platform.plugins.module_utils.tenant.render.data import render_postgres


def test_nothing_without_postgres(tenant, platform, passwords):
    assert render_postgres(tenant(), platform, "pw") == []


def test_postgres_objects(tenant, platform, passwords):
    objs = render_postgres(tenant(postgres={"enabled": True}), platform, "pw")
    assert [(o["kind"], o["metadata"]["namespace"]) for o in objs] == [
        ("Secret", "openova-data"), ("DatabaseRole", "openova-data"), ("Database", "openova-data"),
        ("Secret", "acme-dev"), ("Secret", "acme-prod")]
    assert objs[0]["type"] == "kubernetes.io/basic-auth"
    assert objs[1]["spec"]["passwordSecret"] == {"name": "tenant-acme-postgres"}
    assert objs[2]["spec"]["cluster"] == {"name": "platform-pg"} and objs[2]["spec"]["owner"] == "tenant_acme"
    assert objs[1]["spec"]["name"] == "tenant_acme" and objs[2]["spec"]["name"] == "acme"
    creds = dict((k, base64.b64decode(v).decode()) for k, v in objs[3]["data"].items())
    assert creds == {"username": "tenant_acme", "password": "pw", "host": "platform-pg-rw.openova-data.svc",
                     "port": "5432", "dbname": "acme",
                     "uri": "postgresql://tenant_acme:pw@platform-pg-rw.openova-data.svc:5432/acme"}


def test_the_role_follows_the_tenant_not_the_database(tenant, platform, passwords):
    """Two tenants never share a role, whatever databases they ask for."""
    one = render_postgres(tenant(postgres={"enabled": True, "database": "acme_shared"}), platform, "pw")
    other = render_postgres(tenant(name="acme-x", namespaces=["acme-x"], postgres={"enabled": True}), platform, "pw")
    assert one[1]["spec"]["name"] == "tenant_acme" and other[1]["spec"]["name"] == "tenant_acme_x"
    assert one[2]["spec"]["name"] == "acme_shared" and other[2]["spec"]["name"] == "acme_x"
