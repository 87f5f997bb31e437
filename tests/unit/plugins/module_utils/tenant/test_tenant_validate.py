"""validate.py: every rule, table-driven, no mocks."""

import pytest

from ansible_collections.openova.platform.plugins.module_utils.errors import SpecError
from ansible_collections.openova.platform.plugins.module_utils.tenant import validate as v

PLATFORM = v.normalize_platform({})
OWNERS = {"admin": ["acme-admins"]}


def acme(**extra):
    out = {"name": "acme", "owners": OWNERS}
    out.update(extra)
    return out


def test_defaults_are_filled():
    (t,) = v.validate([acme()], PLATFORM)
    assert t["namespaces"] == ["acme"]
    assert t["display_name"] == "acme"
    assert t["harbor_project"] == "acme"
    assert t["allowed_registries"] == ["harbor.openova.io/acme"]
    assert t["quota"]["requests_cpu"] == "2" and t["quota"]["load_balancers"] == 0
    assert t["limits"]["default_cpu"] == "500m"
    assert t["postgres"] == {"enabled": False, "database": "acme"}
    assert t["owners"] == {"admin": ["acme-admins"], "developer": [], "viewer": []}


def test_explicit_quota_overrides_the_tier():
    (t,) = v.validate([acme(tier="large", quota={"pods": 7, "requests_cpu": "3"})], PLATFORM)
    assert t["quota"]["pods"] == 7 and t["quota"]["requests_cpu"] == "3" and t["quota"]["limits_cpu"] == "64"


def test_postgres_database_defaults_to_an_identifier():
    (t,) = v.validate([dict(acme(), name="acme-corp", postgres={"enabled": True})], PLATFORM)
    assert t["postgres"]["database"] == "acme_corp"


