"""Harbor request builders and input checks. Every body the builders make is
checked against Harbor's published swagger (read from ../shared at test
time); one deliberately wrong request must fail that check."""

import pytest

from ansible_collections.openova.platform.plugins.module_utils.errors import SpecError
from ansible_collections.openova.platform.plugins.module_utils.registry import harbor as h
from ansible_collections.openova.platform.plugins.module_utils.registry import render
from ansible_collections.openova.platform.plugins.module_utils.registry.run import check_input
from contract.openapi import Contract, ContractViolation
from contract.specs import HARBOR_SWAGGER

BASIC = {"Authorization": "Basic YWRtaW46eA==", "Content-Type": "application/json"}
BY_NAME = dict(BASIC, **{"X-Is-Resource-Name": "true"})


@pytest.fixture(scope="module")
def swagger():
    if not HARBOR_SWAGGER.exists():
        pytest.fail("Harbor's swagger is read from %s; it is missing" % HARBOR_SWAGGER, pytrace=False)
    return Contract.load(HARBOR_SWAGGER)


def tenant(**extra):
    out = {"name": "acme", "owners": {"admin": ["acme-admins"], "developer": ["acme-devs"]},
           "namespaces": ["acme-dev", "acme-prod"]}
    out.update(extra)
    return out


@pytest.mark.parametrize("name", ["acme", "acme-images", "a.b_c-d", "x" * 255])
def test_project_names_harbor_accepts(name):
    assert h.project_name_problem(name) is None


@pytest.mark.parametrize("name", ["Acme", "acme--x", "-acme", "acme-", "ac/me", "", "x" * 256])
def test_project_names_harbor_rejects(name):
    assert h.project_name_problem(name)


@pytest.mark.parametrize("text,value", [("20Gi", 20 << 30), ("500Mi", 500 << 20), ("1T", 10 ** 12), ("-1", -1),
                                        ("1024", 1024)])
def test_storage_quantities(text, value):
    assert h.storage_bytes(text) == (value, None)


@pytest.mark.parametrize("text", ["-5Gi", "20 GB", "lots", "0", "1.5Gi", "100m"])
def test_storage_quantities_rejected(text):
    value, reason = h.storage_bytes(text)
    assert value is None and reason


def test_bad_input_is_rejected_before_any_call_naming_the_field():
    params = {"tenants": [tenant(harbor_project="acme--images"),
                          dict(tenant(name="beta", namespaces=["beta"]), registry={"storage": "-5Gi"})],
              "group_roles": {"admin": "owner"}, "rotate": ["everything"]}
    with pytest.raises(SpecError) as err:
        check_input(params, "present")
    fields = [p[0] for p in err.value.problems]
    assert "tenants[0] (acme).harbor_project" in fields
    assert "tenants[1] (beta).registry.storage" in fields
    assert "group_roles.admin" in fields and "rotate[0]" in fields


def test_tier_gives_the_storage_quota_and_overrides_win():
    _p, _t, _r, storage = check_input({"tenants": [tenant(tier="medium"), dict(
        tenant(name="beta", namespaces=["beta"]), registry={"storage": "5Gi"})]}, "present")
    assert storage == {"acme": 100 << 30, "beta": 5 << 30}


def test_members_keep_the_strongest_role():
    owners = {"admin": ["ops"], "developer": ["ops", "devs"], "viewer": ["all"]}
    assert h.desired_members(owners, h.DEFAULT_GROUP_ROLES) == {"ops": 4, "devs": 2, "all": 3}


def test_every_request_body_matches_the_swagger(swagger):
    requests = [
        ("POST", "/api/v2.0/projects", {}, BASIC, h.project_create("acme", 20 << 30)),
        ("PUT", "/api/v2.0/projects/acme", {}, BY_NAME, h.project_private_update()),
        ("PUT", "/api/v2.0/quotas/7", {}, BASIC, h.quota_update(-1)),
        ("POST", "/api/v2.0/robots", {}, BASIC, h.robot_create("acme", "pull")),
        ("POST", "/api/v2.0/robots", {}, BASIC, h.robot_create("acme", "push")),
        ("PUT", "/api/v2.0/robots/3", {}, BASIC,
         h.robot_update({"id": 3, "name": "robot$acme+openova-pull", "level": "project", "editable": True},
                        "acme", "pull")),
        ("PATCH", "/api/v2.0/robots/3", {}, BASIC, h.robot_sec_refresh()),
        ("POST", "/api/v2.0/projects/acme/members", {}, BY_NAME, h.member_create("acme-devs", 2, "oidc_auth")),
        ("POST", "/api/v2.0/projects/acme/members", {}, BY_NAME,
         h.member_create("acme-devs", 2, "ldap_auth", "cn=acme-devs,ou=groups,dc=example")),
        ("PUT", "/api/v2.0/projects/acme/members/9", {}, BY_NAME, h.member_update(3)),
        ("GET", "/api/v2.0/robots", {"q": h.robot_query(5), "page_size": "100"}, BASIC, None),
        ("GET", "/api/v2.0/quotas", {"reference": "project", "reference_id": "5"}, BASIC, None),
        ("HEAD", "/api/v2.0/projects", {"project_name": "acme"}, BASIC, None),
        ("DELETE", "/api/v2.0/projects/acme/repositories/shop%252Fapi", {}, BASIC, None),
    ]
    for method, path, query, headers, body in requests:
        swagger.check_request(method, path, query, headers, body)


