"""Tenant registry and LLM gateway access against the real local API server,
with Harbor and LiteLLM played by stand-ins on 127.0.0.1 (tests/contract):
neither service can run here. Each stand-in checks every request the modules
send and every response it gives against the published definition (Harbor's
swagger from ../shared, LiteLLM's OpenAPI generated from the pinned package);
every test ends by asserting that no check failed.

Paths: create, no-op (no write at all), update (tier, drift, a tenant admin's
edit), rotate (on request only), offboard (with the project confirmation),
bad input (refused before any write), and the playbooks."""

import base64
import json
import sys
import uuid
from pathlib import Path

import pytest

from ansible_collections.openova.platform.plugins.module_utils import facts
from ansible_collections.openova.platform.plugins.module_utils.apply import Engine
from ansible_collections.openova.platform.plugins.module_utils.errors import SpecError
from ansible_collections.openova.platform.plugins.module_utils.llm.run import run_llm
from ansible_collections.openova.platform.plugins.module_utils.registry.run import run_registry
from ansible_collections.openova.platform.plugins.module_utils.tenant.run import run_tenant
from contract.openapi import Contract
from contract.specs import HARBOR_SWAGGER, litellm_openapi
from contract.standins import HarborStandIn, LiteLLMStandIn
from harness import changed, run_playbook, task_result

REPO = Path(__file__).resolve().parents[2]
PLATFORM_NAMESPACES = ("openova-redpanda", "openova-data", "openova-observability", "istio-ingress", "harbor",
                       "openova-llm-gateway")
HARBOR_PASSWORD = "stand-in-" + uuid.uuid4().hex
MASTER_KEY = "sk-stand-in-" + uuid.uuid4().hex


def secret(name, namespace, key, value):
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": namespace},
            "data": {key: base64.b64encode(value.encode()).decode()}}


def decoded(obj, key):
    return base64.b64decode(obj["data"][key]).decode()


@pytest.fixture(scope="module")
def platform(client):
    engine = Engine(client)
    engine.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}} for n in PLATFORM_NAMESPACES]
                 + [secret("harbor-admin", "harbor", "HARBOR_ADMIN_PASSWORD", HARBOR_PASSWORD),
                    secret("litellm-masterkey", "openova-llm-gateway", "masterkey", MASTER_KEY)])
    return engine


@pytest.fixture()
def harbor():
    stand_in = HarborStandIn(Contract.load(HARBOR_SWAGGER), password=HARBOR_PASSWORD).start()
    yield stand_in
    stand_in.stop()


@pytest.fixture(scope="module")
def litellm_contract():
    path, _version = litellm_openapi()
    return Contract.load(path, "LiteLLM %s OpenAPI" % _version)


@pytest.fixture()
def gateway(litellm_contract):
    stand_in = LiteLLMStandIn(litellm_contract, master_key=MASTER_KEY).start()
    yield stand_in
    stand_in.stop()


@pytest.fixture()
def tenant_spec(client, platform):
    name = "ta" + uuid.uuid4().hex[:6]
    spec = {"name": name, "owners": {"admin": [name + "-admins"], "developer": [name + "-devs"]},
            "namespaces": [name + "-dev", name + "-prod"], "tier": "small"}
    run_tenant({"tenants": [spec]}, client=client)
    yield spec
    run_tenant({"tenants": [{"name": name}], "state": "absent", "confirm_delete_pvcs": True}, client=client)