BAD = [
    ("dns name", [acme(name="Acme_Corp")], "tenants[0] (Acme_Corp).name", "DNS-1123"),
    ("too long", [acme(name="a" * 41)], ".name", "at most 40"),
    ("kube prefix", [acme(name="kube-acme")], "(kube-acme).name", "collides with a platform namespace"),
    ("openova prefix", [acme(name="openova-x")], "(openova-x).name", "collides"),
    ("istio prefix", [acme(name="istio-x")], "(istio-x).name", "collides"),
    ("default", [acme(name="default")], "(default).name", "collides"),
    ("bad namespace", [acme(namespaces=["acme_dev"])], "namespaces[0]", "not a DNS-1123 label"),
    ("platform namespace", [acme(namespaces=["istio-system"])], "namespaces[0]", "collides with a platform"),
    ("configured platform ns", [acme(namespaces=["openova-data"])], "namespaces[0]", "collides"),
    ("foreign prefix", [acme(namespaces=["globex-dev"])], "namespaces[0]", "must be 'acme' or start with"),
    ("namespace twice", [acme(namespaces=["acme", "acme"])], "(acme).namespaces", "lists a namespace twice"),
    ("bad quantity", [acme(quota={"requests_cpu": "2 cores"})], "quota.requests_cpu", "not a Kubernetes quantity"),
    ("negative quantity", [acme(quota={"limits_memory": "-1Gi"})], "quota.limits_memory", "is negative"),
    ("negative count", [acme(quota={"pods": -1})], "quota.pods", "is negative"),
    ("bad limit", [acme(limits={"max_cpu": "lots"})], "limits.max_cpu", "not a Kubernetes quantity"),
    ("unknown key", [acme(colour="blue")], "(acme).colour", "unknown key"),
    ("unknown nested key", [acme(quota={"gpu": 1})], "quota.gpu", "unknown key"),
    ("wrong type", [acme(tier=3)], "(acme).tier", "must be of type str"),
    ("bad choice", [acme(tier="huge")], "(acme).tier", "is not one of"),
    ("empty owner group", [acme(owners={"admin": ["ok", " "]})], "owners.admin[1]", "is empty"),
    ("no admin", [acme(owners={"admin": []})], "owners.admin", "needs at least one group"),
    ("no owners", [{"name": "acme"}], "owners.admin", "needs at least one group"),
    ("topic outside prefix", [acme(topics=[{"name": "globex.orders"}])], "topics[0].name",
     "outside the tenant's prefix"),
    ("topic prefix only", [acme(topics=[{"name": "acmeorders"}])], "topics[0].name", "outside"),
    ("topic twice", [acme(topics=[{"name": "acme.a"}, {"name": "acme.a"}])], "topics[1].name", "listed twice"),
    ("even replication", [acme(topics=[{"name": "acme.a", "replication_factor": 2}])], "replication_factor",
     "odd"),
    ("zero partitions", [acme(topics=[{"name": "acme.a", "partitions": 0}])], "partitions", "1 or more"),
    ("bad cidr", [acme(network={"egress_cidrs": ["10.0.0.0/33"]})], "egress_cidrs[0]", "not a CIDR"),
    ("bad ns allowance", [acme(network={"egress_to_namespaces": ["Bad"]})], "egress_to_namespaces[0]",
     "not a namespace"),
    ("bad database", [acme(postgres={"enabled": True, "database": "drop table"})], "postgres.database",
     "identifier"),
    ("tenant twice", [acme(), acme()], "tenants[1] (acme).name", "listed twice"),
    # names the guard rails, the platform's hosts or older releases treat as the platform's
    ("component name", [acme(name="redpanda")], "(redpanda).name", "is reserved"),
    ("old exempt name", [acme(name="observability")], "(observability).name", "is reserved"),
    ("exempt namespace", [acme(name="harbor")], "(harbor).name", "is reserved"),
    ("operator namespace", [acme(name="cnpg-system")], "(cnpg-system).name", "is reserved"),
    ("platform host", [acme(name="grafana")], "(grafana).name", "is reserved"),
    # cluster-wide owner groups
    ("system authenticated", [acme(owners={"admin": ["system:authenticated"]})], "(acme).owners.admin[0]",
     "Kubernetes system group"),
    ("system serviceaccounts", [acme(owners={"admin": ["a"], "viewer": ["system:serviceaccounts"]})],
     "(acme).owners.viewer[0]", "system group"),
    ("group of two tenants", [acme(), {"name": "globex", "owners": {"admin": ["g"], "developer": ["acme-admins"]}}],
     "tenants[1] (globex).owners.developer[0]", "also an owner group of tenant 'acme'"),
    # the database is the tenant's, the role follows the tenant
    ("foreign database", [acme(postgres={"enabled": True, "database": "shared"})], "(acme).postgres.database",
     "is not the tenant's"),
    ("other tenant's database", [acme(postgres={"enabled": True, "database": "globex"})], "postgres.database",
     "is not the tenant's"),
    ("prefix lookalike", [acme(postgres={"enabled": True, "database": "acmex"})], "postgres.database", "not the tenant's"),
    ("database of two tenants", [acme(postgres={"enabled": True, "database": "acme_x"}),
                                 {"name": "acme-x", "owners": {"admin": ["x"]}, "postgres": {"enabled": True}}],
     "tenants[1] (acme-x).postgres.database", "also asked for by tenant 'acme'"),
    # the platform is reached only through its tenant-facing services
    ("platform namespace allowance", [acme(network={"egress_to_namespaces": ["openova-observability"]})],
     "network.egress_to_namespaces[0]", "is a platform namespace"),
    ("system namespace allowance", [acme(network={"egress_to_namespaces": ["kube-system"]})],
     "network.egress_to_namespaces[0]", "is a platform namespace"),
    ("namespace claimed twice", [acme(namespaces=["acme-dev"]), {"name": "acme-dev", "owners": OWNERS}],
     "tenants[1] (acme-dev).namespaces[0]", "claimed by two tenants"),
    ("not a list", "acme", "tenants", "at least one tenant"),
    ("empty list", [], "tenants", "at least one tenant"),
]


@pytest.mark.parametrize("what,tenants,field,message", BAD, ids=[b[0] for b in BAD])
def test_bad_input_names_the_field(what, tenants, field, message):
    with pytest.raises(SpecError) as err:
        v.validate(tenants, PLATFORM)
    assert any(field in f and message in m for f, m in err.value.problems), err.value.msg


def test_every_problem_is_reported_at_once():
    with pytest.raises(SpecError) as err:
        v.validate([acme(name="acme", quota={"requests_cpu": "x", "pods": -1}, colour=1)], PLATFORM)
    assert len(err.value.problems) == 3
    assert err.value.msg.startswith("3 problems in the input; nothing was written")


