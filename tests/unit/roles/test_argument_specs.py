"""Every platform role documents exactly its defaults in meta/argument_specs.yml, with the
same default values (tools/role_argspecs.py writes the spec from the defaults and their comments)."""

import pytest
import yaml

from .rendering import PLATFORM_ROLES, ROLES, load


@pytest.mark.parametrize("role", PLATFORM_ROLES)
def test_argument_spec_lists_exactly_the_defaults(role):
    spec = yaml.safe_load((ROLES / role / "meta" / "argument_specs.yml").read_text())
    options = spec["argument_specs"]["main"]["options"]
    defaults = load(role, "defaults")
    assert sorted(options) == sorted(defaults), (
        f"{role}: only in defaults {sorted(set(defaults) - set(options))}, "
        f"only in the spec {sorted(set(options) - set(defaults))}; run tools/role_argspecs.py {role}")
    for key, option in options.items():
        assert option.get("description"), f"{role}: {key} has no description"
        assert option["type"] in ("str", "int", "bool", "dict", "list", "raw"), f"{role}: {key}"


@pytest.mark.parametrize("role", PLATFORM_ROLES)
def test_argument_spec_defaults_match_the_role_defaults(role):
    options = yaml.safe_load((ROLES / role / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
    defaults = load(role, "defaults")
    differ = sorted(key for key in defaults if key in options and options[key].get("default", object()) != defaults[key])
    assert not differ, f"{role}: the spec's default differs from defaults/main.yml for {differ}; run tools/role_argspecs.py {role}"
    for key in set(defaults) & set(options):
        if "choices" in options[key] and "{{" not in str(defaults[key]):
            assert defaults[key] in options[key]["choices"], f"{role}: {key} default {defaults[key]!r} is not a choice"


@pytest.mark.parametrize("role", PLATFORM_ROLES)
def test_public_variables_carry_the_role_prefix(role):
    assert all(k.startswith(f"{role}_") for k in load(role, "defaults")), role
    assert all(k.startswith(f"_{role}_") for k in load(role, "vars")), role


@pytest.mark.parametrize("role", PLATFORM_ROLES)
def test_tasks_main_stays_thin(role):
    lines = (ROLES / role / "tasks" / "main.yml").read_text().splitlines()
    assert len(lines) <= 60, f"{role}: tasks/main.yml has {len(lines)} lines"