def test_registry_create_noop_update_rotate_offboard(client, platform, harbor, tenant_spec):
    name = tenant_spec["name"]
    engine = Engine(client)
    params = {"tenants": [tenant_spec], "harbor": {"url": harbor.url}}

    # create
    out = run_registry(params, client=client, diff=True)
    assert out["changed"] and out["tenants"][name]["project"] == "created"
    assert out["tenants"][name]["robots"] == {"pull": "created", "push": "created"}
    assert harbor.quotas and list(harbor.quotas.values())[0]["hard"]["storage"] == 20 << 30
    pull_user = "robot$%s+openova-pull" % name
    for ns in tenant_spec["namespaces"]:
        pull = engine.get("v1", "Secret", "harbor-pull", ns)
        assert pull["type"] == "kubernetes.io/dockerconfigjson"
        auths = json.loads(decoded(pull, ".dockerconfigjson"))["auths"]
        assert auths[facts.registry_host()]["username"] == pull_user
        assert auths[facts.registry_host()]["password"] == harbor.robot_secret(pull_user)
        sa = engine.get("v1", "ServiceAccount", "default", ns)
        assert sa["imagePullSecrets"] == [{"name": "harbor-pull"}]
        assert engine.get("v1", "Secret", "tenant-%s-registry-push" % name, ns) is None
    push = engine.get("v1", "Secret", "tenant-%s-registry-push" % name, "harbor")
    assert decoded(push, "password") == harbor.robot_secret("robot$%s+openova-push" % name)
    binding = engine.get("rbac.authorization.k8s.io/v1", "RoleBinding", "tenant-%s-registry-push" % name, "harbor")
    assert [s["name"] for s in binding["subjects"]] == [name + "-admins"]
    text = json.dumps(out)
    assert harbor.robot_secret(pull_user) not in text and HARBOR_PASSWORD not in text

    # no-op: nothing written to Harbor or the cluster
    writes = len(harbor.writes())
    again = run_registry(params, client=client)
    assert again["changed"] is False, again
    assert len(harbor.writes()) == writes

    # check mode with a new tier: reported, not written
    medium = dict(tenant_spec, tier="medium")
    checked = run_registry(dict(params, tenants=[medium]), client=client, check_mode=True, diff=True)
    assert checked["changed"] and checked["tenants"][name]["project"] == "updated"
    assert len(harbor.writes()) == writes

    # update: the tier's quota, a disabled robot, a tenant admin's edit of a pull Secret
    robot = next(r for r in harbor.robots.values() if r["name"] == pull_user)
    robot["disable"] = True
    old_secret = harbor.robot_secret(pull_user)
    edited = engine.get("v1", "Secret", "harbor-pull", tenant_spec["namespaces"][0])
    client.request("PATCH", "/api/v1/namespaces/%s/secrets/harbor-pull" % tenant_spec["namespaces"][0],
                   body={"data": {".dockerconfigjson": base64.b64encode(b'{"auths":{}}').decode()}},
                   content_type="application/merge-patch+json")
    updated = run_registry(dict(params, tenants=[medium]), client=client)
    assert updated["tenants"][name]["project"] == "updated"
    assert updated["tenants"][name]["robots"]["pull"].startswith("updated (disabled)")
    assert list(harbor.quotas.values())[0]["hard"]["storage"] == 100 << 30
    assert harbor.robot_secret(pull_user) == old_secret, "no rotation without a request"
    # The edit moved the field to another field manager: reported as a conflict, as for every
    # tenant object (README, known limits); force_conflicts restores it from the stored copy.
    assert updated["failed"] and "harbor-pull" in updated["msg"] and "conflict" in updated["msg"]
    forced = run_registry(dict(params, tenants=[medium], force_conflicts=True), client=client)
    assert "failed" not in forced and forced["tenants"][name]["robots"] == {"pull": "unchanged", "push": "unchanged"}
    restored = engine.get("v1", "Secret", "harbor-pull", tenant_spec["namespaces"][0])
    assert restored["data"] == edited["data"]

    # rotate on request: only the push robot
    push_user = "robot$%s+openova-push" % name
    before = harbor.robot_secret(push_user)
    rotated = run_registry(dict(params, tenants=[medium], rotate=["push"]), client=client)
    assert rotated["tenants"][name]["robots"] == {"pull": "unchanged", "push": "rotated on request"}
    assert harbor.robot_secret(push_user) != before
    push = engine.get("v1", "Secret", "tenant-%s-registry-push" % name, "harbor")
    assert decoded(push, "password") == harbor.robot_secret(push_user)
    assert harbor.robot_secret(pull_user) == old_secret

    # offboard: a project that holds images needs the confirmation; nothing is deleted without it
    harbor.repositories[name] = ["shop", "tools/builder"]
    with pytest.raises(SpecError, match="holds 2 repositories; set confirm_delete_project=true"):
        run_registry(dict(params, state="absent"), client=client)
    assert len(harbor.robots) == 2 and name in harbor.projects
    gone = run_registry(dict(params, state="absent", confirm_delete_project=True), client=client)
    assert gone["tenants"][name]["robots"] == {"pull": "deleted", "push": "deleted"}
    assert gone["tenants"][name]["project"] == "deleted"
    assert harbor.robots == {} and harbor.projects == {}
    assert engine.get("v1", "Secret", "tenant-%s-registry-push" % name, "harbor") is None
    assert engine.get("v1", "Secret", "harbor-pull", tenant_spec["namespaces"][1]) is None
    assert harbor.violations == []


