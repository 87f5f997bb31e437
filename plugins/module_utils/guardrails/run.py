# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The entry points of the guard-rail modules: guardrail_policies (render the
Kyverno ClusterPolicies with policies.py and apply or remove them through the
shared Engine) and workload_check (judge manifests offline with check.py).
Both read their rule options the same way (rules.Params)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

from ansible_collections.openova.platform.plugins.module_utils import facts
from ansible_collections.openova.platform.plugins.module_utils.apply import engine_for, outcome, ref, summarize
from ansible_collections.openova.platform.plugins.module_utils.errors import SpecError
from ansible_collections.openova.platform.plugins.module_utils.guardrails import check
from ansible_collections.openova.platform.plugins.module_utils.guardrails.policies import (
    LABELS, render_policies, validate_params,
)
from ansible_collections.openova.platform.plugins.module_utils.guardrails.rules import Params

OWNED_SELECTOR = facts.selector(LABELS)
OWNED_KINDS = (("kyverno.io/v1", "ClusterPolicy"), ("rbac.authorization.k8s.io/v1", "ClusterRole"))


def policy_params(params):
    """The rule parameters of the guardrail_policies options."""
    return Params(registry=params.get("registry"), tenant_label=params.get("tenant_label"),
                  platform_namespaces=params.get("platform_namespaces"),
                  action=params.get("validation_failure_action"), pdb_mode=params.get("pdb_mode"),
                  zone_spread=params.get("zone_spread"), probe_exempt=params.get("probe_exempt_containers"),
                  extra_images=params.get("extra_images"), domain=params.get("domain"),
                  priority_classes=params.get("priority_classes"))


# Kyverno's policy webhook refuses a generate rule until its background controller may write
# what the rule generates; that permission arrives through the PDB ClusterRole, aggregated into
# Kyverno's own role by the controller-manager moments after the role is created.
PERMISSION_DENIAL = "requires permissions"
PERMISSION_WAIT = 60


def _reconcile_until_permitted(engine, objects, owned, wait=PERMISSION_WAIT, interval=2):
    """engine.reconcile, repeated while Kyverno refuses a policy only because the permission it
    needs is still being aggregated. Each object keeps the first change made to it."""
    first = {}
    deadline = time.monotonic() + wait
    while True:
        results = engine.reconcile(objects, owned)
        for r in results:
            if r.changed and r.ref not in first:
                first[r.ref] = r
        waiting = [r for r in results if r.action == "failed" and PERMISSION_DENIAL in (r.error or "")]
        if not waiting or engine.check_mode or time.monotonic() >= deadline:
            return [first.get(r.ref, r) if r.action == "unchanged" else r for r in results]
        time.sleep(interval)
        owned = engine.list_owned(OWNED_KINDS, OWNED_SELECTOR)


def run_guardrail_policies(params, check_mode=False, diff=False, client=None):
    """state=present: apply the rendered objects and prune guard-rail objects no longer
    rendered (for example the PDB ClusterRole after a switch to pdb_mode=validate).
    state=absent: delete every guard-rail object. Returns changed, results, policies, diff."""
    rule_params = policy_params(params)
    problems = validate_params(rule_params)
    if problems:
        raise SpecError(problems, subject="guardrail_policies")
    objects = render_policies(rule_params)
    engine = engine_for(params, client, check_mode)
    owned = engine.list_owned(OWNED_KINDS, OWNED_SELECTOR)
    if params.get("state") == "absent":
        results = engine.delete(owned, existing=dict((ref(o), o) for o in owned))
    else:
        results = _reconcile_until_permitted(engine, objects, owned)
    result = outcome(results, diff, "guard-rail policies")
    result["summary"] = summarize(results)
    result["policies"] = [o["metadata"]["name"] for o in objects if o["kind"] == "ClusterPolicy"]
    if params.get("state") != "absent" and params.get("return_objects"):
        result["objects"] = objects
    return result


def check_params(module_params):
    """The rule parameters of the workload_check options, and the problems with them."""
    p = module_params
    params = Params(tenant=p.get("tenant"), registry=p.get("registry"),
                    tenant_label=p.get("tenant_label"),
                    platform_namespaces=p.get("platform_namespaces"),
                    pdb_mode=p.get("pdb_mode") or "generate", zone_spread=p.get("zone_spread"),
                    probe_exempt=p.get("probe_exempt_containers"), extra_images=p.get("extra_images"),
                    action=p.get("validation_failure_action") or "Enforce", domain=p.get("domain"),
                    priority_classes=p.get("priority_classes"), tenant_namespaces=p.get("tenant_namespaces"))
    problems = validate_params(params)
    return params, problems


def run_workload_check(params, check_mode=False, diff=False, client=None):
    """The workload_check module's entry point: plain values in, result dict out."""
    rule_params, problems = check_params(params)
    if not params.get("src") and not params.get("definitions"):
        problems.append(("src", "give src (a file or directory) or definitions (inline objects)"))
    if not params.get("tenant"):
        problems.append(("tenant", "the tenant name is required; images must come from <registry>/<tenant>/"))
    sources = params.get("src") or []
    for path in [sources] if isinstance(sources, str) else sources:
        if not os.path.exists(path):
            problems.append(("src", "%r does not exist (relative paths are relative to the module's working "
                             "directory; give an absolute path)" % path))
    for key in ("max_bytes", "max_depth", "max_nodes"):
        value = params.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            problems.append((key, "%r must be a whole number of 1 or more" % (value,)))
    if problems:
        raise SpecError(problems, subject="workload_check")
    limits = dict((key, params.get(key) or default) for key, default in (
        ("max_bytes", check.MAX_BYTES), ("max_depth", check.MAX_DEPTH), ("max_nodes", check.MAX_NODES)))
    objects, errors = check.load(params.get("src"), params.get("definitions"), **limits)
    findings, skipped, defaulted = check.check_objects(objects, rule_params)
    summary = check.summarize(findings, skipped)
    summary["errors"] = len(errors)
    failing = [f for f in findings if f["result"] == check.FAIL]
    msg = "%d of %d object(s) break the guard rails (%d finding(s) failed), %d skipped" % (
        summary["failed"], summary["objects"], summary["findings_failed"], summary["skipped"])
    if errors:
        # Fail closed: what could not be read was not checked, and kubectl may still create it.
        msg = "%d manifest(s) could not be checked (%s); %s" % (
            len(errors), "; ".join("%s%s: %s" % (e["source"], " line %d" % e["line"] if e.get("line") else "",
                                                 e["reason"]) for e in errors[:5]), msg)
    if failing:
        msg += ": " + "; ".join("%s/%s %s at %s" % (f["kind"], f["name"], f["rule"], f["path"]) for f in failing[:10])
    result = {"changed": False, "findings": findings, "skipped": skipped, "errors": errors,
              "defaults_applied": defaulted, "summary": summary, "msg": msg}
    if (failing or errors) and not params.get("report_only"):
        result["failed"] = True
    return result
