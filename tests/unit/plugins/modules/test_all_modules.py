"""Every module: its DOCUMENTATION (with the doc fragments it extends) lists exactly the
options its ARGUMENT_SPEC accepts, with the same type, default, choices, elements and
required, so ansible-doc shows what the module accepts; EXAMPLES and RETURN parse."""

import importlib
from pathlib import Path

import pytest
import yaml

from test_tenant_module import compare

MODULES = sorted(p.stem for p in (Path(__file__).resolve().parents[4] / "plugins" / "modules").glob("*.py"))
PREFIX = "ansible_collections.openova.platform.plugins."


def fragment_options(name):
    """The options of a doc fragment such as openova.platform.connection.apply."""
    parts = name.split(".")
    if parts[:2] != ["openova", "platform"]:
        return {}
    fragment = importlib.import_module(PREFIX + "doc_fragments." + parts[2]).ModuleDocFragment
    text = getattr(fragment, parts[3].upper()) if len(parts) > 3 else fragment.DOCUMENTATION
    return yaml.safe_load(text).get("options") or {}


@pytest.mark.parametrize("name", MODULES)
def test_documentation_matches_the_argument_spec(name):
    module = importlib.import_module(PREFIX + "modules." + name)
    doc = yaml.safe_load(module.DOCUMENTATION)
    options = {}
    for fragment in doc.get("extends_documentation_fragment") or []:
        options.update(fragment_options(fragment))
    options.update(doc.get("options") or {})
    assert compare(options, module.ARGUMENT_SPEC) == []


@pytest.mark.parametrize("name", MODULES)
def test_examples_and_return_parse_and_attributes_come_from_the_fragment(name):
    module = importlib.import_module(PREFIX + "modules." + name)
    doc = yaml.safe_load(module.DOCUMENTATION)
    assert isinstance(yaml.safe_load(module.EXAMPLES), list) and isinstance(yaml.safe_load(module.RETURN), dict)
    fragments = doc["extends_documentation_fragment"]
    assert any(f.startswith("openova.platform.attributes") for f in fragments)
    assert set(doc.get("attributes") or {}) <= {"check_mode"}  # only an override of the fragment's details
