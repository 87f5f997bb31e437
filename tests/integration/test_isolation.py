"""Tenant isolation against a hostile tenant, on the local control plane: one test (or
a few) per finding of the isolation review, each acting as a tenant admin or developer
(impersonation) where a tenant user is the attacker, or driving onboarding with the
input a hostile tenant would ask for. Each would have passed the attack before its fix.

Simulated, and said so: kwok nodes run no pods and no CNI, so NetworkPolicies are
judged by cyclonus (tools/reachability.py) on the policies read from this cluster;
Kyverno verdicts come from live admission where the cluster runs Kyverno's webhooks,
else from the Kyverno CLI on the rendered policies with API calls answered by this API
server (tenant_user.kyverno_verdict)."""

import base64
import json
import os
import pwd
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

from ansible_collections.openova.platform.plugins.module_utils import facts
from ansible_collections.openova.platform.plugins.module_utils.apply import Engine
from ansible_collections.openova.platform.plugins.module_utils.client import Client
from ansible_collections.openova.platform.plugins.module_utils.errors import SpecError
from ansible_collections.openova.platform.plugins.module_utils.guardrails.run import run_guardrail_policies
from ansible_collections.openova.platform.plugins.module_utils.tenant.run import run_tenant
from tenant_user import as_user, dry_run, forbidden, kyverno_verdict, live_kyverno, platform_priority_classes

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))
import reachability  # noqa: E402

PLATFORM_NAMESPACES = (facts.REDPANDA_NAMESPACE, facts.DATA_NAMESPACE, facts.OBSERVABILITY_NAMESPACE,
                       facts.INGRESS_NAMESPACE, facts.ISTIO_NAMESPACE, facts.LLM_GATEWAY_NAMESPACE)


def uid():
    return uuid.uuid4().hex[:6]


def spec(name, **extra):
    out = {"name": name, "owners": {"admin": [name + "-admins"], "developer": [name + "-devs"],
                                    "viewer": [name + "-viewers"]},
           "namespaces": [name + "-dev", name + "-prod"]}
    out.update(extra)
    return out


def offboard(client, *names):
    run_tenant({"state": "absent", "tenants": [{"name": n} for n in names], "confirm_delete_pvcs": True},
               client=client)


def spec_error(client, tenants):
    """The SpecError onboarding raises for ``tenants``, checked to have written nothing."""
    engine = Engine(client)
    before = sorted(n["metadata"]["name"] for n in engine.list("v1", "Namespace"))
    with pytest.raises(SpecError) as err:
        run_tenant({"tenants": tenants}, client=client)
    after = sorted(n["metadata"]["name"] for n in engine.list("v1", "Namespace"))
    assert after == before, "onboarding wrote namespaces before refusing the input"
    return err.value


def fields(err):
    return [field for field, _msg in err.problems]


@pytest.fixture(scope="module")
def platform_ready(client):
    """What platform configuration creates before tenants arrive: the platform namespaces and
    PriorityClasses; the platform's own Grafana instance (selected by ``dashboards: grafana``).
    Created when missing, never deleted (other suites use them)."""
    engine = Engine(client)
    namespaces = [{"apiVersion": "v1", "kind": "Namespace",
                   "metadata": {"name": n, "labels": {facts.PLATFORM_LABEL: "true"}}} for n in PLATFORM_NAMESPACES]
    results = engine.apply(namespaces + platform_priority_classes())
    assert not [r.error for r in results if r.action == "failed"]
    grafana = {"apiVersion": "grafana.integreatly.org/v1beta1", "kind": "Grafana",
               "metadata": {"name": "grafana", "namespace": facts.GRAFANA_NAMESPACE,
                            "labels": dict(facts.GRAFANA_INSTANCE_LABELS)}, "spec": {}}
    assert engine.apply([grafana])[0].action != "failed"


@pytest.fixture(scope="module")
def tenants(client, platform_ready):
    """Two onboarded tenants, both with PostgreSQL."""
    a, b = "isoa" + uid(), "isob" + uid()
    result = run_tenant({"tenants": [spec(a, postgres={"enabled": True}), spec(b, postgres={"enabled": True})]},
                        client=client)
    assert not result.get("failed"), result.get("msg")
    yield a, b
    offboard(client, a, b)


