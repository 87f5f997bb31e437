"""traffic_policy against the real API server with the upstream Istio CRDs:
the schemas accept every object, weight shifts are idempotent, check mode
writes nothing, optional parts are pruned, and bad input never reaches the API."""

import uuid

import pytest
import yaml

from ansible_collections.openova.platform.plugins.module_utils.errors import SpecError
from ansible_collections.openova.platform.plugins.module_utils.traffic.run import run_traffic_policy
from harness import run_playbook

TENANT = "acme"
NET = "networking.istio.io/v1"


@pytest.fixture()
def tenant_ns(engine):
    """A namespace as the tenant module leaves it: tenant label, sidecar injection, PSA restricted."""
    name = "it-traffic-" + uuid.uuid4().hex[:6]
    engine.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": {
        "openova.io/tenant": TENANT, "istio-injection": "enabled",
        "pod-security.kubernetes.io/enforce": "restricted"}}}])
    yield name
    engine.delete([("v1", "Namespace", "", name)])


def policy(namespace, **extra):
    base = {"name": "shop", "namespace": namespace, "tenant": TENANT, "port": 8080,
            "subsets": [{"name": "v1"}, {"name": "v2"}], "weights": {"v1": 90, "v2": 10}}
    base.update(extra)
    return base


FULL = dict(
    routes=[{"name": "beta", "match": [{"headers": {"x-beta": {"exact": "1"}}},
                                       {"cookie": {"name": "group", "value": "beta"}}],
             "destinations": [{"subset": "v2"}]}],
    timeout="5s", retries={"attempts": 3, "per_try_timeout": "2s", "retry_on": "5xx,connect-failure"},
    connection_pool={"tcp": {"max_connections": 100, "connect_timeout": "1s"},
                     "http": {"http1_max_pending_requests": 10, "max_retries": 3}},
    outlier_detection={"consecutive_5xx_errors": 5, "interval": "10s", "base_ejection_time": "30s",
                       "max_ejection_percent": 50},
    rate_limit={"max_tokens": 100, "tokens_per_fill": 10, "fill_interval": "1s"},
    gateway={"hosts": ["shop.acme.openova.io"], "path": "/shop", "gateway": "istio-ingress/openova-ingress"},
)


def weights(engine, namespace, name="shop", route=-1):
    vs = engine.get(NET, "VirtualService", name, namespace)
    return {r["destination"].get("subset"): r["weight"] for r in vs["spec"]["http"][route]["route"]}


def test_crd_schemas_accept_every_object_and_read_back(client, engine, tenant_ns):
    result = run_traffic_policy(policy(tenant_ns, **FULL), client=client)
    assert not result.get("failed"), result.get("msg")
    assert [(r["kind"], r["name"], r["action"]) for r in result["results"]] == [
        ("DestinationRule", "shop", "created"), ("VirtualService", "shop", "created"),
        ("EnvoyFilter", "shop-ratelimit", "created"), ("VirtualService", "shop-ingress", "created")]

    vs = engine.get(NET, "VirtualService", "shop", tenant_ns)
    beta, default = vs["spec"]["http"]
    assert beta["match"][0]["headers"]["x-beta"] == {"exact": "1"}
    assert "group=beta" in beta["match"][1]["headers"]["cookie"]["regex"]
    assert default["retries"] == {"attempts": 3, "perTryTimeout": "2s", "retryOn": "5xx,connect-failure"}
    assert default["timeout"] == "5s"
    assert weights(engine, tenant_ns) == {"v1": 90, "v2": 10}

    dr = engine.get(NET, "DestinationRule", "shop", tenant_ns)
    assert dr["spec"]["trafficPolicy"]["connectionPool"]["tcp"] == {"maxConnections": 100, "connectTimeout": "1s"}
    assert dr["spec"]["trafficPolicy"]["outlierDetection"]["consecutive5xxErrors"] == 5
    assert [s["labels"] for s in dr["spec"]["subsets"]] == [{"version": "v1"}, {"version": "v2"}]

    ef = engine.get("networking.istio.io/v1alpha3", "EnvoyFilter", "shop-ratelimit", tenant_ns)
    assert ef["spec"]["workloadSelector"]["labels"] == {"app": "shop"}
    value = ef["spec"]["configPatches"][0]["patch"]["value"]
    assert value["name"] == "envoy.filters.http.local_ratelimit"
    assert value["typed_config"]["token_bucket"]["max_tokens"] == 100

    ingress = engine.get(NET, "VirtualService", "shop-ingress", tenant_ns)
    assert ingress["spec"]["gateways"] == ["istio-ingress/openova-ingress"]
    assert ingress["spec"]["http"][0]["match"] == [{"uri": {"prefix": "/shop"}}]


