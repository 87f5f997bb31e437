# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module shell's helpers: build the AnsibleModule, hand plain values to
an entry point, and turn OpenovaError into fail_json. No API logic here."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.openova.platform.plugins.module_utils.errors import OpenovaError, SpecError, fail_kwargs

try:
    from ansible_collections.openova.platform.plugins.module_utils.client import (
        HAS_KUBERNETES,
        KUBERNETES_IMPORT_ERROR,
        Client,
    )
except ImportError:  # pragma: no cover
    HAS_KUBERNETES = False
    KUBERNETES_IMPORT_ERROR = traceback.format_exc()


class _Module(AnsibleModule):
    """AnsibleModule whose argument validation errors can be explained by the
    module's own validator, which names the field (``tenants[0] (acme).owners``)
    where Ansible only says "dictionary requested"."""

    def __init__(self, precheck=None, **kwargs):
        self._precheck = precheck
        self._raw_params = None
        self._validating = True
        super(_Module, self).__init__(**kwargs)
        self._validating = False

    def _load_params(self):
        super(_Module, self)._load_params()
        if self._precheck is not None:
            self._raw_params = copy.deepcopy(self.params)

    def fail_json(self, msg, **kwargs):
        if self._validating and self._precheck is not None and self._raw_params is not None:
            try:
                self._precheck(self._raw_params)
            except SpecError as exc:
                kwargs.update(fail_kwargs(exc))
                msg = kwargs.pop("msg")
            except Exception:  # noqa: BLE001 - the precheck only improves the message
                pass
        super(_Module, self).fail_json(msg=msg, **kwargs)


def run_module(argument_spec, entry, needs_client=True, precheck=None, **module_kwargs):
    """Build the module, call ``entry(params, check_mode=, diff=, client=)``
    and exit with its result dict. ``entry`` raises OpenovaError on failure.

    ``precheck(raw_params)`` runs when Ansible's own argument validation fails;
    a SpecError it raises replaces Ansible's message with one that names every
    bad field."""
    # A copy: Ansible fills suboption defaults into a dict default in place, which would change
    # the module's ARGUMENT_SPEC (and its documentation check) for the rest of the process.
    module = _Module(precheck=precheck, argument_spec=copy.deepcopy(argument_spec), supports_check_mode=True,
                     **module_kwargs)
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
