"""Tenant onboarding and offboarding against the real local control plane with
the upstream CRDs installed. Tenant names are unique per run; every tenant a
test creates is offboarded afterwards."""

import base64
import uuid

import pytest

from ansible_collections.openova.platform.plugins.module_utils.apply import Engine
from ansible_collections.openova.platform.plugins.module_utils.errors import ApiError, SpecError
from ansible_collections.openova.platform.plugins.module_utils.tenant.run import OWNED_KINDS, run_tenant
from ansible_collections.openova.platform.plugins.module_utils.tenant.render.meta import owned_selector

# Client.request JSON-encodes the body itself; with a JSON content type the
# kubernetes client encodes that string a second time, so POSTs use YAML (a
# superset of JSON) as the content type.
PLATFORM_NAMESPACES = ("openova-redpanda", "openova-data", "openova-observability", "istio-ingress")


def uid():
    return uuid.uuid4().hex[:6]


def spec(name, **extra):
    out = {"name": name, "owners": {"admin": [name + "-admins"], "developer": [name + "-devs"],
                                    "viewer": [name + "-viewers"]},
           "namespaces": [name + "-dev", name + "-prod"]}
    out.update(extra)
    return out


@pytest.fixture(scope="module")
def platform_namespaces(client):
    """The platform namespaces tenant objects refer to; created when missing, never deleted
    (other suites and the platform itself use them)."""
    Engine(client).apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}}
                          for n in PLATFORM_NAMESPACES])


def offboard(client, *names):
    run_tenant({"state": "absent", "tenants": [{"name": n} for n in names], "confirm_delete_pvcs": True},
               client=client)


@pytest.fixture(scope="module")
def pair(client, platform_namespaces):
    """Two onboarded tenants: A with topics and PostgreSQL, B plain."""
    a, b = "ta" + uid(), "tb" + uid()
    topics = [{"name": a + ".orders", "partitions": 3}, {"name": a + ".events"}]
    tenants = [spec(a, display_name="Tenant A", topics=topics,
                    postgres={"enabled": True}, quota={"requests_cpu": "1", "limits_cpu": "1"},
                    network={"egress_cidrs": ["10.20.0.0/16"]}),
               spec(b)]
    first = run_tenant({"tenants": tenants}, client=client)
    yield a, b, tenants, first
    offboard(client, a, b)


def owned_versions(engine, names):
    out = {}
    for api_version, kind in OWNED_KINDS + (("v1", "Namespace"),):
        for obj in engine.list(api_version, kind, label_selector=owned_selector(names)):
            meta = obj["metadata"]
            out[(kind, meta.get("namespace"), meta["name"])] = meta["resourceVersion"]
    return out


