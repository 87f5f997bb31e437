# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tenant module's entry point: read what the tenants own (one labelled
list per kind), validate, render, apply in one Engine call, prune or delete,
and summarise per tenant. Builds no objects itself (see render/)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import secrets

from ansible_collections.openova.platform.plugins.module_utils import facts
from ansible_collections.openova.platform.plugins.module_utils.apply import Engine, outcome, ref, ref_str, summarize_by
from ansible_collections.openova.platform.plugins.module_utils.errors import SpecError
from ansible_collections.openova.platform.plugins.module_utils import validation as kit
from ansible_collections.openova.platform.plugins.module_utils.tenant import validate as v
from ansible_collections.openova.platform.plugins.module_utils.tenant.render import (
    render_cluster_roles,
    render_tenant,
)
from ansible_collections.openova.platform.plugins.module_utils.tenant.render import data, meta, redpanda

# Every kind a tenant owns, read with one labelled list each.
OWNED_KINDS = (
    ("v1", "ServiceAccount"), ("v1", "ResourceQuota"), ("v1", "LimitRange"), ("v1", "Secret"),
    ("networking.k8s.io/v1", "NetworkPolicy"), ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("security.istio.io/v1", "PeerAuthentication"), ("security.istio.io/v1", "AuthorizationPolicy"),
    ("networking.istio.io/v1", "Sidecar"), (redpanda.API, "Topic"), (redpanda.API, "User"),
    (data.API, "Database"), (data.API, "DatabaseRole"),
    ("grafana.integreatly.org/v1beta1", "GrafanaFolder"), ("grafana.integreatly.org/v1beta1", "GrafanaDatasource"),
)
# The default ServiceAccount goes with its namespace; it is never pruned or deleted alone.
NEVER_DELETE = ("ServiceAccount",)
PASSWORD_BYTES = 24
SHARED = "shared"  # the owner of the ClusterRoles all tenants share


def _read_owned(engine, tenant_names):
    """(all namespaces, owned objects) of these tenants; one request per kind."""
    return engine.list("v1", "Namespace"), engine.list_owned(OWNED_KINDS, meta.owned_selector(tenant_names))


def _live_password(live, secret_ref, key="password"):
    obj = live.get(secret_ref)
    value = ((obj or {}).get("data") or {}).get(key)
    if not value:
        return None
    try:
        return base64.b64decode(value).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None


def _passwords(tenant, platform, live):
    """The tenant's passwords: the live ones when their Secrets exist, so a
    re-run rewrites nothing; new random ones otherwise."""
    name = tenant["name"]
    rp = _live_password(live, ("v1", "Secret", platform["redpanda_namespace"], redpanda.password_secret_name(name)))
    pg = _live_password(live, ("v1", "Secret", platform["postgres_namespace"], data.role_secret_name(name)))
    return {"redpanda": rp or secrets.token_urlsafe(PASSWORD_BYTES),
            "postgres": pg or secrets.token_urlsafe(PASSWORD_BYTES)}


def _pvc_problems(engine, tenant_of_ns, confirmed):
    """Namespaces about to be deleted that hold PVCs, unless deletion is confirmed."""
    if confirmed or not tenant_of_ns:
        return []
    problems = []
    for ns in sorted(tenant_of_ns):
        pvcs = engine.list("v1", "PersistentVolumeClaim", namespace=ns)
        if pvcs:
            problems.append(("tenant %s: namespace %s" % (tenant_of_ns[ns], ns),
                             "holds %d PersistentVolumeClaim(s) (%s); set confirm_delete_pvcs=true to delete "
                             "them with the namespace" % (len(pvcs), ", ".join(sorted(
                                 p["metadata"]["name"] for p in pvcs)))))
    return problems


