# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tenant_service entry point: validate, check the namespace belongs to the
tenant, render (render.py) and apply with the shared Engine; optionally wait
until the version's Deployment is available. Builds no objects itself."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.openova.platform.plugins.module_utils.apply import engine_for, outcome, ref
from ansible_collections.openova.platform.plugins.module_utils.service.meta import owner_selector
from ansible_collections.openova.platform.plugins.module_utils.service.render import (
    PART,
    default_traffic,
    render_workload,
    workload_name,
)
from ansible_collections.openova.platform.plugins.module_utils.service.validate import validate_service
from ansible_collections.openova.platform.plugins.module_utils.traffic.run import check_namespace

SPEC_KEYS = ("name", "tenant", "namespace", "image", "version", "stable_version", "ports", "replicas", "resources",
             "probes", "env", "secret_env", "produces", "consumes", "consumer_group", "autoscaling", "run_as_user",
             "domain")
# Objects that exist once per version; the rest (ServiceAccount, Service) are shared by all versions.
VERSIONED = (("apps/v1", "Deployment"), ("policy/v1", "PodDisruptionBudget"),
             ("autoscaling/v2", "HorizontalPodAutoscaler"))


def spec_from_params(params):
    return dict((k, params.get(k)) for k in SPEC_KEYS)


def deployment_available(replicas):
    """A wait predicate: the current template is rolled out and every replica is available."""
    def predicate(obj):
        status = obj.get("status") or {}
        return (status.get("observedGeneration", 0) >= obj["metadata"].get("generation", 1)
                and status.get("updatedReplicas", 0) >= replicas and status.get("availableReplicas", 0) >= replicas
                and status.get("replicas", 0) == status.get("updatedReplicas", 0))
    return predicate


def keep_scaled_replicas(objects, owned, spec):
    """With autoscaling on, a re-run keeps the replicas the HPA chose (within its
    bounds) instead of resetting them to ``replicas``: the HPA owns the count once
    the Deployment exists. Applying the live value keeps our field ownership, so
    turning autoscaling off later still sets ``replicas``."""
    auto = spec["autoscaling"]
    if not auto.get("enabled"):
        return
    live = dict((ref(o), o) for o in owned)
    for obj in objects:
        current = live.get(ref(obj))
        if obj["kind"] == "Deployment" and current is not None:
            replicas = current.get("spec", {}).get("replicas")
            if isinstance(replicas, int):
                obj["spec"]["replicas"] = min(max(replicas, auto["min_replicas"]), auto["max_replicas"])


def run_tenant_service(params, check_mode=False, diff=False, client=None):
    """Apply (or, with state=absent, delete) one version of a tenant service."""
    absent = params.get("state") == "absent"
    spec = validate_service(spec_from_params(params), identity_only=absent)  # raises before any request
    engine = engine_for(params, client, check_mode)
    check_namespace(engine, spec["namespace"], spec["tenant"])
    objects = [] if absent else render_workload(spec)
    owned = engine.list_owned(VERSIONED, owner_selector(spec["name"], PART) + ",version=" + spec["version"],
                              namespace=spec["namespace"])
    keep_scaled_replicas(objects, owned, spec)
    if absent:
        results = engine.delete([ref(o) for o in owned], existing=dict((ref(o), o) for o in owned))
    else:
        results = engine.reconcile(objects, owned)  # prunes, e.g., the HPA once autoscaling is turned off
    result = outcome(results, diff, "service %r" % spec["name"])
    result.update(objects=objects, traffic=None if absent else default_traffic(spec), workload=workload_name(spec))
    if params.get("wait") and not absent and not check_mode and not result.get("failed"):
        replicas = next(o for o in objects if o["kind"] == "Deployment")["spec"]["replicas"]
        engine.wait("apps/v1", "Deployment", workload_name(spec), spec["namespace"],
                    predicate=deployment_available(replicas), timeout=params.get("wait_timeout") or 300,
                    description="all %d replica(s) available" % replicas)
    return result
