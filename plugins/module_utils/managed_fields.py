# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure test of whether a live object already is what a server-side apply
would make it, read from the object and its managedFields, so that the engine
can skip the write. Skipping matters: a no-op re-run then costs only the reads,
and some CRDs (Redpanda User, whose status has schema defaults) get a new
resourceVersion on every server-side apply even when nothing changes.
No I/O here; used by apply.Engine."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

_SKIP_TOP = ("apiVersion", "kind", "status")


def contains(live, want):
    """True when every field of ``want`` has the same value in ``live``; lists
    must have the same length and each item must be contained.

    >>> contains({"a": 1, "b": {"c": 2, "d": 3}}, {"b": {"c": 2}})
    True
    """
    if isinstance(want, dict):
        if not isinstance(live, dict):
            return False
        for key, value in want.items():
            if key not in live:
                return False
            if isinstance(value, (dict, list)):
                if not contains(live[key], value):
                    return False
            elif live[key] != value:
                return False
        return True
    if isinstance(want, list):
        if not isinstance(live, list) or len(live) != len(want):
            return False
        for live_item, item in zip(live, want):
            if not contains(live_item, item):
                return False
        return True
    return live == want


def _has_children(node):
    """A fieldsV1 node with a field below it (``.`` marks only the node itself)."""
    return bool(node) and len(node) > ("." in node)


def _owns(fields, want):
    """``fields`` (a fieldsV1 node with children) owns exactly the fields of ``want`` (a
    non-empty mapping): the same keys, a mapping below a key owned field by field or, as
    an atomic struct (roleRef, a label selector), as one leaf; lists and scalars as leaves.
    False for associative list entries (``k:``/``v:``/``i:``), which this model does not follow."""
    keys = [key for key in fields if key != "."]
    if len(keys) != len(want):
        return False
    for key in keys:
        if not key.startswith("f:") or key[2:] not in want:
            return False
        value, node = want[key[2:]], fields[key]
        if isinstance(value, dict) and value:
            if _has_children(node) and not _owns(node, value):
                return False
        elif _has_children(node):
            return False
    return True


def owns_exactly(fields_v1, want):
    """True when a managedFields ``fieldsV1`` tree owns exactly the fields a server-side
    apply of ``want`` sets (top-level apiVersion, kind, status and metadata name and
    namespace aside), so that no field we stopped setting needs removing.

    >>> owns_exactly({"f:spec": {"f:roleRef": {}}}, {"metadata": {"name": "a"}, "spec": {"roleRef": {"kind": "R"}}})
    True
    """
    want = dict((k, v) for k, v in want.items() if k not in _SKIP_TOP)
    meta = want.get("metadata")
    if isinstance(meta, dict):
        meta = dict((k, v) for k, v in meta.items() if k not in ("name", "namespace"))
        if meta:
            want["metadata"] = meta
        else:
            del want["metadata"]
    if not want or not _has_children(fields_v1):
        return not want and not _has_children(fields_v1)
    return _owns(fields_v1, want)


def up_to_date(live, want, field_manager):
    """True when applying ``want`` as ``field_manager`` would change nothing:
    the live object contains every desired value, and the manager owns exactly
    the desired fields (so no field we stopped setting needs removing)."""
    if not live:
        return False
    for key, value in want.items():
        if key in _SKIP_TOP:
            continue
        if key not in live or not contains(live[key], value):
            return False
    entries = [m for m in live.get("metadata", {}).get("managedFields") or []
               if m.get("manager") == field_manager and m.get("operation") == "Apply"
               and not m.get("subresource")]
    return len(entries) == 1 and owns_exactly(entries[0].get("fieldsV1") or {}, want)
