"""Cross-check of the AWX surveys (awx/surveys/) against what their playbooks accept.

For every job template of awx/job_templates.yml, the survey's variables are compared with the
argument specification the catalogue names for the playbook (a role entry point, or a module
whose options the playbook passes through under the same names), and with the playbook's text:
no question may set a variable the playbook ignores, every required variable needs a question
(or a default, or a launch-prompt variable), and types, choices and defaults must agree with
what a survey answer is (AWX gives text, numbers, and lists of text only).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
AWX = REPO / "awx"
CATALOGUE = AWX / "job_templates.yml"
EXPECTED_PLAYBOOKS = {
    "playbooks/site.yml", "playbooks/onboard_tenant.yml", "playbooks/offboard_tenant.yml",
    "playbooks/deploy_service.yml", "playbooks/canary.yml", "playbooks/check_workloads.yml",
}
SURVEY_TYPES = {"text", "textarea", "password", "integer", "float", "multiplechoice", "multiselect"}
BOOL_TEXT = {"true", "false", "yes", "no", "on", "off", "1", "0"}
# Which survey types can give a value of an argument spec type. A text answer suits a list
# because the list type splits text on commas; a textarea's lines are not split.
FITS = {
    "str": {"text", "textarea", "password", "multiplechoice"},
    "path": {"text"},
    "int": {"integer"},
    "float": {"integer", "float"},
    "bool": {"multiplechoice"},
    "list": {"multiselect", "text"},
    "dict": set(),
}


def load_catalogue() -> list[dict]:
    return yaml.safe_load(CATALOGUE.read_text())["job_templates"]


def load_survey(template: dict) -> dict:
    return yaml.safe_load((AWX / template["survey"]).read_text())


class SpecMissing(Exception):
    """The catalogue names a specification that does not exist."""


def load_options(ref: dict) -> tuple[str, dict]:
    """(where, options) of a catalogue `argument_spec` reference; raises SpecMissing."""
    if "module" in ref:
        path = REPO / "plugins" / "modules" / f"{ref['module']}.py"
        if not path.is_file():
            raise SpecMissing(f"{path.relative_to(REPO)} does not exist")
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "DOCUMENTATION":
                return str(path.relative_to(REPO)), yaml.safe_load(node.value.value)["options"]
        raise SpecMissing(f"{path.relative_to(REPO)} has no DOCUMENTATION")
    path = REPO / "roles" / ref["role"] / "meta" / "argument_specs.yml"
    where = f"{path.relative_to(REPO)} entry point {ref['entry_point']!r}"
    if not path.is_file():
        raise SpecMissing(f"{path.relative_to(REPO)} does not exist")
    specs = yaml.safe_load(path.read_text())["argument_specs"]
    if ref["entry_point"] not in specs:
        raise SpecMissing(f"{path.relative_to(REPO)} has no entry point {ref['entry_point']!r} "
                          f"(it has {sorted(specs)})")
    return where, specs[ref["entry_point"]].get("options") or {}


def _multi_default(question: dict) -> list:
    default = question.get("default")
    if isinstance(default, list):
        return default
    return [line for line in str(default or "").split("\n") if line]


def check_questions(survey: dict) -> list[str]:
    """Problems with the survey's own shape (what AWX would reject or misread)."""
    problems = []
    seen = set()
    for question in survey.get("spec") or []:
        var = question.get("variable", "?")
        for key in ("question_name", "variable", "type", "required"):
            if key not in question:
                problems.append(f"{var}: the question has no {key}")
        if var in seen:
            problems.append(f"{var}: asked twice")
        seen.add(var)
        qtype = question.get("type")
        if qtype not in SURVEY_TYPES:
            problems.append(f"{var}: type {qtype!r} is not a survey type ({sorted(SURVEY_TYPES)})")
            continue
        choices = [str(c) for c in question.get("choices") or []]
        if qtype in ("multiplechoice", "multiselect") and not choices:
            problems.append(f"{var}: a {qtype} question needs choices")
        if "default" in question and question["default"] not in ("", None):
            default = question["default"]
            if qtype == "multiplechoice" and str(default) not in choices:
                problems.append(f"{var}: default {default!r} is not one of the choices {choices}")
            if qtype == "multiselect" and not set(_multi_default(question)) <= set(choices):
                problems.append(f"{var}: default {default!r} is not among the choices {choices}")
            if qtype == "integer":
                if not isinstance(default, int) or isinstance(default, bool):
                    problems.append(f"{var}: default {default!r} is not an integer")
                elif not question.get("min", default) <= default <= question.get("max", default):
                    problems.append(f"{var}: default {default} is outside min..max")
        if question.get("required") and qtype in ("text", "textarea", "password") and question.get("min") == 0:
            problems.append(f"{var}: required, but min 0 lets an empty answer through")
    return problems