def test_registry_maps_groups_where_the_auth_mode_has_them(client, platform, harbor, tenant_spec):
    name = tenant_spec["name"]
    harbor.auth_mode = "oidc_auth"
    params = {"tenants": [dict(tenant_spec, owners=dict(tenant_spec["owners"], viewer=[name + "-audit"]))],
              "harbor": {"url": harbor.url}}
    out = run_registry(params, client=client)
    assert out["tenants"][name]["groups"] == "updated"
    roles = dict((m["entity_name"], m["role_id"]) for m in harbor.members[name].values())
    assert roles == {name + "-admins": 4, name + "-devs": 2, name + "-audit": 3}
    assert run_registry(params, client=client)["tenants"][name]["groups"] == "unchanged"
    params["tenants"][0]["owners"]["viewer"] = []
    assert run_registry(params, client=client)["tenants"][name]["groups"] == "updated"
    assert name + "-audit" not in [m["entity_name"] for m in harbor.members[name].values()]
    harbor.auth_mode = "db_auth"
    out = run_registry(params, client=client)
    assert out["tenants"][name]["groups"].startswith("not mapped: Harbor auth mode db_auth")
    run_registry(dict(params, state="absent"), client=client)
    assert harbor.violations == []


def test_registry_bad_input_is_refused_before_any_call(client, platform, harbor, tenant_spec):
    # the tenant spec first, as the tenant module checks it (the project name is also in allowed_registries)
    bad = dict(tenant_spec, harbor_project="Bad--Name")
    with pytest.raises(SpecError) as err:
        run_registry({"tenants": [bad], "harbor": {"url": harbor.url}}, client=client)
    assert "tenants[0] (%s).harbor_project" % tenant_spec["name"] in [p[0] for p in err.value.problems]
    # then the registry's own options
    bad = dict(tenant_spec, registry={"storage": "-3Gi"})
    with pytest.raises(SpecError) as err:
        run_registry({"tenants": [bad], "harbor": {"url": harbor.url}}, client=client)
    assert [p[0] for p in err.value.problems] == ["tenants[0] (%s).registry.storage" % tenant_spec["name"]]
    assert harbor.calls == []


def llm_params(gateway, spec, **extra):
    params = {"tenants": [spec], "gateway": {"url": gateway.url}, "default_models": ["gpt-4o-mini"]}
    params.update(extra)
    return params