@pytest.fixture(scope="module")
def guardrails(client):
    """With live Kyverno, the guard-rail policies must be installed for it to judge; the CLI
    reads them rendered."""
    if not live_kyverno(client):
        yield False
        return
    result = run_guardrail_policies({"state": "present"}, client=client)
    assert not result.get("failed"), result.get("msg")
    yield True
    run_guardrail_policies({"state": "absent"}, client=client)


def developer(kubeconfig, tenant):
    return as_user(kubeconfig, "dev@" + tenant, tenant + "-devs")


def admin(kubeconfig, tenant):
    return as_user(kubeconfig, "admin@" + tenant, tenant + "-admins")


def pod(name, namespace, **spec_extra):
    """A Pod that Pod Security 'restricted', the LimitRange and the quota admit."""
    container = {"name": "app", "image": "harbor.openova.io/x/app:1",
                 "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"cpu": "10m", "memory": "16Mi"}},
                 "securityContext": {"runAsNonRoot": True, "allowPrivilegeEscalation": False,
                                     "capabilities": {"drop": ["ALL"]}, "readOnlyRootFilesystem": True}}
    body = {"containers": [container], "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}}
    body.update(spec_extra)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace}, "spec": body}


def virtual_service(name, namespace, hosts, gateways, destination):
    return {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"hosts": hosts, "gateways": gateways,
                     "http": [{"route": [{"destination": {"host": destination, "port": {"number": 8080}}}]}]}}


# ---------------------------------------------------------------- 1. ingress hijack
def test_1_tenant_cannot_hand_write_endpoints(tenants, kubeconfig):
    """A selector-less Service plus hand-written Endpoints could point anywhere: tenant roles
    may read Endpoints and EndpointSlices, never write them."""
    a, _b = tenants
    dev = developer(kubeconfig, a)
    ns = a + "-dev"
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "wormhole", "namespace": ns},
               "spec": {"ports": [{"port": 80}]}}
    assert dry_run(dev, service).action == "created"  # a selector-less Service alone is harmless
    endpoints = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "wormhole", "namespace": ns},
                 "subsets": [{"addresses": [{"ip": "10.244.3.7"}], "ports": [{"port": 5432}]}]}
    slice_ = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
              "metadata": {"name": "wormhole-1", "namespace": ns, "labels": {"kubernetes.io/service-name": "wormhole"}},
              "addressType": "IPv4", "endpoints": [{"addresses": ["10.244.3.7"]}], "ports": [{"port": 5432}]}
    for obj in (endpoints, slice_):
        for who in (dev, admin(kubeconfig, a)):
            result = dry_run(who, obj)
            assert forbidden(result, "forbidden"), (obj["kind"], result.action, result.error)


HIJACKS = [
    ("platform host", ["grafana.openova.io"], ["istio-ingress/openova-ingress"], "shop"),
    ("registry host", ["harbor.openova.io"], ["istio-ingress/openova-ingress"], "shop"),
    ("other tenant's host", ["shop.{b}.openova.io"], ["istio-ingress/openova-ingress"], "shop"),
    ("whole domain", ["*.openova.io"], ["istio-ingress/openova-ingress"], "shop"),
    ("route to other tenant", ["shop.{a}.openova.io"], ["istio-ingress/openova-ingress"],
     "db.{b}-prod.svc.cluster.local"),
    ("route to the platform", ["shop.{a}.openova.io"], ["istio-ingress/openova-ingress"],
     "loki-gateway.openova-observability.svc.cluster.local"),
    ("foreign gateway", ["shop.{a}.openova.io"], ["istio-system/private-gw"], "shop"),
]


@pytest.mark.parametrize("what,hosts,gateways,destination", HIJACKS, ids=[h[0] for h in HIJACKS])
def test_1_virtual_service_hijack_is_refused(what, hosts, gateways, destination, tenants, guardrails, client,
                                             kubeconfig):
    a, b = tenants
    fill = dict(a=a, b=b)
    obj = virtual_service("hijack", a + "-dev", [h.format(**fill) for h in hosts], gateways,
                          destination.format(**fill))
    verdict, detail = kyverno_verdict(client, developer(kubeconfig, a), obj, kubeconfig, "restrict-virtual-service")
    assert verdict == "fail", detail