def check_against_spec(survey: dict, options: dict, prompted=()) -> list[str]:
    """Problems between a survey (plus launch-prompt variables) and an argument spec's options."""
    problems = []
    questions = {q["variable"]: q for q in survey.get("spec") or [] if "variable" in q}
    for var in sorted(set(questions) | set(prompted)):
        if var not in options:
            problems.append(f"{var}: the survey sets it, but the argument spec has no such variable "
                            "(the playbook ignores it, or the spec is missing it)")
    for var, option in options.items():
        option = option or {}
        required = option.get("required", False) and option.get("default") is None
        question = questions.get(var)
        if required and question is None and var not in prompted:
            problems.append(f"{var}: required by the argument spec, but no question asks for it")
        elif required and question is not None and not question.get("required") and question.get("default") in (None, ""):
            problems.append(f"{var}: required by the argument spec, but the question is optional with no default")
        if question is None:
            continue
        problems.extend(_check_type(var, question, option))
    return problems


def _check_type(var: str, question: dict, option: dict) -> list[str]:
    spec_type = option.get("type", "str")
    qtype = question.get("type")
    choices = [str(c) for c in question.get("choices") or []]
    spec_choices = [str(c) for c in option.get("choices") or []]
    if spec_type == "raw":
        return []
    if spec_type not in FITS:
        return [f"{var}: the argument spec's type {spec_type!r} is not one a survey answer can be checked against"]
    if qtype not in FITS[spec_type]:
        hint = ("; a survey cannot give a mapping: take it from the launch prompt (prompted_variables)"
                if spec_type == "dict" else "")
        return [f"{var}: a {qtype} question cannot give the {spec_type} the argument spec wants "
                f"(use one of {sorted(FITS[spec_type])}){hint}"]
    if spec_type == "bool" and not set(c.lower() for c in choices) <= BOOL_TEXT:
        return [f"{var}: choices {choices} are not all boolean text ({sorted(BOOL_TEXT)})"]
    if spec_choices:
        if qtype not in ("multiplechoice", "multiselect"):
            return [f"{var}: the argument spec allows only {spec_choices}, but the question is free {qtype}"]
        if set(choices) != set(spec_choices):
            return [f"{var}: the survey offers {sorted(choices)}, the argument spec allows {sorted(spec_choices)}"]
    if qtype == "multiselect" and spec_type != "list":
        return [f"{var}: a multiselect gives a list, the argument spec wants {spec_type}"]
    return []


def _playbook_text(playbook: Path) -> str:
    """The playbook and every task or vars file it names, comments dropped."""
    texts, todo, seen = [], [playbook], set()
    while todo:
        path = todo.pop()
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        text = "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("#"))
        texts.append(text)
        for name in re.findall(r"[\w./-]+\.ya?ml", text):
            todo.extend(p for p in (path.parent / name, playbook.parent / name) if p.is_file())
    return "\n".join(texts)


def check_playbook_reads(playbook: Path, survey: dict, prompted=()) -> list[str]:
    """Survey variables the playbook (and the files it includes) never mention."""
    text = _playbook_text(playbook)
    variables = [q.get("variable") for q in survey.get("spec") or []] + list(prompted)
    return [f"{var}: {playbook.relative_to(REPO)} never reads it"
            for var in variables if not re.search(rf"(?<![\w.]){re.escape(var)}\b", text)]


TEMPLATES = load_catalogue()
IDS = [t["name"] for t in TEMPLATES]


def test_catalogue_covers_the_job_playbooks():
    assert {t["playbook"] for t in TEMPLATES} == EXPECTED_PLAYBOOKS
    assert len(set(IDS)) == len(IDS)
    for template in TEMPLATES:
        known = {"name", "playbook", "description", "survey", "argument_spec", "prompted_variables", "credentials"}
        assert set(template) <= known, template["name"]
        assert (AWX / template["survey"]).is_file(), template["survey"]


@pytest.mark.parametrize("template", TEMPLATES, ids=IDS)
def test_playbook_exists(template):
    assert (REPO / template["playbook"]).is_file(), (
        f"job template {template['name']!r} runs {template['playbook']}, which is not in the repository")


@pytest.mark.parametrize("template", TEMPLATES, ids=IDS)
def test_survey_is_well_formed(template):
    survey = load_survey(template)
    assert survey["name"] == template["name"]
    assert check_questions(survey) == []


@pytest.mark.parametrize("template", TEMPLATES, ids=IDS)
def test_playbook_reads_every_survey_variable(template):
    playbook = REPO / template["playbook"]
    if not playbook.is_file():
        pytest.fail(f"{template['playbook']} is missing, so {template['name']!r}'s survey cannot be checked")
    assert check_playbook_reads(playbook, load_survey(template), template.get("prompted_variables", ())) == []


@pytest.mark.parametrize("template", TEMPLATES, ids=IDS)
def test_survey_matches_argument_spec(template):
    survey = load_survey(template)
    prompted = template.get("prompted_variables", ())
    try:
        where, options = load_options(template["argument_spec"])
    except SpecMissing as err:
        missing = str(err)
    else:
        missing = ""
    if missing:
        asked = [q["variable"] for q in survey["spec"]] + list(prompted)
        pytest.fail(f"{template['name']!r} ({template['playbook']}): {missing}; nothing specifies the variables "
                    f"the playbook reads ({', '.join(asked)}), so the survey cannot be checked")
    problems = check_against_spec(survey, options, prompted)
    assert problems == [], f"{template['name']!r} vs {where}:\n" + "\n".join(problems)


