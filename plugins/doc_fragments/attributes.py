# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The attributes every module of the collection shares: used together with
ansible.builtin.action_common_attributes, which describes each attribute. A module
that differs sets only the keys that differ in its own attributes block."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # Modules that write through the shared engine.
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    support: full
    details: Every write is sent as a server-side dry run (C(dryRun=All)), so the API server validates it, and nothing
      is stored.
  diff_mode:
    support: full
    details: Before and after of every object that changes, without server-managed fields and with Secret values
      hidden.
  platform:
    support: full
    platforms: posix
"""

    # Modules that never write.
    READ_ONLY = r"""
options: {}
attributes:
  check_mode:
    support: full
    details: The module never writes, so check mode gives the same result.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
"""
