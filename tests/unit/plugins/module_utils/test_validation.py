"""validation.py: the kit every validator uses; each rule table-driven, no mocks."""

from fractions import Fraction

import pytest

from ansible_collections.openova.platform.plugins.module_utils import validation as kit
from ansible_collections.openova.platform.plugins.module_utils.errors import SpecError


def test_problems_collect_and_raise_once():
    p = kit.Problems(subject="thing 'x'")
    assert not p
    p.add("a", "is bad")
    p.extend([("b", "is worse")])
    assert len(p) == 2 and list(p) == [("a", "is bad"), ("b", "is worse")]
    with pytest.raises(SpecError) as err:
        p.raise_if_any()
    assert err.value.problems == [("a", "is bad"), ("b", "is worse")]
    assert "thing 'x': a: is bad" in err.value.msg and err.value.msg.startswith("2 problems")


def test_no_problems_raise_nothing():
    kit.Problems().raise_if_any()


@pytest.mark.parametrize("value, ok", [("acme", True), ("a-1", True), ("1a", True), ("a" * 63, True),
                                       ("a" * 64, False), ("Acme", False), ("a_b", False), ("-a", False),
                                       ("a-", False), ("", False), (None, False), (3, False)])
def test_dns1123_label(value, ok):
    assert kit.is_dns1123_label(value) is ok


@pytest.mark.parametrize("value, ok", [("web", True), ("1web", False), ("w-1", True), ("a" * 16, True)])
def test_dns1035_label(value, ok):
    assert kit.is_dns1035_label(value) is ok


@pytest.mark.parametrize("value, ok", [("a.b-c", True), ("a..b", False), ("a" * 254, False), (".a", False)])
def test_dns1123_subdomain(value, ok):
    assert kit.is_dns1123_subdomain(value) is ok


@pytest.mark.parametrize("value, ok", [("", True), ("v1.2_3", True), ("A", True), ("-a", False), ("a" * 64, False),
                                       ("a b", False)])
def test_label_value(value, ok):
    assert kit.is_label_value(value) is ok


def test_check_name_names_the_field_and_the_limit():
    p = kit.Problems()
    assert kit.check_name(p, "tenants[0].name", "a" * 41, max_len=40) is False
    assert p.items[0][0] == "tenants[0].name" and "at most 40" in p.items[0][1] and "DNS-1123" in p.items[0][1]


@pytest.mark.parametrize("value, lo, hi, ok", [(1, 1, None, True), (0, 1, None, False), (True, 0, None, False),
                                               ("1", 0, None, False), (101, 0, 100, False), (-5, None, 0, True)])
def test_check_int(value, lo, hi, ok):
    assert kit.check_int(kit.Problems(), "f", value, lo, hi) is ok


def test_check_length():
    p = kit.Problems()
    assert kit.check_length(p, "display_name", "x" * 10, 5) is False
    assert "is 10 long; at most 5" in p.items[0][1]
    assert kit.check_length(p, "list", [1], 5, min_len=1) is True


# Kubernetes' resource.Quantity: exact values, every suffix, exponents, and the bound the API server clamps to.
@pytest.mark.parametrize("text, value", [
    ("500m", Fraction(1, 2)), ("2", 2), ("128Mi", 128 * 2 ** 20), ("1G", 10 ** 9), ("1e3", 1000), ("1E3", 1000),
    ("1.5", Fraction(3, 2)), (".5", Fraction(1, 2)), ("1.", 1), ("+2", 2), ("-1", -1), ("1E", 10 ** 18),
    ("100n", Fraction(1, 10 ** 7)), ("3u", Fraction(3, 10 ** 6)), ("2k", 2000), ("1Ei", 2 ** 60), ("1e-3", Fraction(1, 1000)),
    (7, 7),
])
def test_parse_quantity(text, value):
    assert kit.parse_quantity(text) == value


@pytest.mark.parametrize("text", ["2 cores", "", "4gi", "1K", "1.2.3", "e3", "1ee3", "Mi", "1Mi1", None, 1.5, True,
                                  "1e1000"])
def test_parse_quantity_rejects(text):
    with pytest.raises(ValueError):
        kit.parse_quantity(text)


@pytest.mark.parametrize("text, ok", [("2", True), ("500m", True), ("4Gi", True), ("0.5", True), ("1e3", True),
                                      ("2 cores", False), ("-1", False), ("", False), ("4gi", False),
                                      ("9" * 30 + "Ei", False), ("8Ei", False), ("7Ei", True)])
def test_quantity_problem(text, ok):
    assert (kit.quantity_problem(text) is None) is ok


def test_quantity_messages():
    assert "is negative" in kit.quantity_problem("-1Gi")
    assert "larger than Kubernetes can store" in kit.quantity_problem("9" * 30 + "Ei")
    assert "not a Kubernetes quantity: unknown suffix 'gi'" in kit.quantity_problem("4gi")


def test_quantity_comparison():
    assert kit.quantity_le("500m", "1") is True
    assert kit.quantity_le("2", "1500m") is False
    assert kit.quantity_le("1Gi", "1G") is False
    assert kit.quantity_le("x", "1") is None
    p = kit.Problems()
    assert kit.check_not_above(p, "limits.default_cpu", "4", "max_cpu", "2") is False
    assert p.items == [("limits.default_cpu", "'4' is above max_cpu '2'")]


@pytest.mark.parametrize("text, seconds", [("2s", 2.0), ("250ms", 0.25), ("1m30s", 90.0), ("1.5h", 5400.0),
                                           ("100us", 1e-4)])
def test_duration_parses(text, seconds):
    assert kit.duration_seconds(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["2", "2 s", "s", "two seconds", "-1s", "", None, 5])
def test_duration_rejects(text):
    assert kit.duration_seconds(text) is None


def test_check_duration_minimum():
    p = kit.Problems()
    assert kit.check_duration(p, "t", None) is True
    assert kit.check_duration(p, "t", "10ms", minimum=0.05) is False
    assert "shorter than the minimum 50ms" in p.items[0][1]


@pytest.mark.parametrize("value, ok", [("10.0.0.0/8", True), ("fd00::/8", True), ("10.0.0.1/8", False),
                                       ("10.0.0.0/33", False), ("10.0.0.0", False), (None, False)])
def test_cidr(value, ok):
    assert kit.check_cidr(kit.Problems(), "c", value) is ok


OPTIONS = {
    "name": {"type": "str", "required": True},
    "size": {"type": "int", "default": 3},
    "mode": {"type": "str", "default": "a", "choices": ["a", "b"]},
    "tags": {"type": "list", "elements": "str", "default": []},
    "nested": {"type": "dict", "options": {"on": {"type": "bool", "default": False}}},
}


def test_normalize_fills_defaults_and_converts_int_text():
    p = kit.Problems()
    out = kit.normalize({"name": "x", "size": "5"}, OPTIONS, "spec", p)
    assert not p
    assert out == {"name": "x", "size": 5, "mode": "a", "tags": [], "nested": {"on": False}}


def test_normalize_reports_every_problem():
    p = kit.Problems()
    kit.normalize({"size": True, "mode": "c", "tags": [1], "nested": {"off": 1}, "extra": 1}, OPTIONS, "spec", p)
    fields = [field for field, _message in p]
    assert fields == ["spec.extra", "spec.name", "spec.size", "spec.mode", "spec.tags[0]", "spec.nested.off"]


def test_normalize_rejects_a_non_mapping():
    p = kit.Problems()
    assert kit.normalize("text", OPTIONS, "spec", p) == {}
    assert p.items == [("spec", "must be a mapping, got str")]