def run_tenant(params, check_mode=False, diff=False, client=None):
    """Onboard (state=present) or offboard (state=absent) ``params['tenants']``.

    Returns ``{changed, tenants: {name: {created, updated, deleted, unchanged,
    failed}}, shared, diff?}``; raises SpecError before any write on bad input.
    """
    state = params.get("state") or "present"
    workers = params.get("concurrency")
    workers = 8 if workers is None else workers
    if workers < 1:
        raise SpecError([("concurrency", "%r must be 1 or more" % workers)])
    platform = v.normalize_platform(params.get("platform"))
    names = sorted({t.get("name") for t in params.get("tenants") or [] if isinstance(t, dict)
                    and kit.is_dns1123_label(t.get("name"))})
    # Validate once without the cluster, so that plain input errors need no API access.
    v.validate(params.get("tenants"), platform, state)
    engine = Engine(client, check_mode=check_mode, force_conflicts=params.get("force_conflicts", False),
                    workers=workers, field_manager=params.get("field_manager") or facts.FIELD_MANAGER)
    all_namespaces, owned = _read_owned(engine, names)
    ns_labels = dict((n["metadata"]["name"], n["metadata"].get("labels") or {}) for n in all_namespaces)
    if state == "present":
        check = ns_labels
    else:  # offboarding judges only the namespaces it is told to remove; the rest it finds by label
        listed = {ns for t in params["tenants"] for ns in (t.get("namespaces") or [])}
        check = dict((ns, labels) for ns, labels in ns_labels.items() if ns in listed)
    tenants = v.validate(params["tenants"], platform, state, namespace_owners=check)
    if state == "present":
        terminating = sorted(n["metadata"]["name"] for n in all_namespaces if n["metadata"].get("deletionTimestamp")
                             and n["metadata"]["name"] in {ns for t in tenants for ns in t["namespaces"]})
        if terminating:
            raise SpecError([("namespace %s" % ns, "is still being deleted (Terminating); run again once it is gone")
                             for ns in terminating])
    owned_ns = [dict(n, apiVersion="v1", kind="Namespace") for n in all_namespaces
                if meta.is_managed(n) and (n["metadata"].get("labels") or {}).get(meta.TENANT_LABEL) in names]
    owned = owned_ns + owned
    owner_of = dict((ref(o), o["metadata"]["labels"][meta.TENANT_LABEL]) for o in owned)
    if state == "present":
        results = _present(engine, tenants, platform, owned, owner_of, ns_labels, params)
    else:
        results = _absent(engine, owned, owner_of, params)
    out = outcome(results, diff, "tenants %s" % ", ".join(names), per_object=False)
    summary = summarize_by(results, lambda r: owner_of.get(r, SHARED), names + [SHARED])
    if state == "absent":
        _gone_with_namespaces(summary, owned, owner_of)
    out.update(tenants=dict((n, summary[n]) for n in names), shared=summary[SHARED], state=state)
    return out


def _existing(objects, owned, ns_labels):
    """What the apply needs to know of each object's live state. Owned objects were all
    listed, so a desired object missing from the lists does not exist, except a
    ClusterRole (shared, not listed) and the default ServiceAccount of an existing namespace."""
    existing = dict((ref(o), o) for o in owned)
    for obj in objects:
        obj_ref = ref(obj)
        if obj_ref in existing or obj_ref[1] == "ClusterRole":
            continue
        if obj_ref[1] == "Namespace":
            if obj_ref[3] not in ns_labels:  # every namespace was listed
                existing[obj_ref] = None
        elif not (obj_ref[1] == "ServiceAccount" and obj_ref[2] in ns_labels):
            existing[obj_ref] = None
    return existing


def _present(engine, tenants, platform, owned, owner_of, ns_labels, params):
    live = dict((ref(o), o) for o in owned)
    objects = render_cluster_roles(platform)
    for tenant in tenants:
        rendered = render_tenant(tenant, platform, _passwords(tenant, platform, live))
        objects.extend(rendered)
        owner_of.update((ref(o), tenant["name"]) for o in rendered)

    def confirm_namespaces(stale):
        doomed = dict((o["metadata"]["name"], owner_of[ref(o)]) for o in stale if o["kind"] == "Namespace")
        problems = _pvc_problems(engine, doomed, params.get("confirm_delete_pvcs"))
        if problems:
            raise SpecError(problems)

    return engine.reconcile(objects, owned, existing=_existing(objects, owned, ns_labels),
                            prune=params.get("prune", True), keep=lambda o: o["kind"] in NEVER_DELETE,
                            before_prune=confirm_namespaces)


def _absent(engine, owned, owner_of, params):
    doomed_ns = dict((o["metadata"]["name"], owner_of[ref(o)]) for o in owned if o["kind"] == "Namespace")
    problems = _pvc_problems(engine, doomed_ns, params.get("confirm_delete_pvcs"))
    if problems:
        raise SpecError(problems)
    # Objects inside doomed namespaces go with them; delete the rest one by one.
    refs = [ref(o) for o in owned if o["kind"] not in NEVER_DELETE
            and (o["kind"] == "Namespace" or o["metadata"].get("namespace") not in doomed_ns)]
    return engine.delete(refs, existing=dict((ref(o), o) for o in owned))


def _gone_with_namespaces(summary, owned, owner_of):
    doomed_ns = set(o["metadata"]["name"] for o in owned if o["kind"] == "Namespace")
    for obj in owned:
        if obj["kind"] not in NEVER_DELETE and obj["kind"] != "Namespace" and obj["metadata"].get("namespace") in doomed_ns:
            summary[owner_of[ref(obj)]]["deleted"].append(ref_str(ref(obj)) + " (with its namespace)")