def test_llm_create_noop_update_rotate_offboard(client, platform, gateway, tenant_spec):
    name = tenant_spec["name"]
    engine = Engine(client)
    out = run_llm(llm_params(gateway, tenant_spec), client=client, diff=True)
    assert out["tenants"][name]["team"] == "created" and out["tenants"][name]["key"] == "created"
    team = gateway.teams["tenant-" + name]
    assert (team["max_budget"], team["budget_duration"], team["tpm_limit"], team["rpm_limit"], team["models"]) == \
        (50.0, "30d", 100000, 60, ["gpt-4o-mini"])
    keys = set()
    for ns in tenant_spec["namespaces"]:
        creds = engine.get("v1", "Secret", "llm-gateway-credentials", ns)
        key = decoded(creds, "LLM_GATEWAY_API_KEY")
        assert gateway.knows(key) and decoded(creds, "OPENAI_API_KEY") == key
        assert decoded(creds, "LLM_GATEWAY_URL") == "http://litellm-litellm-helm.openova-llm-gateway.svc:4000"
        keys.add(key)
    key = keys.pop()
    assert not keys and key not in json.dumps(out) and MASTER_KEY not in json.dumps(out)

    writes = len(gateway.writes())
    again = run_llm(llm_params(gateway, tenant_spec), client=client)
    assert again["changed"] is False, again
    assert len(gateway.writes()) == writes

    # overrides per tenant win over the tier; the key follows the models
    custom = dict(tenant_spec, llm={"models": ["gpt-4o", "gpt-4o-mini"], "max_budget": 75, "rpm_limit": 10})
    checked = run_llm(llm_params(gateway, custom), client=client, check_mode=True, diff=True)
    assert checked["changed"] and checked["tenants"][name]["team"].startswith("updated")
    assert len(gateway.writes()) == writes and key not in json.dumps(checked)
    updated = run_llm(llm_params(gateway, custom), client=client)
    assert updated["tenants"][name]["team"] == "updated (max_budget, models, rpm_limit)"
    assert updated["tenants"][name]["key"] == "updated (models)"
    assert gateway.teams["tenant-" + name]["max_budget"] == 75.0 and gateway.knows(key)

    rotated = run_llm(llm_params(gateway, custom, rotate=True), client=client)
    assert rotated["tenants"][name]["key"] == "rotated on request; revoked 1 old key(s)"
    new = decoded(engine.get("v1", "Secret", "llm-gateway-credentials", tenant_spec["namespaces"][1]),
                  "LLM_GATEWAY_API_KEY")
    assert new != key and gateway.knows(new) and not gateway.knows(key)

    gone = run_llm(llm_params(gateway, custom, state="absent"), client=client)
    assert gone["tenants"][name] == dict(gone["tenants"][name], team="deleted", key="revoked 1 key(s)")
    assert gateway.teams == {} and not gateway.knows(new)
    assert engine.get("v1", "Secret", "llm-gateway-credentials", tenant_spec["namespaces"][0]) is None
    assert engine.get("v1", "Secret", "tenant-%s-llm" % name, "openova-llm-gateway") is None
    assert gateway.violations == []


def test_llm_bad_input_is_refused_before_any_write(client, platform, gateway, tenant_spec):
    name = tenant_spec["name"]
    with pytest.raises(SpecError, match=r"tenants\[0\] \(%s\).llm.tpm_limit: must be of type int, got 'lots'" % name):
        run_llm(llm_params(gateway, dict(tenant_spec, llm={"tpm_limit": "lots"})), client=client)
    bad = dict(tenant_spec, llm={"max_budget": -5, "rpm_limit": -1, "budget_duration": "monthly"})
    with pytest.raises(SpecError) as err:
        run_llm(llm_params(gateway, bad), client=client)
    fields = sorted(p[0] for p in err.value.problems)
    assert fields == ["tenants[0] (%s).llm.%s" % (name, f) for f in ("budget_duration", "max_budget", "rpm_limit")]
    assert gateway.calls == []
    unknown = dict(tenant_spec, llm={"models": ["gpt-4o", "claude-9"]})
    with pytest.raises(SpecError, match=r"llm.models\[1\]: 'claude-9' is not offered by the LLM gateway"):
        run_llm(llm_params(gateway, unknown), client=client)
    assert gateway.calls == [("GET", "/v1/models", 200)] and gateway.writes() == []


def test_llm_service_proxy_path_reaches_the_api_server(client, platform, tenant_spec):
    """Without a URL the requests go to the API server's services/proxy; with
    no gateway Service there, the API server's own answer comes back as a
    clear error (nothing leaves the machine)."""
    from ansible_collections.openova.platform.plugins.module_utils.errors import OpenovaError

    with pytest.raises(OpenovaError) as err:
        run_llm({"tenants": [tenant_spec], "default_models": ["gpt-4o"],
                 "gateway": {"service": "no-such-gateway"}}, client=client)
    text = str(err.value)
    assert "LLM gateway GET /v1/models at service openova-llm-gateway/no-such-gateway:4000" in text
    assert "the Kubernetes API server answered 404" in text and "services/proxy" in text
    assert MASTER_KEY not in text


