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
        return isinstance(live, dict) and all(k in live and contains(live[k], v) for k, v in want.items())
    if isinstance(want, list):
        return isinstance(live, list) and len(live) == len(want) and all(
            contains(lv, wv) for lv, wv in zip(live, want))
    return live == want


def field_paths(obj, prefix=()):
    """Leaf field paths of an object as server-side apply tracks them when all
    lists are atomic (maps recurse, lists and scalars are leaves)."""
    out = set()
    for key, value in obj.items():
        if not prefix and key in _SKIP_TOP:
            continue
        path = prefix + (key,)
        if isinstance(value, dict) and value:
            out |= field_paths(value, path)
        else:
            out.add(path)
    return out


def managed_paths(fields_v1, prefix=()):
    """Leaf paths of a managedFields ``fieldsV1`` tree, or None when it holds
    associative list entries (``k:``/``v:``/``i:``) this simple model cannot follow."""
    out = set()
    for key, value in fields_v1.items():
        if key == ".":
            continue
        if not key.startswith("f:"):
            return None
        path = prefix + (key[2:],)
        children = dict((k, v) for k, v in (value or {}).items() if k != ".")
        if children:
            sub = managed_paths(children, path)
            if sub is None:
                return None
            out |= sub
        else:
            out.add(path)
    return out


def up_to_date(live, want, field_manager):
    """True when applying ``want`` as ``field_manager`` would change nothing:
    the live object contains every desired value, and the manager owns exactly
    the desired fields (so no field we stopped setting needs removing)."""
    if not live or not contains(live, dict((k, v) for k, v in want.items() if k not in _SKIP_TOP)):
        return False
    entries = [m for m in live.get("metadata", {}).get("managedFields") or []
               if m.get("manager") == field_manager and m.get("operation") == "Apply"
               and not m.get("subresource")]
    if len(entries) != 1:
        return False
    owned = managed_paths(entries[0].get("fieldsV1") or {})
    wanted = field_paths(want)
    wanted -= {("metadata", "name"), ("metadata", "namespace")}
    if owned is None:
        return False
    # Atomic structs (roleRef, label selectors, object references) are owned as
    # one leaf; a desired path below an owned leaf counts as that leaf.
    collapsed = set()
    for path in wanted:
        covered = [path[:i] for i in range(1, len(path)) if path[:i] in owned]
        collapsed.add(covered[0] if covered else path)
    return owned == collapsed