def test_1_own_virtual_services_are_admitted(tenants, guardrails, client, kubeconfig):
    a, _b = tenants
    for obj in (virtual_service("shop", a + "-dev", ["shop.%s.openova.io" % a, a + ".openova.io"],
                                ["istio-ingress/openova-ingress"], "shop"),
                virtual_service("api", a + "-dev", ["api"], ["mesh"], "api.%s-prod.svc.cluster.local" % a)):
        verdict, detail = kyverno_verdict(client, developer(kubeconfig, a), obj, kubeconfig, "restrict-virtual-service")
        assert verdict == "pass", detail


# ---------------------------------------------------------------- 2. telemetry across tenants
def test_2_each_tenant_has_its_own_grafana_instance(tenants, client):
    """The API server's own label matching: every Grafana object of a tenant selects exactly
    that tenant's Grafana instance, never the platform's or another tenant's."""
    engine = Engine(client)
    ns = facts.GRAFANA_NAMESPACE
    for tenant in tenants:
        owned = "%s=%s" % (facts.TENANT_LABEL, tenant)
        objects = [o for kind in ("GrafanaFolder", "GrafanaDatasource")
                   for o in engine.list("grafana.integreatly.org/v1beta1", kind, label_selector=owned, namespace=ns)]
        assert len(objects) == 4, [o["metadata"]["name"] for o in objects]
        for obj in objects:
            selector = facts.selector(obj["spec"]["instanceSelector"]["matchLabels"])
            selected = engine.list("grafana.integreatly.org/v1beta1", "Grafana", label_selector=selector, namespace=ns)
            assert [g["metadata"]["name"] for g in selected] == ["tenant-" + tenant], obj["metadata"]["name"]
        datasources = [o for o in objects if o["kind"] == "GrafanaDatasource"]
        assert {d["spec"]["datasource"]["secureJsonData"]["httpHeaderValue1"] for d in datasources} == {tenant}


def test_2_tenant_users_cannot_touch_the_grafana_namespace(tenants, kubeconfig):
    a, _b = tenants
    for who in (admin(kubeconfig, a), developer(kubeconfig, a)):
        with pytest.raises(Exception) as err:
            Engine(who).list("grafana.integreatly.org/v1beta1", "GrafanaDatasource",
                             namespace=facts.GRAFANA_NAMESPACE)
        assert "forbidden" in str(err.value).lower()


@pytest.fixture(scope="module")
def live_matrix(tenants, client, kubeconfig):
    """cyclonus on the NetworkPolicies as they are on this cluster: the tenants' own, read by
    each tenant's viewer, and the platform's, read by the platform."""
    a, b = tenants
    policies = []
    for tenant in (a, b):
        viewer = as_user(kubeconfig, "viewer@" + tenant, tenant + "-viewers")
        for ns in (tenant + "-dev", tenant + "-prod"):
            policies += Engine(viewer).list("networking.k8s.io/v1", "NetworkPolicy", namespace=ns)
    policies += list(reachability.platform_policies())
    for p in policies:
        for key in ("resourceVersion", "uid", "creationTimestamp", "managedFields", "generation"):
            p["metadata"].pop(key, None)
        p.pop("status", None)
        p.pop("apiVersion", None), p.pop("kind", None)
    model = reachability.model()
    # the model's two tenants are the live ones
    renames = {"acme-dev": a + "-dev", "acme-prod": a + "-prod", "globex": b + "-dev"}
    resources = model["Resources"]
    resources["Namespaces"] = dict((renames.get(ns, ns), dict(labels, **(
        {facts.NS_NAME_LABEL: renames[ns], facts.TENANT_LABEL: a if ns.startswith("acme") else b}
        if ns in renames else {}))) for ns, labels in resources["Namespaces"].items())
    for p in resources["Pods"]:
        p["Namespace"] = renames.get(p["Namespace"], p["Namespace"])
    verdicts, _raw = reachability.run_cyclonus(policies, model)
    print("\nReachability on this cluster's policies (cyclonus; simulated, no pod runs):")
    print(reachability.matrix(verdicts, ["%s-dev/web" % a, "%s-prod/api" % a, "%s-dev/shop" % b,
                                         "istio-ingress/gateway"]))
    return a, b, verdicts


