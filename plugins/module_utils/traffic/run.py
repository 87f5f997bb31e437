# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The traffic_policy entry point: validate, check the namespace belongs to the
tenant, render (render.py) and apply with the shared Engine, then prune the
optional objects the policy no longer asks for. Builds no objects itself."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.openova.platform.plugins.module_utils.apply import engine_for, outcome
from ansible_collections.openova.platform.plugins.module_utils.errors import SpecError
from ansible_collections.openova.platform.plugins.module_utils.facts import TENANT_LABEL
from ansible_collections.openova.platform.plugins.module_utils.service.meta import owner_selector
from ansible_collections.openova.platform.plugins.module_utils.traffic.render import (
    ENVOY_FILTER_API,
    NETWORKING,
    PART,
    render_traffic,
)
from ansible_collections.openova.platform.plugins.module_utils.traffic.validate import validate_policy

OWNED_KINDS = ((NETWORKING, "VirtualService"), (NETWORKING, "DestinationRule"), (ENVOY_FILTER_API, "EnvoyFilter"))
POLICY_KEYS = ("name", "namespace", "tenant", "host", "port", "subsets", "weights", "routes", "timeout", "retries",
               "connection_pool", "outlier_detection", "rate_limit", "gateway", "workload_labels", "ingress_domain")


def policy_from_params(params):
    """The policy part of the module's params (connection options left out).
    Weights templated by Jinja may arrive as digit strings; they become ints."""
    policy = dict((k, params.get(k)) for k in POLICY_KEYS)
    if isinstance(policy.get("weights"), dict):
        policy["weights"] = dict((k, _int_or_same(v)) for k, v in policy["weights"].items())
    return policy


def _int_or_same(value):
    return int(value) if isinstance(value, str) and value.strip().isdigit() else value


def check_namespace(engine, namespace, tenant):
    """The namespace must exist and carry ``openova.io/tenant: <tenant>``."""
    live = engine.get("v1", "Namespace", namespace)
    if live is None:
        raise SpecError([("namespace", "%r does not exist; onboard the tenant first (openova.platform.tenant)"
                          % namespace)])
    owner = (live["metadata"].get("labels") or {}).get(TENANT_LABEL)
    if owner != tenant:
        raise SpecError([("namespace", "%r belongs to tenant %r (label %s), not to %r" % (
            namespace, owner, TENANT_LABEL, tenant))])


def live_weights(virtual_service):
    """``{subset: weight}`` of the default (match-less, last) route of a live
    VirtualService, or None when it routes to no subset."""
    http = ((virtual_service or {}).get("spec") or {}).get("http") or []
    default = [h for h in http if h.get("name") == "default"] or [h for h in http if not h.get("match")]
    if not default:
        return None
    weights = {}
    for route in default[-1].get("route") or []:
        subset = (route.get("destination") or {}).get("subset")
        if not subset:
            return None
        implied = 100 if len(default[-1]["route"]) == 1 else 0
        weights[subset] = weights.get(subset, 0) + int(route.get("weight", implied))
    return weights or None


def kept_weights(live, policy):
    """The weights to apply when a rollout in progress must be left alone: the
    live split, with subsets new to it at 0. Raises SpecError when the live
    route sends traffic to a subset that the policy no longer lists, since no
    split could then keep the rollout as it is."""
    subsets = [s["name"] for s in policy.get("subsets") or []]
    lost = sorted(s for s, w in live.items() if w > 0 and s not in subsets)
    if lost:
        raise SpecError([("subsets", "the live route of %r sends %s to subset(s) %s, which this policy no longer "
                          "lists; a deploy does not end a rollout in progress: finish or roll it back "
                          "(playbooks/canary.yml), or set keep_weights=false (reset_weights=true for "
                          "deploy_service.yml) to replace the split" % (
                              policy["name"], ", ".join("%d%%" % live[s] for s in lost), ", ".join(lost)))])
    return dict((name, live.get(name, 0)) for name in subsets)


def run_traffic_policy(params, check_mode=False, diff=False, client=None):
    """Apply a service's traffic policy (or, with state=absent, delete every traffic
    object of the service). Returns changed, results, objects and diff.

    With ``keep_weights``, an existing VirtualService keeps the split of its
    default route (a canary in progress stays where it is); ``weights`` then
    only shape a new one. The result's ``weights`` is the split applied."""
    policy = policy_from_params(params)
    validate_policy(policy)  # raises before any request
    engine = engine_for(params, client, check_mode)
    check_namespace(engine, policy["namespace"], policy["tenant"])
    owned = engine.list_owned(OWNED_KINDS, owner_selector(policy["name"], PART), namespace=policy["namespace"])
    kept = False
    if params.get("keep_weights") and params.get("state") != "absent":
        live = next((o for o in owned if o["kind"] == "VirtualService" and o["metadata"]["name"] == policy["name"]),
                    None)
        split = live_weights(live)
        if split is not None:
            weights = kept_weights(split, policy)
            kept = weights != policy.get("weights")
            policy["weights"] = weights
            validate_policy(policy)
    objects = [] if params.get("state") == "absent" else render_traffic(policy)
    result = outcome(engine.reconcile(objects, owned), diff, "traffic policy %r" % policy["name"])
    result.update(objects=objects, weights=policy.get("weights"), weights_kept=kept)
    return result
