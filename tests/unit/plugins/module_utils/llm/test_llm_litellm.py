"""LiteLLM request builders and the tenant's budget, limits and models. Every
body is checked against the OpenAPI document that the pinned litellm package
generates (app.openapi(), made at test time); one wrong request must fail."""

import pytest

from ansible_collections.openova.platform.plugins.module_utils.llm import litellm as lm
from ansible_collections.openova.platform.plugins.module_utils.llm import render
from ansible_collections.openova.platform.plugins.module_utils.tenant import validate as v
from contract.openapi import Contract, ContractViolation
from contract.specs import litellm_openapi, pinned_litellm

KEY = {"x-litellm-api-key": "sk-master", "Content-Type": "application/json"}


@pytest.fixture(scope="module")
def openapi():
    path, version = litellm_openapi()
    assert version == pinned_litellm(), "the installed litellm is not the version requirements-contract.txt pins"
    return Contract.load(path, "LiteLLM %s" % version)


def normalized(**llm):
    platform = v.normalize_platform({})
    return v.validate([{"name": "acme", "owners": {"admin": ["a"]}, "tier": llm.pop("tier", "small"),
                        "llm": llm}], platform)[0]


def test_tier_then_overrides():
    wanted = lm.settings(normalized(tier="medium", rpm_limit=5), ["m1"])
    assert wanted == {"max_budget": 250.0, "budget_duration": "30d", "tpm_limit": 500000, "rpm_limit": 5,
                      "models": ["m1"]}
    assert lm.settings(normalized(models=["b", "a", "b"]), ["m1"])["models"] == ["a", "b"]


def test_numbers_given_as_text_are_read_as_numbers():
    tenant = normalized(max_budget="12.5", tpm_limit="1000")
    assert lm.settings(tenant, ["m"])["max_budget"] == 12.5 and lm.settings(tenant, ["m"])["tpm_limit"] == 1000


def test_negative_or_non_numeric_budget_and_limits_name_the_field():
    with pytest.raises(Exception) as err:
        normalized(max_budget="a lot")
    assert "tenants[0] (acme).llm.max_budget: must be of type float" in str(err.value)
    tenant = normalized(max_budget=-1, tpm_limit=-5, budget_duration="monthly")
    problems = dict(lm.problems(tenant, "t", lm.settings(tenant, ["m"]), ["m"]))
    assert set(problems) == {"t.llm.max_budget", "t.llm.tpm_limit", "t.llm.budget_duration"}


def test_models_must_be_offered():
    tenant = normalized(models=["gpt-4o", "nope"])
    problems = lm.problems(tenant, "t", lm.settings(tenant, []), ["gpt-4o", "gpt-4o-mini"])
    assert problems == [("t.llm.models[1]", "'nope' is not offered by the LLM gateway; it offers gpt-4o, gpt-4o-mini")]
    tenant = normalized()
    assert lm.problems(tenant, "t", lm.settings(tenant, ["x"]), ["gpt-4o"])[0][0] == "default_models"
    assert "is empty" in lm.problems(tenant, "t", lm.settings(tenant, []), ["gpt-4o"])[0][1]


def test_every_request_matches_the_openapi(openapi):
    wanted = lm.settings(normalized(), ["gpt-4o"])
    token = lm.hash_key("sk-abc")
    for method, path, query, body in [
        ("GET", "/v1/models", {}, None),
        ("GET", "/team/list", {}, None),
        ("POST", "/team/new", {}, lm.team_new("acme", wanted)),
        ("POST", "/team/update", {}, lm.team_update("acme", {"max_budget": 10.0, "models": ["gpt-4o"]})),
        ("POST", "/team/delete", {}, lm.team_delete("acme")),
        ("GET", "/key/list", {"team_id": "tenant-acme", "return_full_object": "true", "size": "100"}, None),
        ("POST", "/key/generate", {}, lm.key_generate("acme", wanted)),
        ("POST", "/key/update", {}, lm.key_update(token, wanted)),
        ("POST", "/key/delete", {}, lm.key_delete([token])),
    ]:
        openapi.check_request(method, path, query, KEY, body)


def test_a_wrong_request_fails_validation(openapi):
    wrong = dict(lm.team_new("acme", lm.settings(normalized(), ["gpt-4o"])), tpm_limit="100k")
    with pytest.raises(ContractViolation, match="tpm_limit"):
        openapi.check_request("POST", "/team/new", {}, KEY, wrong)
    with pytest.raises(ContractViolation, match="team_ids"):
        openapi.check_request("POST", "/team/delete", {}, KEY, {"team_id": "tenant-acme"})
    with pytest.raises(ContractViolation, match="no credentials"):
        openapi.check_request("GET", "/team/list", {}, {}, None)
    with pytest.raises(ContractViolation, match="size=.*does not match"):
        openapi.check_request("GET", "/key/list", {"size": "1000"}, KEY, None)


def test_team_drift_and_views_hide_the_key():
    wanted = lm.settings(normalized(), ["gpt-4o"])
    live = dict(lm.team_new("acme", wanted), max_budget=50, models=["gpt-4o"])
    assert lm.team_drift(live, wanted) == {}
    assert lm.team_drift(dict(live, rpm_limit=1), wanted) == {"rpm_limit": 60}
    assert lm.key_view({"key_alias": "tenant-acme", "token": "t", "models": []})["key"] == "VALUE_HIDDEN"


def test_secrets_in_every_namespace_and_the_stored_copy():
    tenant = v.validate([{"name": "acme", "owners": {"admin": ["a"]}, "namespaces": ["acme-dev", "acme-prod"]}],
                        v.normalize_platform({}))[0]
    objs = render.render_llm_objects(tenant, "openova-llm-gateway", "http://gw:4000", "sk-x")
    assert [(o["metadata"]["namespace"], o["metadata"]["name"]) for o in objs] == [
        ("openova-llm-gateway", "tenant-acme-llm"), ("acme-dev", "llm-gateway-credentials"),
        ("acme-prod", "llm-gateway-credentials")]
    assert set(objs[1]["data"]) == {"LLM_GATEWAY_URL", "LLM_GATEWAY_API_KEY", "OPENAI_BASE_URL", "OPENAI_API_KEY"}
