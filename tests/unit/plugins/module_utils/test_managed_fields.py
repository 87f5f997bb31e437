"""managed_fields.py: when a server-side apply would change nothing, so the write can be skipped."""

import pytest

from ansible_collections.openova.platform.plugins.module_utils.managed_fields import (
    contains,
    field_paths,
    managed_paths,
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


def test_field_paths_treat_lists_as_leaves():
    obj = {"apiVersion": "v1", "kind": "X", "metadata": {"name": "n", "labels": {"a": "b"}}, "spec": {"l": [1]}}
    assert field_paths(obj) == {("metadata", "name"), ("metadata", "labels", "a"), ("spec", "l")}


def test_managed_paths_give_up_on_associative_lists():
    assert managed_paths({"f:spec": {"f:l": {}}}) == {("spec", "l")}
    assert managed_paths({"f:spec": {"f:l": {"k:{\"name\":\"a\"}": {}}}}) is None


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