CLUSTER = [
    ("unmanaged namespace", {"acme-dev": {}}, "not managed by openova-platform"),
    ("managed without tenant", {"acme-dev": {"app.kubernetes.io/managed-by": "openova-platform"}}, "not managed"),
    ("another tenant's", {"acme-dev": {"app.kubernetes.io/managed-by": "openova-platform",
                                       "openova.io/tenant": "globex"}}, "already belongs to tenant 'globex'"),
]


@pytest.mark.parametrize("what,owners,message", CLUSTER, ids=[c[0] for c in CLUSTER])
def test_namespaces_on_the_cluster(what, owners, message):
    with pytest.raises(SpecError) as err:
        v.validate([acme(namespaces=["acme-dev"])], PLATFORM, namespace_owners=owners)
    assert message in err.value.msg


@pytest.mark.parametrize("what,owners,message", CLUSTER, ids=[c[0] for c in CLUSTER])
def test_check_cluster_on_normalized_tenants_names_the_same_field(what, owners, message):
    """run_tenant validates once without the cluster and then runs only check_cluster():
    the same refusal, for the same field, as validate() with the cluster's namespaces."""
    tenants = v.validate([{"name": "x", "owners": {"admin": ["x-admins"]}}, acme(namespaces=["acme-dev"])], PLATFORM)
    with pytest.raises(SpecError) as err:
        v.check_cluster(tenants, namespace_owners=owners)
    with pytest.raises(SpecError) as whole:
        v.validate([{"name": "x", "owners": {"admin": ["x-admins"]}}, acme(namespaces=["acme-dev"])], PLATFORM, namespace_owners=owners)
    assert err.value.problems == whole.value.problems
    assert err.value.problems[0][0] == "tenants[1] (acme).namespaces[0]" and message in err.value.msg


def test_check_cluster_refuses_a_group_another_tenant_holds():
    tenants = v.validate([acme()], PLATFORM)
    group = tenants[0]["owners"]["admin"][0]
    with pytest.raises(SpecError) as err:
        v.check_cluster(tenants, claims={"groups": {group: "globex"}})
    assert "already bound to tenant 'globex'" in err.value.msg
    assert v.check_cluster(tenants, claims={"groups": {group: "acme"}}) == tenants


def test_own_namespace_on_the_cluster_is_fine():
    owners = {"acme-dev": {"app.kubernetes.io/managed-by": "openova-platform", "openova.io/tenant": "acme"}}
    assert v.validate([acme(namespaces=["acme-dev"])], PLATFORM, namespace_owners=owners)


def test_absent_needs_only_a_name():
    (t,) = v.validate([{"name": "acme"}], PLATFORM, state="absent")
    assert t["namespaces"] == ["acme"]


def test_platform_unknown_key_and_postgres_host_default():
    with pytest.raises(SpecError) as err:
        v.normalize_platform({"grafana": "x"})
    assert "platform.grafana: unknown key" in err.value.msg
    assert v.normalize_platform({})["postgres_host"] == "platform-pg-rw.openova-data.svc"


CLAIMS = [
    ("group held on the cluster", {"groups": {"acme-admins": "globex"}}, "(acme).owners.admin[0]",
     "already bound to tenant 'globex' on the cluster"),
    ("database held on the cluster", {"databases": {"acme_orders": "acme-orders"}}, "(acme).postgres.database",
     "already belongs to tenant 'acme-orders' on the cluster"),
    ("database renamed", {"databases": {"acme": "acme"}, "current_databases": {"acme": "acme"}},
     "(acme).postgres.database", "cannot be renamed"),
]


@pytest.mark.parametrize("what,claims,field,message", CLAIMS, ids=[c[0] for c in CLAIMS])
def test_what_other_tenants_hold_on_the_cluster_is_refused(what, claims, field, message):
    spec = acme(postgres={"enabled": True, "database": "acme_orders"})
    with pytest.raises(SpecError) as err:
        v.validate([spec], PLATFORM, claims=claims)
    assert any(field in f and message in m for f, m in err.value.problems), err.value.msg


def test_own_claims_on_the_cluster_are_fine():
    claims = {"groups": {"acme-admins": "acme"}, "databases": {"acme_orders": "acme"}}
    assert v.validate([acme(postgres={"enabled": True, "database": "acme_orders"})], PLATFORM, claims=claims)


def test_a_tenant_may_name_a_group_twice_in_its_own_roles():
    assert v.validate([acme(owners={"admin": ["acme-admins"], "viewer": ["acme-admins"]})], PLATFORM)