def test_onboarding_creates_every_object(pair, engine):
    a, b, _tenants, first = pair
    assert first["changed"] is True
    assert not first.get("failed"), first.get("msg")
    assert not first["tenants"][a]["failed"] and not first["tenants"][b]["failed"]
    kinds = {entry.split(" ")[0] for entry in first["tenants"][a]["created"]}
    assert kinds == {"Namespace", "ServiceAccount", "ResourceQuota", "LimitRange", "NetworkPolicy", "RoleBinding",
                     "PeerAuthentication", "AuthorizationPolicy", "Sidecar", "Secret", "Topic", "User",
                     "Database", "DatabaseRole", "GrafanaFolder", "GrafanaDatasource"}
    ns = engine.get("v1", "Namespace", a + "-dev")
    labels, annotations = ns["metadata"]["labels"], ns["metadata"]["annotations"]
    assert labels["openova.io/tenant"] == a
    assert labels["app.kubernetes.io/managed-by"] == "openova-platform"
    assert labels["istio-injection"] == "enabled"
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert annotations["openova.io/scope-orgid"] == a
    assert annotations["openova.io/harbor-project"] == a
    assert annotations["openova.io/allowed-registries"] == "harbor.openova.io/" + a
    quota = engine.get("v1", "ResourceQuota", "openova-quota", a + "-prod")
    assert quota["spec"]["hard"]["services.loadbalancers"] == "0"
    assert quota["spec"]["hard"]["services.nodeports"] == "0"
    assert engine.get("v1", "ServiceAccount", "default", a + "-dev")["automountServiceAccountToken"] is False
    assert engine.get("security.istio.io/v1", "PeerAuthentication", "default", a + "-dev")["spec"]["mtls"] == {
        "mode": "STRICT"}
    user = engine.get("cluster.redpanda.com/v1alpha2", "User", "tenant-" + a, "openova-redpanda")
    assert {acl["resource"]["patternType"] for acl in user["spec"]["authorization"]["acls"]} == {"prefixed"}
    assert engine.get("cluster.redpanda.com/v1alpha2", "Topic", a + ".orders", "openova-redpanda")
    assert engine.get("postgresql.cnpg.io/v1", "Database", "tenant-" + a, "openova-data")["spec"]["owner"] == \
        a.replace("-", "_")
    ds = engine.get("grafana.integreatly.org/v1beta1", "GrafanaDatasource", "tenant-%s-loki" % a,
                    "openova-observability")
    assert ds["spec"]["datasource"]["jsonData"]["httpHeaderName1"] == "X-Scope-OrgID"
    assert ds["spec"]["datasource"]["secureJsonData"]["httpHeaderValue1"] == a


def test_credential_secrets_follow_the_contract(pair, engine):
    a, b, _tenants, first = pair
    rp_password = None
    for ns in (a + "-dev", a + "-prod"):
        rp = engine.get("v1", "Secret", "redpanda-credentials", ns)
        values = dict((k, base64.b64decode(v).decode()) for k, v in rp["data"].items())
        assert set(values) == {"username", "password", "mechanism", "bootstrap_servers"}
        assert values["mechanism"] == "SCRAM-SHA-512"
        assert rp_password in (None, values["password"])
        rp_password = values["password"]
        pg = engine.get("v1", "Secret", "postgres-credentials", ns)
        assert set(pg["data"]) == {"username", "password", "host", "port", "dbname", "uri"}
    user_secret = engine.get("v1", "Secret", "tenant-%s-redpanda" % a, "openova-redpanda")
    assert base64.b64decode(user_secret["data"]["password"]).decode() == rp_password
    assert engine.get("v1", "Secret", "postgres-credentials", b + "-dev") is None
    assert rp_password not in repr(first)


def test_second_run_is_a_noop(pair, client, engine):
    a, b, tenants, _first = pair
    before = owned_versions(engine, [a, b])
    again = run_tenant({"tenants": tenants}, client=client, diff=True)
    assert again["changed"] is False
    assert again["diff"] == []
    assert again["tenants"][a]["created"] == [] and again["tenants"][a]["updated"] == []
    assert owned_versions(engine, [a, b]) == before


def test_check_mode_writes_nothing(pair, client, engine):
    a, b, tenants, _first = pair
    before = owned_versions(engine, [a, b])
    changed = [dict(tenants[0], tier="large"), tenants[1]]
    result = run_tenant({"tenants": changed}, client=client, check_mode=True, diff=True)
    assert result["changed"] is True
    assert [d["before_header"] for d in result["diff"]] == [
        "ResourceQuota %s-dev/openova-quota" % a, "ResourceQuota %s-prod/openova-quota" % a]
    assert result["diff"][0]["before"]["spec"]["hard"]["pods"] == "20"
    assert result["diff"][0]["after"]["spec"]["hard"]["pods"] == "200"
    new = "tc" + uid()
    fresh = run_tenant({"tenants": [spec(new)]}, client=client, check_mode=True)
    assert fresh["changed"] is True and fresh["tenants"][new]["created"]
    assert engine.get("v1", "Namespace", new + "-dev") is None
    assert owned_versions(engine, [a, b, new]) == before


