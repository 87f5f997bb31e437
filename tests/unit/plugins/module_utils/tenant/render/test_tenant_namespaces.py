"""render/namespaces.py: Namespaces, ResourceQuota, LimitRange, default ServiceAccount."""

import pytest

from ansible_collections.openova.platform.plugins.module_utils.tenant import validate as v
from ansible_collections.openova.platform.plugins.module_utils.tenant.render.namespaces import (
    render_namespaces,
    render_quota,
    render_service_accounts,
)


def test_namespace_labels_and_annotations(tenant, platform, passwords):
    ns = render_namespaces(tenant(harbor_project="acme-images"), platform)
    assert [n["metadata"]["name"] for n in ns] == ["acme-dev", "acme-prod"]
    meta = ns[0]["metadata"]
    assert meta["labels"]["istio-injection"] == "enabled"
    assert meta["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert meta["labels"]["openova.io/tenant"] == "acme"
    assert meta["annotations"] == {"openova.io/harbor-project": "acme-images", "openova.io/scope-orgid": "acme",
                                   "openova.io/allowed-registries": "harbor.openova.io/acme-images",
                                   "openova.io/display-name": "acme"}


def test_istio_revision_replaces_injection_label(tenant, platform, passwords):
    platform = v.normalize_platform({"istio_revision": "1-30"})
    labels = render_namespaces(tenant(), platform)[0]["metadata"]["labels"]
    assert labels["istio.io/rev"] == "1-30" and "istio-injection" not in labels


def test_allowed_registries_are_comma_separated(tenant, platform, passwords):
    t = tenant(allowed_registries=["harbor.x/acme", "ghcr.io/acme"])
    assert render_namespaces(t, platform)[0]["metadata"]["annotations"]["openova.io/allowed-registries"] == \
        "harbor.x/acme,ghcr.io/acme"


@pytest.mark.parametrize("spec,key,value", [
    ({}, "requests.cpu", "2"), ({"tier": "medium"}, "limits.memory", "32Gi"), ({"tier": "large"}, "pods", "200"),
    ({}, "services.loadbalancers", "0"), ({}, "services.nodeports", "0"),
    ({"quota": {"load_balancers": 2}}, "services.loadbalancers", "2"),
    ({"quota": {"storage": "1Ti"}}, "requests.storage", "1Ti"), ({}, "persistentvolumeclaims", "5"),
])
def test_quota(spec, key, value, tenant, platform, passwords):
    quota = render_quota(tenant(**spec), platform)[0]
    assert quota["kind"] == "ResourceQuota" and quota["spec"]["hard"][key] == value


def test_limit_range(tenant, platform, passwords):
    objs = render_quota(tenant(limits={"max_cpu": "1"}), platform)
    assert [o["kind"] for o in objs] == ["ResourceQuota", "LimitRange"] * 2
    (limit,) = objs[1]["spec"]["limits"]
    assert limit == {"type": "Container", "default": {"cpu": "500m", "memory": "512Mi"},
                     "defaultRequest": {"cpu": "100m", "memory": "128Mi"}, "max": {"cpu": "1", "memory": "4Gi"}}


def test_default_service_account(tenant, platform, passwords):
    sa = render_service_accounts(tenant(), platform)[0]
    assert sa["metadata"]["name"] == "default" and sa["automountServiceAccountToken"] is False


def test_default_service_account_names_the_pull_secret_while_the_registry_is_on(tenant, platform, passwords):
    on = render_service_accounts(tenant(), platform)
    assert [sa["imagePullSecrets"] for sa in on] == [[{"name": "harbor-pull"}]] * 2
    off = render_service_accounts(tenant(registry={"enabled": False}), platform)
    assert all("imagePullSecrets" not in sa for sa in off)