def test_the_real_schema_is_enforced(client, engine, tenant_ns):
    """The proof above means something: the CRD's CEL rules reject a bad duration
    that skips our validation (sent straight through the engine)."""
    bad = {"apiVersion": NET, "kind": "VirtualService", "metadata": {"name": "raw", "namespace": tenant_ns},
           "spec": {"hosts": ["raw"], "http": [{"timeout": "0.1ms", "route": [{"destination": {"host": "raw"}}]}]}}
    [result] = engine.apply([bad])
    assert result.action == "failed" and "timeout" in result.error


def test_weight_shift_is_idempotent_and_check_mode_writes_nothing(client, engine, tenant_ns):
    run_traffic_policy(policy(tenant_ns), client=client)
    before = engine.get(NET, "VirtualService", "shop", tenant_ns)["metadata"]["resourceVersion"]

    dry = run_traffic_policy(policy(tenant_ns, weights={"v1": 50, "v2": 50}), client=client, check_mode=True,
                             diff=True)
    assert dry["changed"] is True
    assert [d["before_header"] for d in dry["diff"]] == ["VirtualService %s/shop" % tenant_ns]
    live = engine.get(NET, "VirtualService", "shop", tenant_ns)
    assert live["metadata"]["resourceVersion"] == before
    assert weights(engine, tenant_ns) == {"v1": 90, "v2": 10}

    first = run_traffic_policy(policy(tenant_ns, weights={"v1": 50, "v2": 50}), client=client)
    assert first["changed"] is True
    assert weights(engine, tenant_ns) == {"v1": 50, "v2": 50}
    after = engine.get(NET, "VirtualService", "shop", tenant_ns)["metadata"]["resourceVersion"]

    second = run_traffic_policy(policy(tenant_ns, weights={"v1": 50, "v2": 50}), client=client, diff=True)
    assert second["changed"] is False and second["diff"] == []
    assert {r["action"] for r in second["results"]} == {"unchanged"}
    assert engine.get(NET, "VirtualService", "shop", tenant_ns)["metadata"]["resourceVersion"] == after


def test_turning_optional_parts_off_prunes_them(client, engine, tenant_ns):
    run_traffic_policy(policy(tenant_ns, **FULL), client=client)
    dry = run_traffic_policy(policy(tenant_ns), client=client, check_mode=True)
    assert sorted(r["name"] for r in dry["results"] if r["action"] == "deleted") == ["shop-ingress", "shop-ratelimit"]
    assert engine.get("networking.istio.io/v1alpha3", "EnvoyFilter", "shop-ratelimit", tenant_ns) is not None

    result = run_traffic_policy(policy(tenant_ns), client=client)
    deleted = sorted(r["name"] for r in result["results"] if r["action"] == "deleted")
    assert deleted == ["shop-ingress", "shop-ratelimit"]
    assert engine.get("networking.istio.io/v1alpha3", "EnvoyFilter", "shop-ratelimit", tenant_ns) is None
    assert engine.get(NET, "VirtualService", "shop-ingress", tenant_ns) is None
    dr = engine.get(NET, "DestinationRule", "shop", tenant_ns)
    assert "trafficPolicy" not in dr["spec"]  # circuit breaking removed with it


