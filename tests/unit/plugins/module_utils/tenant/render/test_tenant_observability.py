"""render/observability.py: GrafanaFolder and tenant-scoped GrafanaDatasources."""

from ansible_collections.openova.platform.plugins.module_utils.tenant.render.observability import (
    render_observability,
)


def test_grafana_objects(tenant, platform, passwords):
    objs = render_observability(tenant(display_name="ACME"), platform)
    assert [(o["kind"], o["metadata"]["name"]) for o in objs] == [
        ("GrafanaFolder", "tenant-acme"), ("GrafanaDatasource", "tenant-acme-loki"),
        ("GrafanaDatasource", "tenant-acme-mimir"), ("GrafanaDatasource", "tenant-acme-tempo")]
    assert objs[0]["spec"]["title"] == "ACME"
    for ds in objs[1:]:
        assert ds["metadata"]["namespace"] == "openova-observability"
        assert ds["spec"]["instanceSelector"] == {"matchLabels": {"dashboards": "grafana"}}
        assert ds["spec"]["datasource"]["jsonData"]["httpHeaderName1"] == "X-Scope-OrgID"
        assert ds["spec"]["datasource"]["secureJsonData"] == {"httpHeaderValue1": "acme"}
    assert [ds["spec"]["datasource"]["type"] for ds in objs[1:]] == ["loki", "prometheus", "tempo"]


def test_loki_links_trace_ids_to_the_tenants_own_tempo(tenant, platform):
    loki = render_observability(tenant(), platform)[1]
    assert loki["spec"]["datasource"]["jsonData"]["derivedFields"] == [{
        "name": "TraceID", "matcherType": "label", "matcherRegex": "trace_id", "datasourceUid": "tenant-acme-tempo",
        "url": "${__value.raw}"}]
