"""Finding 3 (guard rails skipped by name): every namespace the rendered Kyverno policies
exclude and workload_check exempts, every name older releases exempted, every platform
host label and component name is refused as a tenant name and as a tenant namespace."""

import pytest

from ansible_collections.openova.platform.plugins.module_utils import facts
from ansible_collections.openova.platform.plugins.module_utils.errors import SpecError
from ansible_collections.openova.platform.plugins.module_utils.guardrails.policies import render_policies
from ansible_collections.openova.platform.plugins.module_utils.guardrails.rules import Params
from ansible_collections.openova.platform.plugins.module_utils.tenant import validate as v

PLATFORM = v.normalize_platform({})
LEGACY = ("redpanda", "observability", "harbor", "cnpg-system", "monitoring", "cilium", "openova-system")


def excluded_by_policies():
    out = set()
    for policy in render_policies(Params()):
        for rule in policy.get("spec", {}).get("rules", []):
            for entry in (rule.get("exclude") or {}).get("any", []):
                out.update(entry["resources"].get("namespaces", []))
    return out


NAMES = sorted(excluded_by_policies() | set(Params().platform_namespaces) | set(LEGACY)
               | set(facts.PLATFORM_HOST_LABELS) | {c.replace("_", "-") for c in facts.COMPONENTS})


def test_the_policies_exclude_exactly_the_exempt_namespaces():
    assert excluded_by_policies() == set(facts.EXEMPT_NAMESPACES)


@pytest.mark.parametrize("name", NAMES)
def test_no_tenant_takes_a_name_the_platform_uses(name):
    with pytest.raises(SpecError) as err:
        v.validate([{"name": name, "owners": {"admin": ["g"]}}], PLATFORM)
    assert any(f.endswith("(%s).name" % name) for f, _m in err.value.problems), err.value.msg
    with pytest.raises(SpecError) as err:
        v.validate([{"name": "acme", "owners": {"admin": ["g"]}, "namespaces": [name]}], PLATFORM)
    assert any(f.endswith("namespaces[0]") for f, _m in err.value.problems), err.value.msg
