"""preflight.evaluate and parse_version: pure judgement of cluster facts."""

import pytest

from ansible_collections.openova.platform.plugins.module_utils.errors import SpecError
from ansible_collections.openova.platform.plugins.module_utils.preflight import evaluate, parse_version

FACTS = {"server": "https://127.0.0.1:16443", "version": "1.36", "git_version": "v1.36.3", "nodes": 3,
         "ready_nodes": 3, "zones": ["zone-a", "zone-b", "zone-c"],
         "crd_groups": ["kyverno.io", "networking.istio.io"], "default_storage_class": None}


@pytest.mark.parametrize("text, expected", [("1.30", (1, 30)), ("v1.36.3", (1, 36)), ("1.9", (1, 9))])
def test_parse_version(text, expected):
    assert parse_version(text) == expected


@pytest.mark.parametrize("text", ["", "one.two", "latest", None])
def test_parse_version_rejects_garbage(text):
    with pytest.raises(SpecError, match="min_version"):
        parse_version(text)


def _failed(params):
    return sorted(c["name"] for c in evaluate(FACTS, params) if not c["ok"])


def test_all_met():
    assert _failed({"min_version": "1.30", "min_nodes": 3, "min_zones": 3,
                    "required_crd_groups": ["kyverno.io"]}) == []


def test_each_unmet_requirement_is_named():
    assert _failed({"min_version": "1.37"}) == ["version"]
    assert _failed({"min_nodes": 4}) == ["nodes"]
    assert _failed({"min_zones": 4}) == ["zones"]
    assert _failed({"required_crd_groups": ["cluster.redpanda.com"]}) == ["crd_groups"]
    assert _failed({"require_default_storage_class": True}) == ["default_storage_class"]


def test_version_compares_numerically():
    # 1.9 < 1.30 although "1.9" > "1.30" as strings
    facts = dict(FACTS, version="1.9")
    assert [c for c in evaluate(facts, {"min_version": "1.30"}) if c["name"] == "version"][0]["ok"] is False
