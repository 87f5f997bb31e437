# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A list from a list or from comma separated text (what an AWX survey text field gives)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: comma_list
short_description: A list from a list or from comma separated text
version_added: 0.1.0
description:
  - Returns a list unchanged and splits text at commas, trimming each item and dropping empty ones, so that a
    playbook variable may be given as a YAML list or as the comma separated text an AWX survey field sends.
  - An empty or missing value (C(None), C('')) gives an empty list.
options:
  _input:
    description: A list, or text such as C(acme-dev, acme-prod).
    type: raw
    required: true
author:
  - OpenOva platform team (@openova)
"""

EXAMPLES = r"""
- name: Namespaces from a survey field
  ansible.builtin.debug:
    msg: "{{ 'acme-dev, acme-prod,' | openova.platform.comma_list }}"   # [acme-dev, acme-prod]
"""

RETURN = r"""
_value:
  description: The items.
  type: list
"""

from ansible.errors import AnsibleFilterError


def comma_list(value):
    """``"a, b,"`` -> ``["a", "b"]``; a list is returned as a list."""
    if value is None:
        return []
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    if isinstance(value, (list, tuple)):
        return list(value)
    raise AnsibleFilterError("comma_list expects a list or comma separated text, got %r" % (value,))


class FilterModule(object):
    def filters(self):
        return {"comma_list": comma_list}
