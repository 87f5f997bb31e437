# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument specs shared by the collection's modules. Mirrored, option for
option, by plugins/doc_fragments/connection.py; change both together."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.openova.platform.plugins.module_utils.facts import FIELD_MANAGER

CONNECTION_ARGS = dict(
    kubeconfig=dict(type="path"),
    context=dict(type="str"),
    host=dict(type="str"),
    api_key=dict(type="str", no_log=True),
    validate_certs=dict(type="bool", aliases=["verify_ssl"]),
    ca_cert=dict(type="path", aliases=["ssl_ca_cert"]),
    request_timeout=dict(type="int", default=30),
)

APPLY_ARGS = dict(
    force_conflicts=dict(type="bool", default=False),
    field_manager=dict(type="str", default=FIELD_MANAGER),
)


def spec(*parts, **own):
    """Compose an argument spec from shared parts plus the module's own options."""
    out = {}
    for part in parts:
        out.update(copy.deepcopy(part))
    out.update(own)
    return out