def test_2_tenants_reach_the_collector_but_never_the_stores(live_matrix):
    a, _b, verdicts = live_matrix
    me = "%s-dev/web" % a
    obs = facts.OBSERVABILITY_NAMESPACE
    for port in facts.OTEL_PORTS:
        assert verdicts[(me, obs + "/otel-collector", port, "TCP")] == "allowed"
    for (source, dest, port, _proto), verdict in verdicts.items():
        if source == me and dest.startswith(obs + "/") and dest != obs + "/otel-collector":
            assert verdict == "denied", (dest, port)


# ---------------------------------------------------------------- 3. guard rails skipped by name
@pytest.mark.parametrize("name", ["redpanda", "observability", "harbor", "cnpg-system", "kyverno", "grafana"])
def test_3_names_the_guard_rails_or_platform_use_are_refused_before_any_write(name, client, platform_ready):
    err = spec_error(client, [spec(name, namespaces=[name])])
    assert "tenants[0] (%s).name" % name in fields(err), err.msg


def test_3_no_exempt_namespace_can_become_a_tenant_namespace(client, platform_ready):
    exempt = sorted(facts.EXEMPT_NAMESPACES)
    t = "iso" + uid()
    err = spec_error(client, [spec(t, namespaces=exempt)])
    assert sorted(f for f in fields(err) if ".namespaces[" in f) == sorted(
        "tenants[0] (%s).namespaces[%d]" % (t, i) for i in range(len(exempt)))


# ---------------------------------------------------------------- 4. priority escalation
@pytest.mark.parametrize("priority", ["system-node-critical", "system-cluster-critical", facts.PRIORITY_PLATFORM_CRITICAL,
                                      facts.PRIORITY_PLATFORM])
def test_4_the_api_server_refuses_platform_priorities(priority, tenants, kubeconfig):
    a, _b = tenants
    result = dry_run(developer(kubeconfig, a), pod("preempt", a + "-dev", priorityClassName=priority))
    assert forbidden(result, "exceeded quota: openova-priority"), (result.action, result.error)


def test_4_the_guard_rails_refuse_platform_priorities(tenants, guardrails, client, kubeconfig):
    a, _b = tenants
    ns = a + "-dev"
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "preempt", "namespace": ns},
                  "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "preempt"}},
                           "template": {"metadata": {"labels": {"app": "preempt"}},
                                        "spec": pod("x", ns, priorityClassName="system-node-critical")["spec"]}}}
    # The Deployment itself is admitted by the API server (its pods would hit the quota); Kyverno refuses it.
    verdict, detail = kyverno_verdict(client, developer(kubeconfig, a), deployment, kubeconfig,
                                      "restrict-priority-class")
    assert verdict == "fail", detail


def test_4_the_tenant_priority_is_admitted(tenants, kubeconfig):
    a, _b = tenants
    for extra in ({}, {"priorityClassName": facts.PRIORITY_TENANT}):
        result = dry_run(developer(kubeconfig, a), pod("ok", a + "-dev", **extra))
        assert result.action == "created", result.error


# ---------------------------------------------------------------- 5. service tricks
@pytest.mark.parametrize("what,body,expected", [
    ("externalIPs", {"ports": [{"port": 80}], "selector": {"app": "x"}, "externalIPs": ["203.0.113.10"]}, "fail"),
    ("ExternalName", {"type": "ExternalName", "externalName": "loki-gateway.openova-observability.svc"}, "fail"),
    ("ClusterIP", {"ports": [{"port": 80}], "selector": {"app": "x"}}, "pass"),
])
def test_5_service_tricks_are_refused(what, body, expected, tenants, guardrails, client, kubeconfig):
    a, _b = tenants
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "trick", "namespace": a + "-dev"},
               "spec": body}
    verdict, detail = kyverno_verdict(client, developer(kubeconfig, a), service, kubeconfig, "restrict-service")
    assert verdict == expected, detail


# ---------------------------------------------------------------- 6. shared database identities
def test_6_a_database_outside_the_tenants_name_is_refused(client, platform_ready):
    t = "iso" + uid()
    err = spec_error(client, [spec(t, postgres={"enabled": True, "database": "shared"})])
    assert "tenants[0] (%s).postgres.database" % t in fields(err), err.msg


