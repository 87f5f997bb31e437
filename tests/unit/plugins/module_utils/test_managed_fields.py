"""managed_fields.py: when a server-side apply would change nothing, so the write can be skipped."""

import pytest

import copy
import random

from ansible_collections.openova.platform.plugins.module_utils.managed_fields import (
    contains,
    owns_exactly,
    up_to_date,
)


@pytest.mark.parametrize("live,want,expected", [
    ({"a": 1, "b": 2}, {"a": 1}, True),
    ({"a": 1}, {"a": 2}, False),
    ({"a": {"b": 1, "c": 2}}, {"a": {"b": 1}}, True),
    ({"l": [{"x": 1, "d": 0}]}, {"l": [{"x": 1}]}, True),
    ({"l": [1, 2]}, {"l": [1]}, False),
    ({}, {"a": None}, False),
])
def test_contains(live, want, expected):
    assert contains(live, want) is expected


# The model owns_exactly() implements as a tree walk, written as sets of leaf paths (the
# first version of managed_fields.py): an oracle to compare it with.
def _field_paths(obj, prefix=()):
    out = set()
    for key, value in obj.items():
        if not prefix and key in ("apiVersion", "kind", "status"):
            continue
        if isinstance(value, dict) and value:
            out |= _field_paths(value, prefix + (key,))
        else:
            out.add(prefix + (key,))
    return out


def _managed_paths(fields, prefix=()):
    out = set()
    for key, value in fields.items():
        if key == ".":
            continue
        if not key.startswith("f:"):
            return None
        children = dict((k, v) for k, v in (value or {}).items() if k != ".")
        if children:
            sub = _managed_paths(children, prefix + (key[2:],))
            if sub is None:
                return None
            out |= sub
        else:
            out.add(prefix + (key[2:],))
    return out


def _owns_exactly_by_paths(fields, want):
    owned = _managed_paths(fields)
    if owned is None:
        return False
    wanted = _field_paths(want) - {("metadata", "name"), ("metadata", "namespace")}
    collapsed = set()
    for path in wanted:
        covered = [path[:i] for i in range(1, len(path)) if path[:i] in owned]
        collapsed.add(covered[0] if covered else path)
    return owned == collapsed


@pytest.mark.parametrize("fields,want,expected", [
    ({"f:spec": {"f:l": {}}}, {"spec": {"l": [1]}}, True),
    ({"f:spec": {"f:l": {"k:{\"name\":\"a\"}": {}}}}, {"spec": {"l": [1]}}, False),  # associative list
    ({}, {"metadata": {"name": "n"}}, True),
    ({"f:metadata": {}}, {"metadata": {"name": "n"}}, False),
    ({"f:metadata": {"f:name": {}}}, {"metadata": {"name": "n"}}, False),
    ({"f:spec": {".": {}, "f:a": {}}}, {"spec": {"a": 1}}, True),
    ({"f:spec": {}}, {"spec": {"a": 1, "b": {"c": 2}}}, True),  # atomic struct
    ({"f:spec": {"f:a": {}}}, {"spec": {"a": 1, "b": 2}}, False),
    ({"f:spec": {"f:a": {"f:x": {}}}}, {"spec": {"a": {}}}, False),
    ({"f:spec": {"f:a": {}}}, {"spec": {"a": {}}}, True),
    ({"f:status": {}}, {"status": {"a": 1}}, False),
])
def test_owns_exactly(fields, want, expected):
    assert owns_exactly(fields, want) is expected
    assert _owns_exactly_by_paths(fields, want) is expected


def _nodes(tree):
    for key, value in list(tree.items()):
        if key != ".":
            yield tree, key
            if isinstance(value, dict):
                yield from _nodes(value)


def test_owns_exactly_agrees_with_the_path_model_on_mutations():
    """Owned trees and desired objects mutated at random (fields dropped, added, made atomic,
    associative keys, empty mappings): the tree walk and the path-set model agree."""
    want = {"apiVersion": "v1", "kind": "X", "metadata": {"name": "n", "namespace": "s", "labels": {"a": "1", "b": "2"},
                                                          "annotations": {"c": "3"}},
            "spec": {"selector": {"matchLabels": {"a": "1"}}, "ports": [{"port": 1}], "policy": {"x": {"y": 1}},
                     "empty": {}}}
    fields = {"f:metadata": {"f:labels": {"f:a": {}, "f:b": {}}, "f:annotations": {".": {}, "f:c": {}}},
              "f:spec": {"f:selector": {}, "f:ports": {}, "f:policy": {"f:x": {"f:y": {}}}, "f:empty": {}}}
    assert owns_exactly(fields, want) and _owns_exactly_by_paths(fields, want)
    rnd = random.Random(7)
    outcomes = set()
    for _case in range(3000):
        f, w = copy.deepcopy(fields), copy.deepcopy(want)
        for _step in range(rnd.randint(1, 2)):
            op = rnd.randrange(5)
            tree = f if op < 4 else w
            node, key = rnd.choice(list(_nodes(tree)))
            if op == 0:
                del node[key]
            elif op == 1 and isinstance(node[key], dict):
                node[key]["f:extra"] = {}
            elif op == 2:
                node[key] = {}
            elif op == 3 and isinstance(node[key], dict):
                node[key]["k:{\"a\":1}"] = {}
            elif op == 4:
                node[key] = {} if rnd.random() < 0.5 else "v"
        expected = _owns_exactly_by_paths(f, w)
        assert owns_exactly(f, w) is expected, (f, w)
        outcomes.add(expected)
    assert outcomes == {True, False}


def _live(fields, **body):
    out = {"metadata": {"name": "n", "labels": {"a": "b"}, "resourceVersion": "7", "managedFields": [
        {"manager": "openova-platform", "operation": "Apply", "fieldsV1": fields}]}}
    out.update(body)
    return out


WANT = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "n", "labels": {"a": "b"}},
        "data": {"k": "v"}}
FIELDS = {"f:metadata": {"f:labels": {"f:a": {}}}, "f:data": {"f:k": {}}}


def test_up_to_date_when_values_and_owned_fields_match():
    assert up_to_date(_live(FIELDS, data={"k": "v"}), WANT, "openova-platform")


@pytest.mark.parametrize("live", [
    None,
    _live(FIELDS, data={"k": "other"}),
    _live(dict(FIELDS, **{"f:data": {"f:k": {}, "f:old": {}}}), data={"k": "v", "old": "x"}),  # field to remove
    _live({"f:data": {"f:k": {"k:{}": {}}}}, data={"k": "v"}),
])
def test_not_up_to_date(live):
    assert not up_to_date(live, WANT, "openova-platform")


def test_atomic_struct_is_one_owned_leaf():
    want = {"apiVersion": "v1", "kind": "RoleBinding", "metadata": {"name": "n"}, "roleRef": {"kind": "R", "name": "x"}}
    live = {"metadata": {"name": "n", "managedFields": [
        {"manager": "m", "operation": "Apply", "fieldsV1": {"f:roleRef": {}}}]}, "roleRef": {"kind": "R", "name": "x"}}
    assert up_to_date(live, want, "m")