def test_llm_through_the_api_server_service_proxy(client, platform, gateway, tenant_spec):
    """The default path: no URL, only the kubeconfig. The API server dials the
    Service's endpoint (a pod on a kwok node) through the local cluster's
    egress proxy, which connects it to the stand-in."""
    sys.path.insert(0, str(REPO / "tools"))
    import devcluster  # noqa: E402  pylint: disable=import-outside-toplevel

    if not hasattr(devcluster, "register_egress"):
        pytest.skip("this devcluster has no egress proxy registrations (tools/devcluster.py egress), so the API "
                    "server cannot reach a local stand-in through services/proxy")
    engine = Engine(client)
    ns, svc = "openova-llm-gateway", "litellm-litellm-helm"
    labels = {"app": "litellm-stand-in"}
    engine.apply([
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": svc, "namespace": ns},
         "spec": {"selector": labels, "ports": [{"name": "http", "port": 4000, "targetPort": 4000}]}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "litellm-stand-in", "namespace": ns, "labels": labels},
         "spec": {"containers": [{"name": "gateway", "image": "stand-in.invalid/litellm:none",
                                  "ports": [{"containerPort": 4000}]}]}},
    ])
    engine.wait("v1", "Pod", "litellm-stand-in", ns, predicate=lambda p: any(
        c.get("type") == "Ready" and c.get("status") == "True" for c in (p.get("status") or {}).get("conditions", [])),
        timeout=120)
    devcluster.register_egress("%s/%s:4000" % (ns, svc), "127.0.0.1:%d" % gateway.port,
                               note="LiteLLM stand-in for tests/integration/test_tenant_access.py")
    try:
        params = {"tenants": [tenant_spec], "default_models": ["gpt-4o"]}
        out = run_llm(params, client=client)
        assert out["tenants"][tenant_spec["name"]]["team"] == "created"
        assert ("POST", "/team/new", 200) in gateway.calls
        assert run_llm(params, client=client)["changed"] is False
        run_llm(dict(params, state="absent"), client=client)
        assert gateway.teams == {} and gateway.violations == []
    finally:
        devcluster.unregister_egress("%s/%s:4000" % (ns, svc))
        engine.delete([("v1", "Pod", ns, "litellm-stand-in"), ("v1", "Service", ns, svc)])


def test_playbooks_onboard_and_offboard_with_registry_and_gateway(kubeconfig, client, platform, harbor, gateway):
    """Must show: onboarding writes the pull Secret into every tenant namespace
    and the default ServiceAccount names it; offboarding removes the robot
    accounts, the key and the team."""
    engine = Engine(client)
    name = "pa" + uuid.uuid4().hex[:6]
    access = {"openova_tenant_registry": True, "openova_tenant_registry_harbor": {"url": harbor.url},
              "openova_tenant_llm_gateway": True, "openova_tenant_llm_gateway_settings": {"url": gateway.url},
              "openova_llm_default_models": ["gpt-4o-mini"]}
    survey = dict(access, tenant_name=name, tenant_owner_groups=name + "-admins",
                  tenant_namespaces="%s-dev,%s-prod" % (name, name), tenant_llm_models="gpt-4o")
    try:
        _rc, out, _stdout = run_playbook(REPO / "playbooks" / "onboard_tenant.yml", kubeconfig, extra_vars=survey)
        registry_result = task_result(out, "Give the tenants their Harbor projects, robot accounts and image pull Secrets")
        assert registry_result["tenants"][name]["robots"] == {"pull": "created", "push": "created"}
        for ns in (name + "-dev", name + "-prod"):
            assert engine.get("v1", "Secret", "harbor-pull", ns)["type"] == "kubernetes.io/dockerconfigjson"
            assert engine.get("v1", "ServiceAccount", "default", ns)["imagePullSecrets"] == [{"name": "harbor-pull"}]
            assert engine.get("v1", "Secret", "llm-gateway-credentials", ns)
        assert gateway.teams["tenant-" + name]["models"] == ["gpt-4o"]
        _rc, out, _stdout = run_playbook(REPO / "playbooks" / "onboard_tenant.yml", kubeconfig, extra_vars=survey)
        assert changed(out) == 0
        _rc, out, _stdout = run_playbook(REPO / "playbooks" / "offboard_tenant.yml", kubeconfig,
                                         extra_vars=dict(access, tenant_name=name))
        assert task_result(out, "Offboard the tenants' Harbor projects and robot accounts")["tenants"][name][
            "robots"] == {"pull": "deleted", "push": "deleted"}
        assert harbor.robots == {} and harbor.projects == {}
        assert gateway.teams == {} and gateway.keys == {}
        assert harbor.violations == [] and gateway.violations == []
    finally:
        run_playbook(REPO / "playbooks" / "offboard_tenant.yml", kubeconfig,
                     extra_vars=dict(access, tenant_name=name, confirm_delete_registry_project=True), expect_rc=None)