def test_6_a_database_another_tenant_holds_is_refused(client, platform_ready):
    p = "isop" + uid()
    lookalike = p + "-x"  # its default database would be <p>_x, which p holds
    first = run_tenant({"tenants": [spec(p, postgres={"enabled": True, "database": p + "_x"})]}, client=client)
    try:
        assert not first.get("failed"), first.get("msg")
        err = spec_error(client, [spec(lookalike, postgres={"enabled": True})])
        assert "tenants[0] (%s).postgres.database" % lookalike in fields(err), err.msg
        assert "already belongs to tenant %r" % p in err.msg
        # and a tenant's database cannot be renamed (CloudNativePG keeps spec.name immutable): refused up front
        err = spec_error(client, [spec(p, postgres={"enabled": True, "database": p + "_y"})])
        assert "tenants[0] (%s).postgres.database" % p in fields(err), err.msg
    finally:
        offboard(client, p)


def test_6_every_tenant_has_its_own_role(tenants, client):
    engine = Engine(client)
    roles = {}
    for tenant in tenants:
        found = engine.list("postgresql.cnpg.io/v1", "DatabaseRole", namespace=facts.DATA_NAMESPACE,
                            label_selector="%s=%s" % (facts.TENANT_LABEL, tenant))
        assert len(found) == 1
        roles[tenant] = found[0]["spec"]["name"]
        secret = engine.get("v1", "Secret", "postgres-credentials", tenant + "-dev")
        assert base64.b64decode(secret["data"]["username"]).decode() == roles[tenant]
    assert len(set(roles.values())) == 2 and all(r == "tenant_" + t for t, r in roles.items())


# ---------------------------------------------------------------- 7. cluster-wide owners
@pytest.mark.parametrize("group", ["system:authenticated", "system:serviceaccounts", "system:masters"])
def test_7_system_groups_are_refused_before_any_write(group, client, platform_ready):
    t = "iso" + uid()
    err = spec_error(client, [dict(spec(t), owners={"admin": [t + "-admins"], "viewer": [group]})])
    assert "tenants[0] (%s).owners.viewer[0]" % t in fields(err), err.msg


def test_7_another_tenants_group_is_refused(tenants, client):
    a, _b = tenants
    t = "iso" + uid()
    err = spec_error(client, [dict(spec(t), owners={"admin": [t + "-admins"], "developer": [a + "-admins"]})])
    assert "tenants[0] (%s).owners.developer[0]" % t in fields(err), err.msg
    assert "already bound to tenant %r" % a in err.msg


def test_7_an_authenticated_stranger_has_no_access(tenants, kubeconfig):
    a, _b = tenants
    stranger = as_user(kubeconfig, "mallory", "system:authenticated")
    result = dry_run(stranger, {"apiVersion": "v1", "kind": "ConfigMap",
                                "metadata": {"name": "x", "namespace": a + "-dev"}, "data": {}})
    assert forbidden(result, "forbidden"), result.action


# ---------------------------------------------------------------- 8. a tenant can block the platform
def _delete_dry(who, path):
    try:
        who.request("DELETE", path, query={"dryRun": "All"})
    except Exception as exc:  # noqa: BLE001 - the refusal is the point
        return str(exc)
    return None


def tenant_apply(who, obj):
    """What ``kubectl apply --server-side --force-conflicts --dry-run=server`` does as the tenant user:
    taking the platform's fields by force, so that only admission can stop it."""
    return Engine(who, check_mode=True, workers=1, field_manager="kubectl", force_conflicts=True).apply([obj])[0]


def test_8_platform_written_objects_are_off_limits(tenants, kubeconfig):
    a, _b = tenants
    ns = a + "-dev"
    for who in (admin(kubeconfig, a), developer(kubeconfig, a)):
        patched_sa = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": ns},
                      "automountServiceAccountToken": True}
        result = tenant_apply(who, patched_sa)
        assert forbidden(result, "only the platform"), result.error
    boss = admin(kubeconfig, a)
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "redpanda-credentials", "namespace": ns},
              "data": {"password": base64.b64encode(b"mine").decode()}}
    result = tenant_apply(boss, secret)
    assert forbidden(result, "only the platform"), result.error
    for name in ("redpanda-credentials", "postgres-credentials"):
        error = _delete_dry(boss, "/api/v1/namespaces/%s/secrets/%s" % (ns, name))
        assert error and "only the platform" in error, error
    spoof = {"apiVersion": "v1", "kind": "Secret", "metadata": {
        "name": "spoof", "namespace": ns, "labels": facts.managed_labels(part_of=facts.PART_OF_TENANT, tenant=a)}}
    assert forbidden(dry_run(boss, spoof), "only the platform")
    own = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "mine", "namespace": ns}, "data": {}}
    assert dry_run(boss, own).action == "created"  # the tenant's own Secrets stay the tenant's


