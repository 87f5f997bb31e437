# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module shell's helpers: build the AnsibleModule, hand plain values to
an entry point, and turn OpenovaError into fail_json. No API logic here."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.openova.platform.plugins.module_utils.errors import OpenovaError, fail_kwargs

try:
    from ansible_collections.openova.platform.plugins.module_utils.client import (
        HAS_KUBERNETES,
        KUBERNETES_IMPORT_ERROR,
        Client,
    )
except ImportError:  # pragma: no cover
    HAS_KUBERNETES = False
    KUBERNETES_IMPORT_ERROR = traceback.format_exc()


def run_module(argument_spec, entry, needs_client=True, **module_kwargs):
    """Build the module, call ``entry(params, check_mode=, diff=, client=)``
    and exit with its result dict. ``entry`` raises OpenovaError on failure."""
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True, **module_kwargs)
    if needs_client and not HAS_KUBERNETES:
        module.fail_json(msg=missing_required_lib("kubernetes"), exception=str(KUBERNETES_IMPORT_ERROR))
    try:
        client = Client(module.params, pool_size=module.params.get("concurrency") or 8) if needs_client else None
        result = entry(module.params, check_mode=module.check_mode, diff=module._diff, client=client)
    except OpenovaError as exc:
        module.fail_json(**fail_kwargs(exc))
    if client is not None:
        result.setdefault("api_requests", client.requests)
        result.setdefault("api_retries", client.retries)
    if result.pop("failed", False):
        module.fail_json(**result)
    module.exit_json(**result)
