"""options.py: one option table gives the argument spec and the documented options."""

from ansible_collections.openova.platform.plugins.module_utils.options import argspec, doc_options, opt

TABLE = dict(
    state=opt("str", ["First.", "Second."], default="present", choices=["present", "absent"]),
    items=opt("list", "Things.", elements="dict", required=True,
              options=dict(name=opt("str", "A name.", required=True), data=opt("dict", "Values.", no_log=True))),
)


def test_argspec_drops_descriptions_recursively():
    assert argspec(TABLE) == {
        "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
        "items": {"type": "list", "elements": "dict", "required": True,
                  "options": {"name": {"type": "str", "required": True}, "data": {"type": "dict", "no_log": True}}}}


def test_doc_options_are_documentation_in_a_fixed_order():
    doc = doc_options(TABLE)
    assert list(doc["state"]) == ["description", "type", "default", "choices"]
    assert doc["state"]["description"] == ["First.", "Second."]
    assert list(doc["items"]) == ["description", "type", "required", "elements", "suboptions"]
    assert doc["items"]["suboptions"]["data"] == {"description": ["Values."], "type": "dict"}


def test_argspec_is_a_copy():
    spec = argspec(TABLE)
    spec["state"]["choices"].append("x")
    assert TABLE["state"]["choices"] == ["present", "absent"]