def test_a_wrong_request_fails_validation(swagger):
    wrong = dict(h.project_create("acme", 20 << 30), storage_limit="20Gi")  # a quantity where Harbor wants bytes
    with pytest.raises(ContractViolation, match="storage_limit.*is not of type 'integer'"):
        swagger.check_request("POST", "/api/v2.0/projects", {}, BASIC, wrong)
    with pytest.raises(ContractViolation, match="not a documented method"):
        swagger.check_request("PATCH", "/api/v2.0/projects/acme", {}, BY_NAME, {})
    with pytest.raises(ContractViolation, match="query parameter nme is not documented"):
        swagger.check_request("GET", "/api/v2.0/projects", {"nme": "acme"}, BASIC, None)


def test_responses_are_checked_too(swagger):
    op = swagger.check_request("GET", "/api/v2.0/robots", {"q": h.robot_query(5)}, BASIC, None)
    swagger.check_response(op, 200, [{"id": 1, "name": "robot$acme+openova-pull", "permissions": []}])
    with pytest.raises(ContractViolation, match="id.*is not of type 'integer'"):
        swagger.check_response(op, 200, [{"id": "one"}])
    with pytest.raises(ContractViolation, match="status 409 is not documented"):
        swagger.check_response(op, 409, None)


def test_pull_secrets_in_every_namespace_and_push_secret_only_for_admins():
    t = check_input({"tenants": [tenant()]}, "present")[1][0]
    creds = {"pull": {"username": "robot$acme+openova-pull", "password": "p"},
             "push": {"username": "robot$acme+openova-push", "password": "q"}}
    objs = render.render_registry_objects(t, "harbor", "harbor.openova.io", creds)
    where = [(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in objs]
    assert ("Secret", "acme-dev", "harbor-pull") in where and ("Secret", "acme-prod", "harbor-pull") in where
    assert not any(o["kind"] == "Secret" and "push" in o["metadata"]["name"] and o["metadata"]["namespace"] != "harbor"
                   for o in objs)
    binding = next(o for o in objs if o["kind"] == "RoleBinding")
    assert [s["name"] for s in binding["subjects"]] == ["acme-admins"]
    role = next(o for o in objs if o["kind"] == "Role")
    assert role["rules"] == [{"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["tenant-acme-registry-push"],
                              "verbs": ["get"]}]
    assert all(o["metadata"]["labels"]["openova.io/credentials-for"] == "harbor" for o in objs)
    pull = next(o for o in objs if o["metadata"]["name"] == "harbor-pull")
    assert pull["type"] == "kubernetes.io/dockerconfigjson" and set(pull["data"]) == {".dockerconfigjson"}


def test_offboarding_by_name_finds_the_project_on_the_namespaces():
    from ansible_collections.openova.platform.plugins.module_utils.registry.run import _projects_from_namespaces

    class Namespaces:
        def list(self, api_version, kind, label_selector=None):
            assert (api_version, kind, label_selector) == ("v1", "Namespace", "openova.io/tenant=acme")
            return [{"metadata": {"name": n, "annotations": {"openova.io/harbor-project": "acme-images"}}}
                    for n in ("acme-dev", "acme-prod")]

    params = {"tenants": [{"name": "acme"}]}
    tenants = check_input(params, "absent")[1]
    _projects_from_namespaces(Namespaces(), params, tenants)
    assert tenants[0]["harbor_project"] == "acme-images"
    given = {"tenants": [{"name": "acme", "harbor_project": "other"}]}
    tenants = check_input(given, "absent")[1]
    _projects_from_namespaces(None, given, tenants)
    assert tenants[0]["harbor_project"] == "other"