INVALID = [
    ("weights sum", dict(weights={"v1": 90, "v2": 20}), "weights"),
    ("duration", dict(timeout="5 seconds"), "timeout"),
    ("per-try duration", dict(retries={"attempts": 2, "per_try_timeout": "2"}), "retries.per_try_timeout"),
    ("missing subset", dict(weights={"v1": 90, "v3": 10}), "weights[1].subset"),
    ("host outside namespace", dict(host="shop.other.svc.cluster.local"), "host"),
    ("route host outside namespace",
     dict(routes=[{"match": [{"headers": {"x-a": {"exact": "1"}}}],
                   "destinations": [{"host": "db.kube-system.svc.cluster.local"}]}]),
     "routes[0].destinations[0].host"),
    ("negative retries", dict(retries={"attempts": -1}), "retries.attempts"),
    ("token bucket", dict(rate_limit={"max_tokens": 0, "tokens_per_fill": 1, "fill_interval": "1s"}),
     "rate_limit.max_tokens"),
    ("fill interval", dict(rate_limit={"max_tokens": 5, "tokens_per_fill": 1, "fill_interval": "1 s"}),
     "rate_limit.fill_interval"),
    ("header match", dict(routes=[{"match": [{"headers": {"x-a": {"exact": "1", "regex": "1"}}}],
                                   "destinations": [{"subset": "v2"}]}]), "routes[0].match[0].headers.x-a"),
    ("cookie match", dict(routes=[{"match": [{"cookie": {"name": "group", "value": "a;b"}}],
                                   "destinations": [{"subset": "v2"}]}]), "routes[0].match[0].cookie.value"),
]


@pytest.mark.parametrize("overrides, field", [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_policy_is_rejected_before_any_request(client, engine, tenant_ns, overrides, field):
    sent = client.requests
    with pytest.raises(SpecError) as err:
        run_traffic_policy(policy(tenant_ns, **overrides), client=client)
    assert client.requests == sent, "validation must finish before the first request"
    assert field in [p["field"] for p in err.value.details["problems"]]
    assert field in err.value.msg
    assert engine.list(NET, "VirtualService", namespace=tenant_ns) == []
    assert engine.list(NET, "DestinationRule", namespace=tenant_ns) == []


def test_namespace_of_another_tenant_is_refused(client, engine, tenant_ns):
    with pytest.raises(SpecError, match="belongs to tenant 'acme' .*not to 'globex'"):
        run_traffic_policy(policy(tenant_ns, tenant="globex"), client=client)
    assert engine.list(NET, "VirtualService", namespace=tenant_ns) == []


def test_module_shell_check_mode_and_diff(kubeconfig, engine, tenant_ns, tmp_path):
    """The module through ansible-playbook: --check writes nothing, --diff shows the weights."""
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump([{
        "name": "traffic", "hosts": "localhost", "gather_facts": False,
        "tasks": [{"name": "policy", "openova.platform.traffic_policy": {
            "kubeconfig": kubeconfig, "name": "shop", "namespace": tenant_ns, "tenant": TENANT,
            "subsets": [{"name": "v1"}, {"name": "v2"}], "weights": "{{ weights }}"}}]}]))

    def run(weights_, **kwargs):
        out = run_playbook(playbook, kubeconfig, extra_vars={"weights": weights_}, **kwargs)[1]
        return out["plays"][0]["tasks"][0]["hosts"]["localhost"]

    dry = run({"v1": 90, "v2": 10}, check=True)
    assert dry["changed"] and engine.list(NET, "VirtualService", namespace=tenant_ns) == []
    assert run({"v1": 90, "v2": 10})["changed"]
    shifted = run({"v1": "50", "v2": "50"}, diff=True)
    assert shifted["changed"] and shifted["api_requests"] > 0
    [diff] = shifted["diff"]
    assert diff["before_header"] == "VirtualService %s/shop" % tenant_ns
    assert [r["weight"] for r in diff["before"]["spec"]["http"][-1]["route"]] == [90, 10]
    assert [r["weight"] for r in diff["after"]["spec"]["http"][-1]["route"]] == [50, 50]
    assert "managedFields" not in diff["after"]["metadata"]
    assert run({"v1": 50, "v2": 50})["changed"] is False


def test_state_absent_removes_every_traffic_object(client, engine, tenant_ns):
    run_traffic_policy(policy(tenant_ns, **FULL), client=client)
    gone = run_traffic_policy({"name": "shop", "namespace": tenant_ns, "tenant": TENANT, "state": "absent"},
                              client=client)
    assert gone["changed"] and sorted((r["kind"], r["action"]) for r in gone["results"]) == [
        ("DestinationRule", "deleted"), ("EnvoyFilter", "deleted"), ("VirtualService", "deleted"),
        ("VirtualService", "deleted")]
    assert engine.list(NET, "VirtualService", namespace=tenant_ns) == []
    again = run_traffic_policy({"name": "shop", "namespace": tenant_ns, "tenant": TENANT, "state": "absent"},
                               client=client)
    assert again["changed"] is False and again["results"] == []
