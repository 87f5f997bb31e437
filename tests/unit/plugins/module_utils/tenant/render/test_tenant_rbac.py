"""render/rbac.py: shared ClusterRoles and per-namespace RoleBindings."""

import pytest

from ansible_collections.openova.platform.plugins.module_utils.tenant.render.rbac import (
    render_cluster_roles,
    render_role_bindings,
)


WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection"}


def writable(role):
    out = set()
    for rule in role["rules"]:
        if WRITE_VERBS & set(rule["verbs"]):
            out.update((g, r) for g in rule["apiGroups"] for r in rule["resources"])
    return out


@pytest.mark.parametrize("group,resource", [
    ("", "resourcequotas"), ("", "limitranges"), ("", "namespaces"), ("networking.k8s.io", "networkpolicies"),
    ("security.istio.io", "peerauthentications"), ("security.istio.io", "authorizationpolicies"),
    ("networking.istio.io", "sidecars"), ("rbac.authorization.k8s.io", "roles"),
    ("rbac.authorization.k8s.io", "rolebindings"), ("networking.istio.io", "serviceentries"),
])
def test_no_role_writes_platform_objects(group, resource, tenant, platform, passwords):
    for role in render_cluster_roles():
        assert (group, resource) not in writable(role), role["metadata"]["name"]


def test_roles_differ_in_power(tenant, platform, passwords):
    admin, developer, viewer = render_cluster_roles()
    assert ("", "secrets") in writable(admin) and ("", "secrets") not in writable(developer)
    assert ("apps", "deployments") in writable(developer)
    assert writable(viewer) == set()
    assert all("openova.io/tenant" not in r["metadata"]["labels"] for r in (admin, developer, viewer))


def test_bindings_only_for_roles_with_groups(tenant, platform, passwords):
    bindings = render_role_bindings(tenant(), platform)
    assert [(b["metadata"]["namespace"], b["metadata"]["name"]) for b in bindings] == [
        ("acme-dev", "openova-tenant-admin"), ("acme-dev", "openova-tenant-viewer"),
        ("acme-prod", "openova-tenant-admin"), ("acme-prod", "openova-tenant-viewer")]
    assert bindings[0]["subjects"] == [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group",
                                        "name": "acme-admins"}]
    assert bindings[0]["roleRef"]["kind"] == "ClusterRole"