# The checker must be able to fail: a deliberately wrong survey against a known spec.
SPEC = {
    "tenant_name": {"type": "str", "required": True},
    "tenant_tier": {"type": "str", "choices": ["small", "medium", "large"], "default": "small"},
    "tenant_owner_groups": {"type": "list", "elements": "str", "required": True},
    "tenant_count": {"type": "int", "default": 1},
    "confirm": {"type": "bool", "default": False},
    "service": {"type": "dict", "required": True},
}
GOOD = {"name": "x", "spec": [
    {"question_name": "n", "variable": "tenant_name", "type": "text", "required": True, "min": 1},
    {"question_name": "t", "variable": "tenant_tier", "type": "multiplechoice", "required": True,
     "choices": ["small", "medium", "large"], "default": "small"},
    {"question_name": "g", "variable": "tenant_owner_groups", "type": "text", "required": True, "min": 1},
    {"question_name": "c", "variable": "tenant_count", "type": "integer", "required": False, "default": 2},
    {"question_name": "y", "variable": "confirm", "type": "multiplechoice", "required": True,
     "choices": ["false", "true"], "default": "false"},
]}


def test_checker_accepts_a_matching_survey():
    assert check_questions(GOOD) == []
    assert check_against_spec(GOOD, SPEC, prompted=["service"]) == []


def test_checker_reports_every_mismatch():
    wrong = {"name": "x", "spec": [
        # tenant_name missing altogether; service not prompted either
        {"question_name": "t", "variable": "tenant_tier", "type": "multiplechoice", "required": True,
         "choices": ["small", "huge"], "default": "huge"},
        {"question_name": "g", "variable": "tenant_owner_groups", "type": "textarea", "required": True},
        {"question_name": "c", "variable": "tenant_count", "type": "text", "required": False},
        {"question_name": "y", "variable": "confirm", "type": "multiplechoice", "required": True,
         "choices": ["false", "maybe"]},
        {"question_name": "z", "variable": "tenant_colour", "type": "text", "required": False},
    ]}
    problems = check_against_spec(wrong, SPEC)
    expected = [
        "tenant_colour: the survey sets it, but the argument spec has no such variable",
        "tenant_name: required by the argument spec, but no question asks for it",
        "service: required by the argument spec, but no question asks for it",
        "tenant_tier: the survey offers ['huge', 'small'], the argument spec allows ['large', 'medium', 'small']",
        "tenant_owner_groups: a textarea question cannot give the list",
        "tenant_count: a text question cannot give the int",
        "confirm: choices ['false', 'maybe'] are not all boolean text",
    ]
    for start in expected:
        assert any(p.startswith(start) for p in problems), (start, problems)
    assert len(problems) == len(expected), problems


def test_checker_reports_a_mapping_asked_in_a_survey():
    survey = {"name": "x", "spec": [
        {"question_name": "s", "variable": "service", "type": "textarea", "required": True}]}
    problems = check_against_spec(survey, {"service": {"type": "dict", "required": True}})
    assert len(problems) == 1 and "take it from the launch prompt" in problems[0]


def test_checker_reports_malformed_questions():
    survey = {"name": "x", "spec": [
        {"question_name": "a", "variable": "a", "type": "dropdown", "required": True},
        {"question_name": "b", "variable": "b", "type": "multiplechoice", "required": True,
         "choices": ["x"], "default": "y"},
        {"question_name": "c", "variable": "c", "type": "integer", "required": True, "default": 9, "max": 5},
        {"question_name": "d", "variable": "d", "type": "multiselect", "required": True},
        {"variable": "b", "type": "text", "required": False},
    ]}
    problems = check_questions(survey)
    for start in ("a: type 'dropdown'", "b: default 'y'", "c: default 9 is outside", "d: a multiselect",
                  "b: the question has no question_name", "b: asked twice"):
        assert any(p.startswith(start) for p in problems), (start, problems)


def test_real_spec_mismatch_is_reported():
    # The real workload_check options against a survey with a wrong pdb_mode choice.
    template = next(t for t in TEMPLATES if t["argument_spec"].get("module") == "workload_check")
    survey = load_survey(template)
    for question in survey["spec"]:
        if question["variable"] == "pdb_mode":
            question["choices"] = ["generate", "strict"]
    options = load_options(template["argument_spec"])[1]
    assert check_against_spec(survey, options) == [
        "pdb_mode: the survey offers ['generate', 'strict'], the argument spec allows ['generate', 'validate']"]


def test_playbook_check_reports_an_ignored_variable():
    playbook = REPO / "playbooks" / "offboard_tenant.yml"
    survey = {"name": "x", "spec": [{"variable": "tenant_name"}, {"variable": "confirm_tenant_name"}]}
    assert check_playbook_reads(playbook, survey) == [
        "confirm_tenant_name: playbooks/offboard_tenant.yml never reads it"]


def test_missing_entry_point_is_reported():
    with pytest.raises(SpecMissing, match="has no entry point 'nope'"):
        load_options({"role": "tenant", "entry_point": "nope"})
