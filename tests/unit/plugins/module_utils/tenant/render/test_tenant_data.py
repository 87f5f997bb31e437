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


# ---------------------------------------------------------------- reclaim policies and offboarding order
# A model of what the CloudNativePG operator does when these CRs are deleted, from its
# documentation (docs/src/declarative_database_role_management.md, "Role Reclaim Policy",
# and declarative_database_management.md): reclaim `delete` drops the object in PostgreSQL
# before the finalizer is removed, `retain` leaves it; DROP ROLE fails while the role owns a
# database, and the DatabaseRole then stays Terminating until it succeeds.
def operator_offboarding(crs, delete_order):
    """PostgreSQL state and the CRs stuck in Terminating after deleting ``delete_order``."""
    databases = dict((c["spec"]["name"], c["spec"]["owner"]) for c in crs if c["kind"] == "Database")
    roles = set(c["spec"]["name"] for c in crs if c["kind"] == "DatabaseRole")
    by_ref = dict(((c["kind"], c["metadata"]["name"]), c) for c in crs)
    terminating = []
    for ref in delete_order:
        cr = by_ref[ref]
        if cr["kind"] == "Database" and cr["spec"]["databaseReclaimPolicy"] == "delete":
            databases.pop(cr["spec"]["name"], None)
        if cr["kind"] == "DatabaseRole" and cr["spec"]["databaseRoleReclaimPolicy"] == "delete":
            if cr["spec"]["name"] in databases.values():
                terminating.append(ref)  # DROP ROLE: role owns database
            else:
                roles.discard(cr["spec"]["name"])
    return databases, roles, terminating


def _offboarding_order(crs):
    """The delete order run._absent sends for these owned objects."""
    from ansible_collections.openova.platform.plugins.module_utils.apply import ObjectResult, ref
    from ansible_collections.openova.platform.plugins.module_utils.tenant import run

    class RecordingEngine:
        def __init__(self):
            self.deleted = []

        def delete(self, refs, existing=None):
            self.deleted += list(refs)
            return [ObjectResult(r, "deleted") for r in refs]

    owned = [dict(c, metadata=dict(c["metadata"], labels={"openova.io/tenant": "acme"})) for c in crs]
    engine = RecordingEngine()
    run._absent(engine, owned, dict((ref(o), "acme") for o in owned), {"confirm_delete_pvcs": True})
    return [(r[1], r[3]) for r in engine.deleted]


def test_reclaim_policies_agree_so_offboarding_cannot_stall(tenant, platform):
    objs = render_postgres(tenant(postgres={"enabled": True}), platform, "pw")
    crs = [o for o in objs if o["kind"] in ("Database", "DatabaseRole")]
    role, database = crs
    assert database["spec"]["owner"] == role["spec"]["name"]
    assert role["spec"]["databaseRoleReclaimPolicy"] == database["spec"]["databaseReclaimPolicy"] == "retain"
    # Offboarding, in the order the module sends, under the operator's rules: nothing
    # stays Terminating, and the data stays with the role that owns it.
    for order in (_offboarding_order(list(reversed(crs))), _offboarding_order(crs)):
        assert order == [("Database", "tenant-acme"), ("DatabaseRole", "tenant-acme")]
        databases, roles, terminating = operator_offboarding(crs, order)
        assert terminating == [] and databases == {"acme": "tenant_acme"} and roles == {"tenant_acme"}


def test_the_model_catches_the_old_mismatch(tenant, platform):
    # The previous rendering (role `delete`, database `retain`) stalls offboarding for ever.
    objs = render_postgres(tenant(postgres={"enabled": True}), platform, "pw")
    crs = [o for o in objs if o["kind"] in ("Database", "DatabaseRole")]
    crs[0] = dict(crs[0], spec=dict(crs[0]["spec"], databaseRoleReclaimPolicy="delete"))
    terminating = operator_offboarding(crs, [("Database", "tenant-acme"), ("DatabaseRole", "tenant-acme")])[2]
    assert terminating == [("DatabaseRole", "tenant-acme")]
    # With both `delete`, only the order the module uses drops both.
    both = [dict(c, spec=dict(c["spec"], databaseReclaimPolicy="delete")) if c["kind"] == "Database" else c
            for c in crs]
    assert operator_offboarding(both, [("Database", "tenant-acme"), ("DatabaseRole", "tenant-acme")])[2] == []
    assert operator_offboarding(both, [("DatabaseRole", "tenant-acme"), ("Database", "tenant-acme")])[2] != []


def test_the_role_follows_the_tenant_not_the_database(tenant, platform, passwords):
    """Two tenants never share a role, whatever databases they ask for."""
    one = render_postgres(tenant(postgres={"enabled": True, "database": "acme_shared"}), platform, "pw")
    other = render_postgres(tenant(name="acme-x", namespaces=["acme-x"], postgres={"enabled": True}), platform, "pw")
    assert one[1]["spec"]["name"] == "tenant_acme" and other[1]["spec"]["name"] == "tenant_acme_x"
    assert one[2]["spec"]["name"] == "acme_shared" and other[2]["spec"]["name"] == "acme_x"