def test_diff_hides_secret_values(client, platform_namespaces, engine):
    name = "td" + uid()
    try:
        result = run_tenant({"tenants": [spec(name)]}, client=client, diff=True)
        secrets = [d for d in result["diff"] if d["after_header"].startswith("Secret ")]
        assert secrets and all(set(d["after"]["data"].values()) == {"VALUE_HIDDEN"} for d in secrets)
    finally:
        offboard(client, name)


SAR_RESOURCES = [  # (group, resource)
    ("", "pods"), ("", "services"), ("", "configmaps"), ("", "secrets"), ("", "persistentvolumeclaims"),
    ("", "serviceaccounts"), ("apps", "deployments"), ("apps", "statefulsets"), ("batch", "jobs"),
    ("", "resourcequotas"), ("", "limitranges"), ("networking.k8s.io", "networkpolicies"),
    ("rbac.authorization.k8s.io", "rolebindings"), ("security.istio.io", "peerauthentications"),
    ("security.istio.io", "authorizationpolicies"), ("networking.istio.io", "sidecars"),
    ("networking.istio.io", "virtualservices"),
]
VERBS = ("get", "list", "create", "update", "delete")


def allowed(client, user, groups, namespace, verb, group, resource):
    review = client.request("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", body={
        "apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
        "spec": {"user": user, "groups": groups, "resourceAttributes": {
            "namespace": namespace, "verb": verb, "group": group, "resource": resource}}})
    return review["status"].get("allowed", False)


def test_isolation_matrix(pair, client):
    a, b, _tenants, _first = pair
    subjects = [("alice", [a + "-admins", "system:authenticated"]),
                ("dave", [a + "-devs", "system:authenticated"]),
                ("vera", [a + "-viewers", "system:authenticated"]),
                ("system:serviceaccount:%s-dev:default" % a,
                 ["system:serviceaccounts", "system:serviceaccounts:%s-dev" % a, "system:authenticated"])]
    leaks = []
    for user, groups in subjects:
        for ns in (b + "-dev", b + "-prod"):
            for group, resource in SAR_RESOURCES:
                for verb in VERBS:
                    if allowed(client, user, groups, ns, verb, group, resource):
                        leaks.append((user, ns, verb, resource))
    assert leaks == []
    # The matrix is meaningful: the same subjects do have rights in their own namespaces.
    assert allowed(client, "alice", [a + "-admins"], a + "-dev", "create", "apps", "deployments")
    assert allowed(client, "alice", [a + "-admins"], a + "-dev", "get", "", "secrets")
    assert allowed(client, "vera", [a + "-viewers"], a + "-dev", "list", "", "pods")
    assert not allowed(client, "vera", [a + "-viewers"], a + "-dev", "get", "", "secrets")
    assert not allowed(client, "dave", [a + "-devs"], a + "-dev", "get", "", "secrets")


PLATFORM_OWNED = [("", "resourcequotas"), ("", "limitranges"), ("networking.k8s.io", "networkpolicies"),
                  ("security.istio.io", "peerauthentications"), ("security.istio.io", "authorizationpolicies"),
                  ("networking.istio.io", "sidecars"), ("rbac.authorization.k8s.io", "roles"),
                  ("rbac.authorization.k8s.io", "rolebindings")]


def test_tenant_admin_cannot_edit_platform_objects(pair, client):
    a, _b, _tenants, _first = pair
    groups = [a + "-admins", "system:authenticated"]
    writable = [(verb, resource) for group, resource in PLATFORM_OWNED for verb in ("create", "update", "patch",
                                                                                    "delete")
                if allowed(client, "alice", groups, a + "-dev", verb, group, resource)]
    writable += [(verb, "namespaces") for verb in ("update", "patch", "delete")
                 if allowed(client, "alice", groups, "", verb, "", "namespaces")]
    assert writable == []
    assert allowed(client, "alice", groups, a + "-dev", "get", "", "resourcequotas")