def test_8_one_tenants_conflict_does_not_stop_the_batch(client, platform_ready):
    """A field of tenant C's quota taken by another manager makes C's apply fail; tenant D in
    the same batch is still applied and its stale Topic pruned."""
    c, d = "isoc" + uid(), "isod" + uid()
    engine = Engine(client)
    first = run_tenant({"tenants": [spec(c), spec(d, topics=[{"name": d + ".old"}])]}, client=client)
    try:
        assert not first.get("failed"), first.get("msg")
        intruder = Engine(client, field_manager="intruder", force_conflicts=True)
        taken = intruder.apply([{"apiVersion": "v1", "kind": "ResourceQuota",
                                 "metadata": {"name": "openova-quota", "namespace": c + "-dev"},
                                 "spec": {"hard": {"pods": "99"}}}])[0]
        assert taken.action == "updated", taken.error
        second = run_tenant({"tenants": [spec(c), spec(d)]}, client=client)
        assert not second["tenants"][d]["failed"]
        # D's stale Topic is pruned although C failed
        assert engine.get("cluster.redpanda.com/v1alpha2", "Topic", d + ".old", facts.REDPANDA_NAMESPACE) is None
        assert "Topic %s/%s" % (facts.REDPANDA_NAMESPACE, d + ".old") in " ".join(second["tenants"][d]["deleted"])
        assert any("conflict" in e for e in second["tenants"][c]["failed"])
        assert second.get("failed") and second.get("failed_tenants") == [c], second.get("msg")
    finally:
        offboard(client, c, d)


# ---------------------------------------------------------------- 9. tenant sidecars and istiod
def test_9_tenant_sidecars_reach_istiod_xds(live_matrix):
    a, _b, verdicts = live_matrix
    istiod = "%s/istiod" % facts.ISTIO_NAMESPACE
    assert verdicts[("%s-dev/web" % a, istiod, 15012, "TCP")] == "allowed"
    assert verdicts[("%s-dev/web" % a, istiod, 15010, "TCP")] == "denied"


# ---------------------------------------------------------------- 10. a predictable discovery cache
NOBODY = 65534


def _poison(path):
    """A discovery cache that says ConfigMaps are served as 'secrets', written by another user."""
    rows = [["v1", "ConfigMap", "secrets", True, ["get", "list", "create", "patch", "delete"]]]
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(rows))
    os.chmod(path, 0o666)
    try:
        os.chown(path, NOBODY, NOBODY)
    except PermissionError:
        pass  # not root: the file is ours, the predictable place is what is judged


def test_10_a_planted_discovery_cache_is_not_trusted(kubeconfig):
    probe = Client({"kubeconfig": kubeconfig})
    # Where the cache used to be: the temp dir, a name derived from the API server and credentials.
    import hashlib
    who = "%s|%s|%s" % (probe.config.host, probe.config.cert_file, probe.config.api_key)
    old = os.path.join(tempfile.gettempdir(), "openova-discovery-%s.json" % hashlib.sha256(who.encode()).hexdigest()[:16])
    planted = [old]
    current = getattr(probe, "_cache_file", None)
    if callable(current) and current() not in planted:
        planted.append(current())
    saved = {}
    for path in planted:
        if os.path.exists(path):
            saved[path] = Path(path).read_bytes()
        _poison(path)
    try:
        fresh = Client({"kubeconfig": kubeconfig})
        assert fresh.resource("v1", "ConfigMap").plural == "configmaps"
    finally:
        for path in planted:
            if os.path.exists(path):
                os.remove(path)
            if path in saved:
                Path(path).write_bytes(saved[path])
                os.chmod(path, 0o600)
    assert pwd.getpwuid(os.getuid())  # the test ran as a real local user
