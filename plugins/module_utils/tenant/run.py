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
from ansible_collections.openova.platform.plugins.module_utils.apply import Engine, ref, ref_str
from ansible_collections.openova.platform.plugins.module_utils.errors import SpecError
from ansible_collections.openova.platform.plugins.module_utils import validation as kit
from ansible_collections.openova.platform.plugins.module_utils.tenant import validate as v
from ansible_collections.openova.platform.plugins.module_utils.errors import MissingKind
from ansible_collections.openova.platform.plugins.module_utils.tenant.render import (
    render_shared,
    render_tenant,
)
from ansible_collections.openova.platform.plugins.module_utils.tenant.render import admission, data, meta, redpanda

# Every kind a tenant owns, read with one labelled list each.
OWNED_KINDS = (
    ("v1", "ServiceAccount"), ("v1", "ResourceQuota"), ("v1", "LimitRange"), ("v1", "Secret"),
    ("networking.k8s.io/v1", "NetworkPolicy"), ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("security.istio.io/v1", "PeerAuthentication"), ("security.istio.io/v1", "AuthorizationPolicy"),
    ("networking.istio.io/v1", "Sidecar"), (redpanda.API, "Topic"), (redpanda.API, "User"),
    (data.API, "Database"), (data.API, "DatabaseRole"),
    ("grafana.integreatly.org/v1beta1", "Grafana"), ("grafana.integreatly.org/v1beta1", "GrafanaFolder"),
    ("grafana.integreatly.org/v1beta1", "GrafanaDatasource"), ("networking.istio.io/v1", "VirtualService"),
)
# Cluster-wide objects all tenants share; never listed, never pruned.
SHARED_KINDS = ("ClusterRole", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding")
SHARED = "shared"
# The default ServiceAccount goes with its namespace; it is never pruned or deleted alone.
NEVER_DELETE = ("ServiceAccount",)
PASSWORD_BYTES = 24


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


def _claims(engine, platform, tenants_raw):
    """What other tenants hold on the cluster, for validation: owner groups (from the RoleBindings
    onboarding wrote) and PostgreSQL databases (from the Database resources). Two list requests."""
    groups, databases, current = {}, {}, {}
    for binding in engine.list("rbac.authorization.k8s.io/v1", "RoleBinding", label_selector=meta.all_tenants_selector()):
        owner = binding["metadata"]["labels"].get(meta.TENANT_LABEL)
        for subject in binding.get("subjects") or []:
            if subject.get("kind") == "Group":
                groups.setdefault(subject.get("name"), owner)
    if any(isinstance(t, dict) and (t.get("postgres") or {}).get("enabled") for t in tenants_raw or []):
        try:
            found = engine.list(data.API, "Database", label_selector=meta.all_tenants_selector(),
                                namespace=platform["postgres_namespace"])
        except MissingKind:
            found = []  # the apply names the missing CloudNativePG CRDs
        for db in found:
            owner = db["metadata"]["labels"].get(meta.TENANT_LABEL)
            databases.setdefault((db.get("spec") or {}).get("name"), owner)
            if db["metadata"]["name"] == meta.tenant_object_name(owner):
                current[owner] = (db.get("spec") or {}).get("name")
    return {"groups": groups, "databases": databases, "current_databases": current}


def _summary(names):
    return dict((n, {"created": [], "updated": [], "deleted": [], "unchanged": 0, "failed": []}) for n in names)


def _record(summary, owner, result):
    entry = summary[owner]
    if result.action == "unchanged":
        entry["unchanged"] += 1
    elif result.action == "failed":
        entry["failed"].append(result.error)
    elif result.action in ("created", "updated", "deleted"):
        entry[result.action].append(ref_str(result.ref))


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
                    and isinstance(t.get("name"), str) and kit.is_dns1123_label(t["name"])})
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
    claims = _claims(engine, platform, params["tenants"]) if state == "present" else None
    tenants = v.validate(params["tenants"], platform, state, namespace_owners=check, claims=claims)
    if state == "present":
        terminating = sorted(n["metadata"]["name"] for n in all_namespaces if n["metadata"].get("deletionTimestamp")
                             and n["metadata"]["name"] in {ns for t in tenants for ns in t["namespaces"]})
        if terminating:
            raise SpecError([("namespace %s" % ns, "is still being deleted (Terminating); run again once it is gone")
                             for ns in terminating])
    owned_ns = [dict(n, apiVersion="v1", kind="Namespace") for n in all_namespaces
                if meta.is_managed(n) and (n["metadata"].get("labels") or {}).get(meta.TENANT_LABEL) in names]
    owned = owned_ns + owned
    live = dict((ref(o), o) for o in owned)
    owner_of = dict((ref(o), o["metadata"]["labels"][meta.TENANT_LABEL]) for o in owned)
    summary = _summary(names)
    shared = _summary([SHARED])
    results = []
    if state == "present":
        results = _present(engine, tenants, platform, live, owned, owner_of, ns_labels, summary, shared, params)
    else:
        results = _absent(engine, tenants, owned, owner_of, params, summary)
    out = {"changed": any(r.changed for r in results), "tenants": summary, "shared": shared[SHARED],
           "state": state}
    if diff:
        out["diff"] = [r.diff() for r in results if r.changed]
    failures = [r.error for r in results if r.action == "failed"]
    if failures:
        failed = sorted(n for n in names if summary[n]["failed"]) + ([SHARED] if shared[SHARED]["failed"] else [])
        out["failed"] = True
        out["failed_tenants"] = failed
        out["msg"] = "%d object(s) of %s failed (the other tenants were applied%s): %s" % (
            len(failures), ", ".join(failed), " and pruned" if state == "present" and params.get("prune", True)
            and SHARED not in failed else "", "; ".join(failures[:10]))
    return out


