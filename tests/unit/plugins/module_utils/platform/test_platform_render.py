"""platform/render.py: the platform configuration, rendered in Python (no cluster)."""

import copy
from pathlib import Path

import yaml

from ansible_collections.openova.platform.plugins.module_utils import facts
from ansible_collections.openova.platform.plugins.module_utils.platform import render
from ansible_collections.openova.platform.plugins.module_utils.platform.config import normalize
from ansible_collections.openova.platform.plugins.module_utils.tenant.render import render_tenant
from ansible_collections.openova.platform.plugins.module_utils.tenant.render.network import render_network_policies
from ansible_collections.openova.platform.plugins.module_utils.tenant.validate import normalize_platform, validate

REPO = Path(__file__).resolve().parents[5]


def config(**params):
    return normalize(dict({"phase": "configure"}, **params))


def kinds(objects, kind):
    return [o for o in objects if o["kind"] == kind]


def test_prepare_renders_namespaces_of_the_selected_components_and_the_priority_classes():
    objects = render.render_platform(config(components=["istio", "postgresql", "redis"]), "prepare")
    assert [o["metadata"]["name"] for o in kinds(objects, "Namespace")] == [
        "istio-system", "istio-ingress", "cnpg-system", "openova-data"]
    for ns in kinds(objects, "Namespace"):
        assert ns["metadata"]["labels"][facts.PLATFORM_LABEL] == "true"
        assert ns["metadata"]["labels"][render.PHASE_LABEL] == "prepare"
    pcs = kinds(objects, "PriorityClass")
    assert [p["metadata"]["name"] for p in pcs] == [pc["name"] for pc in facts.PRIORITY_CLASSES]
    assert all(p["globalDefault"] is False and isinstance(p["value"], int) for p in pcs)


def test_mesh_wide_mtls_is_strict():
    pa = kinds(render.render_platform(config(), "configure"), "PeerAuthentication")
    assert pa == [{"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
                   "metadata": {"name": "default", "namespace": "istio-system", "labels": render.labels("configure")},
                   "spec": {"mtls": {"mode": "STRICT"}}}]


def test_ingress_gateway_serves_the_domain_and_selects_the_gateway_release_pods():
    (gw,) = kinds(render.render_platform(config(domain="example.com"), "configure"), "Gateway")
    istio = yaml.safe_load((REPO / "roles/istio/defaults/main.yml").read_text())
    assert gw["spec"]["selector"] == {"istio": istio["istio_gateway_release_name"].removeprefix("istio-")}
    assert gw["spec"]["servers"][0]["hosts"] == ["*.example.com"]
    assert "%s/%s" % (gw["metadata"]["namespace"], gw["metadata"]["name"]) == facts.INGRESS_GATEWAY
    (gw,) = kinds(render.render_platform(config(), "configure"), "Gateway")
    assert gw["spec"]["servers"][1]["hosts"] == ["*.openova.io"]


def test_platform_namespaces_get_network_policies():
    cfg = config()
    policies = dict((o["metadata"]["namespace"], o)
                    for o in kinds(render.render_platform(cfg, "configure"), "NetworkPolicy"))
    assert set(policies) == set(render.platform_namespaces(cfg)) == set(facts.PLATFORM_NAMESPACES)
    tenants = {"namespaceSelector": {"matchExpressions": [{"key": "openova.io/tenant", "operator": "Exists"}]}}
    assert tenants in policies["openova-data"]["spec"]["ingress"][0]["from"]
    kyverno = policies["kyverno"]["spec"]["ingress"]
    assert kyverno[1] == {"ports": [{"port": 9443, "protocol": "TCP"}]}
    assert all("openova.io/tenant" not in str(r) for r in kyverno)