def restricted_pod(name, resources=None):
    container = {"name": "app", "image": "harbor.openova.io/x/app:1",
                 "securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "allowPrivilegeEscalation": False,
                                     "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}}
    if resources:
        container["resources"] = resources
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": {"containers": [container]}}


def test_quota_and_limit_range_are_enforced(pair, client):
    a, _b, _tenants, _first = pair
    ns = a + "-dev"
    path = "/api/v1/namespaces/%s/pods" % ns
    created = client.request("POST", path, body=restricted_pod("defaults"))
    container = created["spec"]["containers"][0]
    assert container["resources"] == {"limits": {"cpu": "500m", "memory": "512Mi"},
                                      "requests": {"cpu": "100m", "memory": "128Mi"}}
    big = {"requests": {"cpu": "1500m", "memory": "128Mi"}, "limits": {"cpu": "1500m", "memory": "128Mi"}}
    with pytest.raises(ApiError) as err:
        client.request("POST", path, body=restricted_pod("too-big", big))
    assert err.value.status == 403 and "exceeded quota" in err.value.msg
    client.request("DELETE", path + "/defaults", query={"gracePeriodSeconds": "0"})


def test_prune_removes_what_the_spec_drops(client, platform_namespaces, engine):
    name = "tp" + uid()
    try:
        full = spec(name, topics=[{"name": name + ".a"}, {"name": name + ".b"}],
                    network={"ingress_from_namespaces": ["istio-ingress"]})
        run_tenant({"tenants": [full]}, client=client)
        smaller = dict(full, topics=[{"name": name + ".a"}], network={}, namespaces=[name + "-dev"])
        result = run_tenant({"tenants": [smaller]}, client=client)
        deleted = result["tenants"][name]["deleted"]
        assert "Topic openova-redpanda/%s.b" % name in deleted
        assert "NetworkPolicy %s-dev/openova-allow-extra" % name in deleted
        assert "Namespace %s-prod" % name in deleted
        assert engine.get("cluster.redpanda.com/v1alpha2", "Topic", name + ".b", "openova-redpanda") is None
        assert engine.get("cluster.redpanda.com/v1alpha2", "Topic", name + ".a", "openova-redpanda")
    finally:
        offboard(client, name)


def test_offboarding_removes_one_tenant_and_leaves_the_other(client, platform_namespaces, engine):
    keep, drop = "tk" + uid(), "tx" + uid()
    try:
        run_tenant({"tenants": [spec(keep), spec(drop, postgres={"enabled": True})]}, client=client)
        check = run_tenant({"state": "absent", "tenants": [{"name": drop}]}, client=client, check_mode=True)
        assert check["changed"] is True and engine.get("v1", "Namespace", drop + "-dev")["metadata"].get(
            "deletionTimestamp") is None
        result = run_tenant({"state": "absent", "tenants": [{"name": drop}]}, client=client)
        assert result["changed"] is True
        deleted = result["tenants"][drop]["deleted"]
        assert "Namespace %s-dev" % drop in deleted and "Database openova-data/tenant-%s" % drop in deleted
        for ns in (drop + "-dev", drop + "-prod"):
            live = engine.get("v1", "Namespace", ns)
            assert live is None or live["metadata"].get("deletionTimestamp")
        assert engine.get("postgresql.cnpg.io/v1", "Database", "tenant-" + drop, "openova-data") is None
        kept = engine.get("v1", "Namespace", keep + "-dev")
        assert kept and not kept["metadata"].get("deletionTimestamp")
        assert engine.get("rbac.authorization.k8s.io/v1", "ClusterRole", "openova-tenant-admin")
        again = run_tenant({"tenants": [spec(keep)]}, client=client)
        assert again["changed"] is False
    finally:
        offboard(client, keep, drop)


def test_offboarding_an_unmanaged_namespace_fails(client, namespace, engine):
    name = namespace.split("-")[0]  # "it"
    with pytest.raises(SpecError) as err:
        run_tenant({"state": "absent", "tenants": [{"name": name, "namespaces": [namespace]}]}, client=client)
    assert "is not managed by openova-platform" in err.value.msg
    assert engine.get("v1", "Namespace", namespace)["metadata"].get("deletionTimestamp") is None


def test_onboarding_into_an_unmanaged_namespace_fails(client, namespace, engine):
    with pytest.raises(SpecError) as err:
        run_tenant({"tenants": [spec("it", namespaces=[namespace])]}, client=client)
    assert "not managed by openova-platform" in err.value.msg
    assert "openova.io/tenant" not in (engine.get("v1", "Namespace", namespace)["metadata"].get("labels") or {})


def test_offboarding_refuses_namespaces_with_pvcs(client, platform_namespaces, engine):
    name = "tv" + uid()
    try:
        run_tenant({"tenants": [spec(name)]}, client=client)
        client.request("POST", "/api/v1/namespaces/%s-dev/persistentvolumeclaims" % name, body={
            "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}})
        with pytest.raises(SpecError) as err:
            run_tenant({"state": "absent", "tenants": [{"name": name}]}, client=client)
        assert "confirm_delete_pvcs=true" in err.value.msg and "data" in err.value.msg
        assert not engine.get("v1", "Namespace", name + "-dev")["metadata"].get("deletionTimestamp")
    finally:
        offboard(client, name)


def bad_inputs(owner):
    return [
        ("invalid DNS-1123 name", [spec("Bad_Name")], "tenants[0] (Bad_Name).name"),
        ("platform namespace name", [spec("kube-tenant")], "collides with a platform namespace"),
        ("openova prefix", [spec("openova-x")], "collides with a platform namespace"),
        ("platform namespace", [spec("zz" + owner, namespaces=["istio-system"])], "collides with a platform"),
        ("bad quantity", [spec("zz" + owner, quota={"requests_cpu": "2 cores"})], "quota.requests_cpu"),
        ("negative quota", [spec("zz" + owner, quota={"limits_memory": "-1Gi"})], "is negative"),
        ("negative count", [spec("zz" + owner, quota={"pods": -3})], "quota.pods"),
        ("namespace claimed twice", [spec("zz" + owner), spec("zz" + owner + "-dev", namespaces=[
            "zz" + owner + "-dev"])], "claimed by two tenants"),
        ("unknown key", [dict(spec("zz" + owner), colour="blue")], "tenants[0] (zz%s).colour: unknown key" % owner),
        ("empty owner group", [spec("zz" + owner, owners={"admin": [""]})], "owners.admin[0]: is empty"),
        ("no admin group", [spec("zz" + owner, owners={"admin": []})], "owners.admin"),
        ("topic outside prefix", [spec("zz" + owner, topics=[{"name": "other.orders"}])],
         "is outside the tenant's prefix"),
    ]


@pytest.mark.parametrize("case", range(12))
def test_bad_input_is_rejected_before_any_write(case, client, platform_namespaces, engine):
    owner = uid()
    what, tenants, needle = bad_inputs(owner)[case]
    with pytest.raises(SpecError) as err:
        run_tenant({"tenants": tenants}, client=client)
    assert needle in err.value.msg, what
    names = [t["name"] for t in tenants if t["name"].islower()]
    if names:
        assert engine.list("v1", "Namespace", label_selector=owned_selector(names)) == []


def test_namespace_owned_by_another_tenant_on_the_cluster(pair, client):
    a, _b, _tenants, _first = pair
    with pytest.raises(SpecError) as err:
        run_tenant({"tenants": [spec(a + "-dev", namespaces=[a + "-dev"])]}, client=client)
    assert "already belongs to tenant %r" % a in err.value.msg
