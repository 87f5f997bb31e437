# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The guardrail_policies module's entry point: render the guard-rail ClusterPolicies
and apply or remove them through the shared Engine. Rendering stays in policies.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.openova.platform.plugins.module_utils import facts
from ansible_collections.openova.platform.plugins.module_utils.apply import engine_for, outcome, ref, summarize
from ansible_collections.openova.platform.plugins.module_utils.errors import SpecError
from ansible_collections.openova.platform.plugins.module_utils.guardrails.policies import (
    LABELS, render_policies, validate_params,
)
from ansible_collections.openova.platform.plugins.module_utils.guardrails.rules import Params

OWNED_SELECTOR = facts.selector(LABELS)
OWNED_KINDS = (("kyverno.io/v1", "ClusterPolicy"), ("rbac.authorization.k8s.io/v1", "ClusterRole"))


def params_from(params):
    return Params(registry=params.get("registry"), tenant_label=params.get("tenant_label"),
                  platform_namespaces=params.get("platform_namespaces"),
                  action=params.get("validation_failure_action"), pdb_mode=params.get("pdb_mode"),
                  zone_spread=params.get("zone_spread"), probe_exempt=params.get("probe_exempt_containers"),
                  extra_images=params.get("extra_images"), domain=params.get("domain"),
                  priority_classes=params.get("priority_classes"))


def run_guardrail_policies(params, check_mode=False, diff=False, client=None):
    """state=present: apply the rendered objects and prune guard-rail objects no longer
    rendered (for example the PDB ClusterRole after a switch to pdb_mode=validate).
    state=absent: delete every guard-rail object. Returns changed, results, policies, diff."""
    rule_params = params_from(params)
    problems = validate_params(rule_params)
    if problems:
        raise SpecError(problems, subject="guardrail_policies")
    objects = render_policies(rule_params)
    engine = engine_for(params, client, check_mode)
    owned = engine.list_owned(OWNED_KINDS, OWNED_SELECTOR)
    if params.get("state") == "absent":
        results = engine.delete(owned, existing=dict((ref(o), o) for o in owned))
    else:
        results = engine.reconcile(objects, owned)
    result = outcome(results, diff, "guard-rail policies")
    result["summary"] = summarize(results)
    result["policies"] = [o["metadata"]["name"] for o in objects if o["kind"] == "ClusterPolicy"]
    if params.get("state") != "absent" and params.get("return_objects"):
        result["objects"] = objects
    return result
