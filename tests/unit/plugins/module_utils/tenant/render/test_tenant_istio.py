"""render/istio.py: PeerAuthentication, AuthorizationPolicy, Sidecar."""

from ansible_collections.openova.platform.plugins.module_utils.tenant.render.istio import render_istio


def test_istio_objects(tenant, platform, passwords):
    objs = render_istio(tenant(), platform)
    assert [(o["kind"], o["metadata"]["name"]) for o in objs[:3]] == [
        ("PeerAuthentication", "default"), ("AuthorizationPolicy", "openova-allow-tenant"), ("Sidecar", "default")]
    assert objs[0]["spec"] == {"mtls": {"mode": "STRICT"}}
    sources = objs[1]["spec"]["rules"][0]["from"][0]["source"]["namespaces"]
    assert sources == ["acme-dev", "acme-prod", "istio-ingress"]
    hosts = objs[2]["spec"]["egress"][0]["hosts"]
    assert hosts[0] == "./*" and "acme-prod/*" in hosts and "istio-system/*" in hosts
    assert "openova-data/*" in hosts and "globex-dev/*" not in hosts