def _present(engine, tenants, platform, live, owned, owner_of, ns_labels, summary, shared, params):
    objects = render_shared(platform)
    owners = [SHARED] * len(objects)
    for tenant in tenants:
        rendered = render_tenant(tenant, platform, _passwords(tenant, platform, live))
        objects.extend(rendered)
        owners.extend([tenant["name"]] * len(rendered))
    # Owned objects were all listed; a desired object missing from the lists does
    # not exist, except the default ServiceAccount of an existing namespace.
    existing = dict(live)
    for obj in objects:
        obj_ref = ref(obj)
        if obj_ref in existing or obj_ref[1] in SHARED_KINDS:
            continue
        if obj_ref[1] == "Namespace":
            if obj_ref[3] not in ns_labels:  # every namespace was listed
                existing[obj_ref] = None
        elif not (obj_ref[1] == "ServiceAccount" and obj_ref[2] in ns_labels):
            existing[obj_ref] = None
    results = engine.apply(objects, existing=existing)
    for owner, result in zip(owners, results):
        _record(summary if owner != SHARED else shared, owner, result)
    # Prune only after a clean apply, as Engine.reconcile does, but tenant by tenant: a conflict in
    # one tenant's objects keeps that tenant's stale objects and nobody else's. A failed shared
    # object (the ClusterRoles, the admission policy) concerns every tenant: then nothing is pruned.
    failed = set(owner for owner, result in zip(owners, results) if result.action == "failed")
    if params.get("prune", True) and SHARED not in failed:
        wanted = set(ref(o) for o in objects)
        stale = [o for o in owned if ref(o) not in wanted and o["kind"] not in NEVER_DELETE
                 and owner_of[ref(o)] not in failed]
        doomed = dict((o["metadata"]["name"], owner_of[ref(o)]) for o in stale if o["kind"] == "Namespace")
        problems = _pvc_problems(engine, doomed, params.get("confirm_delete_pvcs"))
        if problems:
            raise SpecError(problems)
        pruned = engine.prune([], stale)
        for result in pruned:
            _record(summary, owner_of[result.ref], result)
        results = results + pruned
    return results


def _absent(engine, tenants, owned, owner_of, params, summary):
    doomed_ns = dict((o["metadata"]["name"], owner_of[ref(o)]) for o in owned if o["kind"] == "Namespace")
    problems = _pvc_problems(engine, doomed_ns, params.get("confirm_delete_pvcs"))
    if problems:
        raise SpecError(problems)
    # Objects inside doomed namespaces go with them; delete the rest one by one.
    refs = [ref(o) for o in owned if o["kind"] not in NEVER_DELETE
            and (o["kind"] == "Namespace" or o["metadata"].get("namespace") not in doomed_ns)]
    results = engine.delete(refs, existing=dict((ref(o), o) for o in owned))
    for result in results:
        _record(summary, owner_of[result.ref], result)
    gone_with_ns = [o for o in owned if o["kind"] not in NEVER_DELETE and o["kind"] != "Namespace"
                    and o["metadata"].get("namespace") in doomed_ns]
    for obj in gone_with_ns:
        summary[owner_of[ref(obj)]]["deleted"].append(ref_str(ref(obj)) + " (with its namespace)")
    return results
