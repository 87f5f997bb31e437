"""render/observability.py: a Grafana instance per tenant, and the tenant's folder and
X-Scope-OrgID datasources selecting that instance alone."""

from ansible_collections.openova.platform.plugins.module_utils.tenant import validate as v
from ansible_collections.openova.platform.plugins.module_utils.tenant.render.observability import (
    render_observability,
)


def test_grafana_objects(tenant, platform, passwords):
    objs = render_observability(tenant(display_name="ACME"), platform)
    assert [(o["kind"], o["metadata"]["name"]) for o in objs] == [
        ("Grafana", "tenant-acme"), ("VirtualService", "tenant-acme-grafana"),
        ("GrafanaFolder", "tenant-acme-folder"), ("GrafanaDatasource", "tenant-acme-datasource-loki"),
        ("GrafanaDatasource", "tenant-acme-datasource-mimir"), ("GrafanaDatasource", "tenant-acme-datasource-tempo")]
    grafana, route, folder = objs[:3]
    assert grafana["metadata"]["labels"]["openova.io/grafana-instance"] == "tenant-acme"
    assert "dashboards" not in grafana["metadata"]["labels"]  # the platform instance's selector never matches it
    assert folder["spec"]["title"] == "ACME"
    for obj in objs[2:]:
        assert obj["metadata"]["namespace"] == "openova-observability"
        assert obj["spec"]["instanceSelector"] == {"matchLabels": {"openova.io/grafana-instance": "tenant-acme"}}
    for ds in objs[3:]:
        assert ds["spec"]["datasource"]["jsonData"]["httpHeaderName1"] == "X-Scope-OrgID"
        assert ds["spec"]["datasource"]["secureJsonData"] == {"httpHeaderValue1": "acme"}
        assert ds["spec"]["datasource"]["editable"] is False
    assert [ds["spec"]["datasource"]["type"] for ds in objs[3:]] == ["loki", "prometheus", "tempo"]
    assert route["spec"]["hosts"] == ["acme.grafana.openova.io"]
    assert route["spec"]["gateways"] == ["istio-ingress/openova-ingress"]


def test_only_the_tenants_groups_sign_in_and_nobody_is_admin(tenant, platform, passwords):
    t = tenant(owners={"admin": ["acme-admins"], "developer": ["acme-devs"], "viewer": ["acme-viewers"]})
    config = render_observability(t, platform)[0]["spec"]["config"]
    oauth = config["auth.generic_oauth"]
    assert oauth["allowed_groups"] == "acme-admins acme-devs acme-viewers"
    assert oauth["role_attribute_strict"] == "true" and oauth["allow_assign_grafana_admin"] == "false"
    assert "Admin" not in oauth["role_attribute_path"]
    assert oauth["role_attribute_path"] == ("contains(groups[*], 'acme-admins') && 'Editor' || "
                                            "contains(groups[*], 'acme-devs') && 'Editor' || "
                                            "contains(groups[*], 'acme-viewers') && 'Viewer' || ''")
    assert config["auth.anonymous"] == {"enabled": "false"} and config["users"]["allow_sign_up"] == "false"


def test_two_tenants_share_no_instance(tenant, platform, passwords):
    one = render_observability(tenant(), platform)
    other = render_observability(tenant(name="globex", namespaces=["globex"], owners={"admin": ["g"]}), platform)
    selectors = [o["spec"].get("instanceSelector") for o in one + other if "instanceSelector" in o["spec"]]
    assert len({str(s) for s in selectors}) == 2


def test_platform_grafana_config_reaches_every_instance(tenant, passwords):
    platform = v.normalize_platform({"grafana_config": {"auth.generic_oauth": {"enabled": True, "client_id": "g"}}})
    oauth = render_observability(tenant(), platform)[0]["spec"]["config"]["auth.generic_oauth"]
    assert oauth["enabled"] == "true" and oauth["client_id"] == "g" and oauth["allowed_groups"]


def test_loki_links_trace_ids_to_the_tenants_own_tempo(tenant, platform):
    loki = render_observability(tenant(), platform)[3]
    assert loki["spec"]["datasource"]["jsonData"]["derivedFields"] == [{
        "name": "TraceID", "matcherType": "label", "matcherRegex": "trace_id", "datasourceUid": "tenant-acme-tempo",
        "url": "${__value.raw}"}]
