# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The entry points of the platform package's modules: platform_config (normalize
the options in config.py, render one phase with render.py) and platform_objects
(a component's namespaces, generated Secrets and custom resources, rendered by
components.py). Both reconcile through the shared Engine: apply, then prune what
they applied earlier and no longer render. Builds no objects itself."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import secrets
import string

from ansible_collections.openova.platform.plugins.module_utils import objects as o
from ansible_collections.openova.platform.plugins.module_utils.apply import engine_for, outcome, ref, summarize
from ansible_collections.openova.platform.plugins.module_utils.errors import SpecError
from ansible_collections.openova.platform.plugins.module_utils.platform import components, render
from ansible_collections.openova.platform.plugins.module_utils.platform.config import normalize

PASSWORD_ALPHABET = string.ascii_letters + string.digits
PASSWORD_LENGTH = 32

# What each phase prunes, found by its labels. Platform Namespaces are never pruned: a
# Namespace takes everything in it along (a component's release, its data).
OWNED_KINDS = {
    "prepare": (("scheduling.k8s.io/v1", "PriorityClass"),),
    "configure": ((render.ISTIO_SECURITY, "PeerAuthentication"), (render.ISTIO_NETWORKING, "Gateway"),
                  (o.NETWORKING, "NetworkPolicy"), (o.GRAFANA_API, "GrafanaDatasource"),
                  ("v1", "ConfigMap")),
}


def run_platform_config(params, check_mode=False, diff=False, client=None):
    """Apply one phase of the platform configuration; returns changed, results,
    summary, diff (in diff mode) and the rendered objects' names."""
    config = normalize(params)  # raises before any request
    phase = config["phase"]
    objects = render.render_platform(config, phase)
    engine = engine_for(params, client, check_mode)
    # A kind whose CRD is not installed (the component was left out) holds nothing to prune.
    owned = engine.list_owned(OWNED_KINDS[phase], render.owned_selector(phase), missing_ok=True)
    results = engine.reconcile(objects, owned, prune=config["prune"])
    result = outcome(results, diff, "platform configuration (%s)" % phase)
    result["summary"] = summarize(results)
    result["namespaces"] = render.platform_namespaces(config)
    return result


def _secret_data(engine, secret, check_mode):
    """The base64 data of a generated or copied Secret: the live one's when it exists (never rotated),
    else copied or generated; None when the source of a copy does not exist yet in check mode."""
    live = engine.get("v1", "Secret", secret["name"], secret["namespace"])
    if live is not None:
        return dict(live.get("data") or {})
    if secret.get("copy_from"):
        source = secret["copy_from"]
        found = engine.get("v1", "Secret", source["name"], source["namespace"])
        if found is None:
            if check_mode:
                return None
            raise SpecError([("secrets[%s].copy_from" % secret["name"], "the Secret %s/%s does not exist yet; install "
                              "the component that creates it first (it is copied to %s/%s)" % (
                                  source["namespace"], source["name"], secret["namespace"], secret["name"]))])
        return dict(found.get("data") or {})
    password = "".join(secrets.choice(PASSWORD_ALPHABET) for _position in range(PASSWORD_LENGTH))
    return dict((k, o.b64(v)) for k, v in components.generated_values(secret, password).items())


def run_platform_objects(params, check_mode=False, diff=False, client=None):
    """Apply (or delete) a component's namespaces, generated Secrets and custom resources."""
    components.check(params)  # raises before any request
    component = params["component"]
    engine = engine_for(params, client, check_mode)
    owned = engine.list_owned(components.KINDS, components.owned_selector(component), missing_ok=True)
    existing = dict((ref(obj), obj) for obj in owned)
    if params.get("state") == "absent":
        # Custom resources before the Secrets they may read.
        doomed = sorted(owned, key=lambda obj: obj["kind"] == "Secret")
        results = engine.delete([ref(obj) for obj in doomed], existing=existing)
        if not check_mode:
            for result in results:
                if result.action == "deleted":
                    api_version, kind, namespace, name = result.ref
                    engine.wait(api_version, kind, name, namespace or None, timeout=params.get("wait_timeout") or 600,
                                description="deletion")
        out = outcome(results, diff, "component %s" % component)
    else:
        objects = [render.platform_namespace(ns) for ns in params.get("namespaces") or []]
        objects += components.render_resources(component, params.get("resources") or [])
        waiting = []
        for secret in params.get("secrets") or []:
            data = _secret_data(engine, secret, check_mode)
            if data is None:
                waiting.append("%s/%s" % (secret["namespace"], secret["name"]))
                continue
            objects.append(components.render_secret(component, secret, data))
        results = engine.reconcile(objects, owned, prune=params.get("prune", True),
                                   keep=lambda obj: obj["kind"] == "Secret" and "%s/%s" % (
                                       obj["metadata"]["namespace"], obj["metadata"]["name"]) in waiting)
        out = outcome(results, diff, "component %s" % component)
        if waiting:
            out["waiting"] = waiting
    out["summary"] = summarize(results)
    return out
