"""plugins/modules/tenant.py: the documentation matches the argument spec,
option for option, so ansible-doc shows what the module accepts."""

import yaml

from ansible_collections.openova.platform.plugins.modules import tenant as module
from ansible_collections.openova.platform.plugins.module_utils.tenant.schema import module_argspec

KEYS = ("type", "default", "choices", "elements", "required")


def compare(doc_options, spec, path=""):
    problems = []
    if set(doc_options) != set(spec):
        problems.append("%s: documented %s, accepted %s" % (path or "options", sorted(doc_options), sorted(spec)))
    for name in set(doc_options) & set(spec):
        doc, arg = doc_options[name], spec[name]
        for key in KEYS:
            want = arg.get(key, False if key == "required" else None)
            got = doc.get(key, False if key == "required" else None)
            if key == "default" and want in ({}, []) and got in ({}, [], None) and doc.get("type") in ("dict", "list"):
                got = want
            if got != want:
                problems.append("%s%s.%s: documented %r, accepted %r" % (path, name, key, got, want))
        if "options" in arg:
            problems += compare(doc.get("suboptions", {}), arg["options"], "%s%s." % (path, name))
        if not doc.get("description"):
            problems.append("%s%s: no description" % (path, name))
    return problems


def test_documentation_matches_the_argument_spec():
    doc = yaml.safe_load(module.DOCUMENTATION)
    assert compare(doc["options"], module_argspec()) == []


def test_examples_and_return_parse():
    assert yaml.safe_load(module.EXAMPLES)[0]["openova.platform.tenant"]["tenants"][0]["name"] == "acme"
    assert {"changed", "tenants", "diff", "shared"} <= set(yaml.safe_load(module.RETURN))