def test_tenant_sidecars_reach_istiod_on_xds_and_the_api_server_on_the_webhook():
    istio = next(o for o in render.render_platform(config(), "configure")
                 if o["kind"] == "NetworkPolicy" and o["metadata"]["namespace"] == "istio-system")
    rules = istio["spec"]["ingress"]
    tenants = {"namespaceSelector": {"matchExpressions": [{"key": "openova.io/tenant", "operator": "Exists"}]}}
    assert {"from": [tenants], "ports": [{"port": 15012, "protocol": "TCP"}]} in rules
    assert {"ports": [{"port": 15017, "protocol": "TCP"}]} in rules
    assert tenants not in rules[0]["from"]  # no other istiod port for tenants


def test_tenant_and_platform_policies_agree_on_istiod():
    """The tenant side allows egress to istio-system; the platform side lets the sidecars in on 15012."""
    platform = normalize_platform({})
    tenant = validate([{"name": "acme", "owners": {"admin": ["g"]}}], platform)[0]
    egress = next(p for p in render_network_policies(tenant, platform)
                  if p["metadata"]["name"] == "openova-allow-platform")["spec"]["egress"][0]["to"][0]
    assert facts.ISTIO_NAMESPACE in egress["namespaceSelector"]["matchExpressions"][0]["values"]
    istio = next(o for o in render.render_network_policies(config())
                 if o["metadata"]["namespace"] == facts.ISTIO_NAMESPACE)
    assert any(r.get("ports") == [{"port": facts.ISTIOD_XDS_PORT, "protocol": "TCP"}] for r in istio["spec"]["ingress"])


def test_platform_and_tenant_policies_are_born_the_same_way():
    platform = normalize_platform({})
    tenant = validate([{"name": "acme", "owners": {"admin": ["g"]}}], platform)[0]
    tenant_policy = render_tenant(tenant, platform, {"redpanda": "x", "postgres": "y"})
    tenant_policy = next(o for o in tenant_policy if o["kind"] == "NetworkPolicy")
    platform_policy = render.render_network_policies(config())[0]
    assert set(tenant_policy) == set(platform_policy) == {"apiVersion", "kind", "metadata", "spec"}
    assert set(tenant_policy["spec"]) <= {"podSelector", "policyTypes", "ingress", "egress"}
    assert set(platform_policy["spec"]) == {"podSelector", "policyTypes", "ingress"}


def test_grafana_datasources_carry_the_platform_org_id():
    objects = render.render_platform(config(), "configure")
    ds = kinds(objects, "GrafanaDatasource")
    assert {d["spec"]["datasource"]["type"] for d in ds} == {"loki", "prometheus", "tempo"}
    for d in ds:
        assert d["metadata"]["namespace"] == "openova-observability"
        assert d["spec"]["instanceSelector"] == {"matchLabels": {"dashboards": "grafana"}}
        assert d["spec"]["datasource"]["jsonData"] == {"httpHeaderName1": "X-Scope-OrgID"}
        assert d["spec"]["datasource"]["secureJsonData"] == {"httpHeaderValue1": "platform"}
    (wiring,) = kinds(objects, "ConfigMap")
    assert wiring["data"]["loki"] == facts.QUERY_URLS["loki"] and wiring["data"]["tenant-label"] == facts.TENANT_LABEL


def test_components_left_out_render_nothing_of_theirs():
    objects = render.render_platform(config(components=["kyverno"]), "configure")
    assert [(o["kind"], o["metadata"].get("namespace")) for o in objects] == [("NetworkPolicy", "kyverno")]


def test_rendering_is_pure_and_deterministic():
    cfg = config()
    before = copy.deepcopy(cfg)
    assert render.render_platform(cfg, "configure") == render.render_platform(cfg, "configure")
    assert cfg == before


def test_priority_classes_exist_for_the_values_that_use_them():
    """Every priorityClassName in a component's chart values is one the platform creates."""
    names = {o["metadata"]["name"] for o in render.render_priority_classes(config())}
    used = set()
    for path in (REPO / "roles").glob("*/defaults/main.yml"):
        used |= set(v for v in _walk(yaml.safe_load(path.read_text())) if v.startswith("openova-platform"))
    assert used and used <= names


def _walk(value, key=None):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v, key)
    elif key == "priorityClassName" and isinstance(value, str):
        yield value
