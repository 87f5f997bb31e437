"""render/dashboards.py: every tenant dashboard lives in the tenant's folder, every panel
uses one of the tenant's own datasources, and every query is scoped to the tenant."""

import json
import re

import pytest

from ansible_collections.openova.platform.plugins.module_utils.tenant.render import dashboards
from ansible_collections.openova.platform.plugins.module_utils.tenant.render.observability import (
    render_observability,
)


def models(objs):
    return {o["metadata"]["name"]: json.loads(o["spec"]["json"]) for o in objs}


def panels(model):
    for panel in model["panels"]:
        yield panel
        yield from panel.get("panels", [])


def queries(panel):
    for target in panel["targets"]:
        for key in ("expr", "query"):
            if key in target:
                yield target[key]


def test_four_dashboards_in_the_tenants_folder(tenant, platform):
    objs = dashboards.render_dashboards(tenant(display_name="ACME"), platform)
    assert [o["metadata"]["name"] for o in objs] == [
        "tenant-acme-services", "tenant-acme-workloads", "tenant-acme-logs", "tenant-acme-redpanda"]
    folder = next(o for o in render_observability(tenant(), platform) if o["kind"] == "GrafanaFolder")
    for obj in objs:
        assert obj["apiVersion"] == "grafana.integreatly.org/v1beta1" and obj["kind"] == "GrafanaDashboard"
        assert obj["metadata"]["namespace"] == "openova-observability"
        assert obj["metadata"]["labels"]["openova.io/tenant"] == "acme"
        assert obj["spec"]["folderRef"] == folder["metadata"]["name"]
        assert obj["spec"]["instanceSelector"] == {"matchLabels": {"openova.io/grafana-instance": "tenant-acme"}}
        model = json.loads(obj["spec"]["json"])
        assert model["uid"] == obj["spec"]["uid"] and len(model["uid"]) <= 40
        assert model["title"].startswith("ACME: ")


@pytest.mark.parametrize("name,namespaces", [("acme", ["acme-dev", "acme-prod"]), ("globex", ["globex"])])
def test_every_panel_uses_the_tenants_datasources_and_every_query_is_scoped(tenant, platform, name, namespaces):
    t = tenant(name=name, namespaces=namespaces, owners={"admin": ["%s-admins" % name]})
    own = {ds["spec"]["uid"] for ds in render_observability(t, platform) if ds["kind"] == "GrafanaDatasource"}
    ns_regex = "|".join(sorted(namespaces))
    seen_queries = 0
    for dash, model in models(dashboards.render_dashboards(t, platform)).items():
        for panel in panels(model):
            uids = {panel["datasource"]["uid"]} | {tg["datasource"]["uid"] for tg in panel["targets"]}
            assert uids <= own, (dash, panel["title"], uids)
            for link in (panel.get("fieldConfig") or {}).get("defaults", {}).get("links", []):
                uids = re.findall(r'"uid":"([^"]+)"', link["url"]) + re.findall(r'"datasource":"([^"]+)"', link["url"])
                assert uids
                for uid in uids:
                    assert uid in own, link
            for q in queries(panel):
                seen_queries += 1
                # every selector in the query names the tenant's namespaces or its consumer groups,
                # and nothing else selects data
                selectors = re.findall(r"\{([^{}]*)\}", q.replace("{{", "").replace("}}", ""))
                selectors = [sel for sel in selectors if "=" in sel]
                assert selectors, (dash, q)
                for sel in selectors:
                    scoped = ('namespace=~"%s"' % ns_regex in sel or 'namespace_name=~"%s"' % ns_regex in sel
                              or 'k8s.namespace.name =~ "%s"' % ns_regex in sel
                              or 'redpanda_group=~"%s\\\\..+"' % name in sel)
                    assert scoped, (dash, q)
    assert seen_queries >= 15


def test_long_tenant_names_get_short_dashboard_uids():
    uid = dashboards.dashboard_uid("a" * 40, "workloads")
    assert len(uid) <= 40 and uid != dashboards.dashboard_uid("a" * 39 + "b", "workloads")


def test_dashboards_are_deterministic_json(tenant, platform):
    a = dashboards.render_dashboards(tenant(), platform)
    assert a == dashboards.render_dashboards(tenant(), platform)
    for obj in a:
        assert obj["spec"]["json"] == json.dumps(json.loads(obj["spec"]["json"]), sort_keys=True)
