"""render/meta.py: names, labels and the owned selector."""

from ansible_collections.openova.platform.plugins.module_utils.tenant.render import meta


def test_labels(tenant, platform, passwords):
    assert meta.labels("acme") == {"app.kubernetes.io/managed-by": "openova-platform",
                                   "app.kubernetes.io/part-of": "openova-tenant", "openova.io/tenant": "acme"}
    assert "openova.io/tenant" not in meta.labels()


def test_owned_selector_is_sorted(tenant, platform, passwords):
    assert meta.owned_selector(["b", "a"]) == \
        "app.kubernetes.io/managed-by=openova-platform,openova.io/tenant in (a,b),!openova.io/credentials-for"


def test_credential_objects_have_their_own_selector(tenant, platform, passwords):
    assert meta.owned_selector(["a"], credentials_for="harbor") == \
        "app.kubernetes.io/managed-by=openova-platform,openova.io/tenant in (a),openova.io/credentials-for=harbor"


def test_obj_and_is_managed(tenant, platform, passwords):
    obj = meta.obj("v1", "ConfigMap", "x", "ns", "acme", extra_labels={"k": "v"}, annotations={"a": "b"}, data={})
    assert obj["metadata"] == {"name": "x", "namespace": "ns", "labels": dict(meta.labels("acme"), k="v"),
                               "annotations": {"a": "b"}}
    assert meta.is_managed(obj, "acme") and not meta.is_managed(obj, "globex")
    assert not meta.is_managed({"metadata": {"labels": {"openova.io/tenant": "acme"}}})


def test_names(tenant, platform, passwords):
    assert meta.cluster_role_name("admin") == "openova-tenant-admin"
    assert meta.tenant_object_name("acme", "loki") == "tenant-acme-loki"
    assert meta.redpanda_username("acme") == "tenant-acme"
