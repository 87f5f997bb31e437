# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Option tables: a module's options written once, with their descriptions, from
which come the argument spec (``argspec``), the normalizer's input
(validation.normalize) and the ``options:`` part of the module's DOCUMENTATION
(``doc_options``; tools/module_docs.py writes it into the module file and checks
it with ``--check``). Pure data, no I/O."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

# Keys that reach the argument spec; the rest (description) are documentation only.
_DOC_ONLY = ("description",)
_DOC_ORDER = ("description", "type", "required", "default", "choices", "elements", "aliases", "no_log", "suboptions")


def opt(type_, description, **extra):
    """One option: ``type``, ``description`` (a string or a list of paragraphs) and any
    argument-spec keys (default, choices, elements, required, options, no_log, aliases)."""
    out = dict(type=type_, description=description)
    out.update(extra)
    return out


def argspec(options):
    """An Ansible argument spec from an option table (descriptions dropped)."""
    out = {}
    for key, option in options.items():
        entry = dict((k, copy.deepcopy(v)) for k, v in option.items() if k not in _DOC_ONLY)
        if "options" in entry:
            entry["options"] = argspec(entry["options"])
        out[key] = entry
    return out


def doc_options(options):
    """The DOCUMENTATION ``options`` mapping of an option table, keys in a fixed order."""
    out = {}
    for key, option in options.items():
        description = option["description"]
        entry = {"description": list(description) if isinstance(description, (list, tuple)) else [description]}
        for field in _DOC_ORDER[1:]:
            if field == "suboptions":
                if "options" in option:
                    entry["suboptions"] = doc_options(option["options"])
            elif field == "required":
                if option.get("required"):
                    entry["required"] = True
            elif field == "no_log":
                continue  # argument-spec only
            elif field in option:
                entry[field] = copy.deepcopy(option[field])
        out[key] = entry
    return out
