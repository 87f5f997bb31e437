# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rule parameters shared by workload_check and guardrail_policies, so that the
offline check and the installed policies are configured by the same options."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.openova.platform.plugins.module_utils import facts

RULE_ARGS = dict(
    registry=dict(type="str", default=facts.registry_host()),
    tenant_label=dict(type="str", default=facts.TENANT_LABEL),
    platform_namespaces=dict(type="list", elements="str"),
    zone_spread=dict(type="bool", default=False),
    pdb_mode=dict(type="str", default="generate", choices=["generate", "validate"]),
    probe_exempt_containers=dict(type="list", elements="str"),
    extra_images=dict(type="list", elements="str"),
)
