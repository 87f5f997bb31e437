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
from ansible_collections.openova.platform.plugins.module_utils.apply import (
    Engine,
    outcome,
    paused_gc,
    ref,
    ref_str,
    summarize_by,
)
from ansible_collections.openova.platform.plugins.module_utils.errors import SpecError
from ansible_collections.openova.platform.plugins.module_utils import validation as kit
from ansible_collections.openova.platform.plugins.module_utils.observability import collector
from ansible_collections.openova.platform.plugins.module_utils.tenant import validate as v
from ansible_collections.openova.platform.plugins.module_utils.errors import MissingKind
from ansible_collections.openova.platform.plugins.module_utils.tenant.render import (
    render_shared,
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
    ("grafana.integreatly.org/v1beta1", "Grafana"), ("grafana.integreatly.org/v1beta1", "GrafanaFolder"),
    ("grafana.integreatly.org/v1beta1", "GrafanaDatasource"), ("grafana.integreatly.org/v1beta1", "GrafanaDashboard"),
    ("networking.istio.io/v1", "VirtualService"),
)
# Cluster-wide objects all tenants share; never listed, never pruned.
SHARED_KINDS = ("ClusterRole", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding")
SHARED = "shared"
# The default ServiceAccount goes with its namespace; it is never pruned or deleted alone.
NEVER_DELETE = ("ServiceAccount",)
MAX_CONCURRENCY = 64
# Deleted before the others: a CloudNativePG Database before the DatabaseRole that
# owns it, since PostgreSQL cannot drop a role that still owns a database.
DELETE_FIRST = ("Database",)
PASSWORD_BYTES = 24
SHARED = "shared"  # the owner of the ClusterRoles all tenants share


def _read_owned(engine, tenant_names):
    """(all namespaces, owned objects) of these tenants; one request per kind."""
    # A kind the cluster does not serve holds no object of the tenants (CloudNativePG 1.29, say,
    # serves no DatabaseRole); writing one, if a spec asks for it, names the missing CRD.
    return engine.list("v1", "Namespace"), engine.list_owned(OWNED_KINDS, meta.owned_selector(tenant_names),
                                                             missing_ok=True)


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


def _read_routing(engine, platform):
    """(live routing ConfigMap, its collector settings), or (None, None) when
    routing is not configured or the observability role has not written it."""
    where = platform.get("otel_routing") or ""
    if not where:
        return None, None
    ns, _sep, name = where.partition("/")
    if not (ns and name):
        raise SpecError([("platform.otel_routing", "%r must be <namespace>/<name> of a ConfigMap" % where)])
    live = engine.get("v1", "ConfigMap", name, ns)
    if live is None:
        return None, None
    return live, collector.settings_from_configmap(live)


def _routing_object(settings, all_namespaces, add=(), remove=()):
    """The routing ConfigMap for the tenants the cluster will have: those labelled
    now, plus ``add``, minus ``remove``."""
    names = set(collector.tenants_from_namespaces(all_namespaces, settings["tenant_label"]))
    return collector.routing_configmap(settings, sorted((names | set(add)) - set(remove)))


def _routing_status(routing_obj, platform):
    if routing_obj is not None:
        return "applied"
    if not platform.get("otel_routing"):
        return "not configured (platform.otel_routing is empty)"
    return "skipped: ConfigMap %s not found (the observability role writes it)" % platform["otel_routing"]


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


def precheck(raw_params):
    """Validate the module's raw arguments (before Ansible's type conversion) with
    the tenant validator, so that a bad type is reported with its field path.
    Raises SpecError; used by the module shell when Ansible's validation fails."""
    tenants = raw_params.get("tenants")
    platform = v.normalize_platform(raw_params.get("platform"))
    if not isinstance(tenants, list):
        raise SpecError([("tenants", "must be a list of tenant specs (mappings), got %s" % type(tenants).__name__)])
    v.validate(tenants, platform, raw_params.get("state") or "present")


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


def run_tenant(params, check_mode=False, diff=False, client=None):
    """Onboard (state=present) or offboard (state=absent) ``params['tenants']``.

    Returns ``{changed, tenants: {name: {created, updated, deleted, unchanged,
    failed}}, shared, diff?}``; raises SpecError before any write on bad input.
    """
    state = params.get("state") or "present"
    workers = params.get("concurrency")
    workers = 8 if workers is None else workers
    if not kit.is_int(workers) or not 1 <= workers <= MAX_CONCURRENCY:
        raise SpecError([("concurrency", "%r must be a whole number from 1 to %d" % (workers, MAX_CONCURRENCY))])
    platform = v.normalize_platform(params.get("platform"))
    names = sorted({t.get("name") for t in params.get("tenants") or [] if isinstance(t, dict)
                    and kit.is_dns1123_label(t.get("name"))})
    # Validate once without the cluster, so that plain input errors need no API access.
    tenants = v.validate(params.get("tenants"), platform, state)
    engine = Engine(client, check_mode=check_mode, force_conflicts=params.get("force_conflicts", False),
                    workers=workers, field_manager=params.get("field_manager") or facts.FIELD_MANAGER)
    with paused_gc():  # the lists of a large batch are one big long-lived graph of objects
        all_namespaces, owned = _read_owned(engine, names)
    ns_labels = dict((n["metadata"]["name"], n["metadata"].get("labels") or {}) for n in all_namespaces)
    if state == "present":
        check = ns_labels
    else:  # offboarding judges only the namespaces it is told to remove; the rest it finds by label
        listed = {ns for t in params["tenants"] for ns in (t.get("namespaces") or [])}
        check = dict((ns, labels) for ns, labels in ns_labels.items() if ns in listed)
    claims = _claims(engine, platform, params["tenants"]) if state == "present" else None
    v.check_cluster(tenants, state, namespace_owners=check, claims=claims)
    routing_live, routing = _read_routing(engine, platform)
    if routing and state == "present":
        clash = [t["name"] for t in tenants if t["name"] == routing["platform_tenant"]]
        if clash:
            raise SpecError([("tenants[].name", "%r is the platform's own X-Scope-OrgID in the collector's routing; "
                              "choose another tenant name" % clash[0])])
    if state == "present":
        terminating = sorted(n["metadata"]["name"] for n in all_namespaces if n["metadata"].get("deletionTimestamp")
                             and n["metadata"]["name"] in {ns for t in tenants for ns in t["namespaces"]})
        if terminating:
            raise SpecError([("namespace %s" % ns, "is still being deleted (Terminating); run again once it is gone")
                             for ns in terminating])
        _check_platform_namespaces(tenants, platform, ns_labels)
    owned_ns = [dict(n, apiVersion="v1", kind="Namespace") for n in all_namespaces
                if meta.is_managed(n) and (n["metadata"].get("labels") or {}).get(meta.TENANT_LABEL) in names]
    owned = owned_ns + owned
    owner_of = dict((ref(o), o["metadata"]["labels"][meta.TENANT_LABEL]) for o in owned)
    routing_obj = None
    if routing:
        names_now = [t["name"] for t in tenants]
        routing_obj = _routing_object(routing, all_namespaces, add=names_now if state == "present" else (),
                                      remove=names_now if state == "absent" else ())
    if state == "present":
        results = _present(engine, tenants, platform, owned, owner_of, ns_labels, params, (routing_obj, routing_live))
    else:
        results = _absent(engine, owned, owner_of, params)
        if routing_obj is not None and not any(r.action == "failed" for r in results):
            # the collector stops routing the offboarded tenants once their objects are gone
            results = results + engine.apply([routing_obj], existing={ref(routing_obj): routing_live})
    out = outcome(results, diff, "tenants %s" % ", ".join(names), per_object=False)
    summary = summarize_by(results, lambda r: owner_of.get(r, SHARED), names + [SHARED])
    if state == "absent":
        _gone_with_namespaces(summary, owned, owner_of)
    out.update(tenants=dict((n, summary[n]) for n in names), shared=summary[SHARED], state=state,
               telemetry_routing=_routing_status(routing_obj, platform))
    failed = sorted(n for n in names if summary[n]["failed"]) + ([SHARED] if summary[SHARED]["failed"] else [])
    if failed:
        failures = [r.error for r in results if r.action == "failed"]
        out["failed_tenants"] = failed
        out["msg"] = "%d object(s) of %s failed (the other tenants were applied%s): %s" % (
            len(failures), ", ".join(failed), " and pruned" if state == "present" and params.get("prune", True)
            and SHARED not in failed else "", "; ".join(failures[:10]))
    return out


def _check_platform_namespaces(tenants, platform, existing):
    """The platform namespaces tenant objects are written into must exist, or the
    API server would refuse those objects after others were written."""
    needed = [("redpanda_namespace", True), ("grafana_namespace", True),
              ("postgres_namespace", any(t["postgres"]["enabled"] for t in tenants))]
    problems = [("platform.%s" % key, "namespace %r does not exist; install the platform first (site.yml creates "
                 "it) or name the namespace it uses" % platform[key])
                for key, wanted in needed if wanted and platform[key] not in existing]
    if problems:
        raise SpecError(problems)


def _dry_run(engine, objects, owner_of, existing, ns_labels):
    """Server-side dry run of everything the batch would write, before the first
    write; SpecError naming the tenant, object and field when the API server
    refuses any. Returns the live objects read on the way."""
    failures, read = engine.dry_run(objects, existing=existing, namespaces=set(ns_labels))
    if failures:
        raise SpecError([("tenant %s: %s" % (owner_of.get(f.ref, SHARED), ref_str(f.ref)),
                          "the API server refuses it (server-side dry run): %s" % f.error.split(": ", 1)[-1])
                         for f in failures])
    return read


def _existing(objects, owned, ns_labels):
    """What the apply needs to know of each object's live state. Owned objects were all
    listed, so a desired object missing from the lists does not exist, except a
    ClusterRole (shared, not listed) and the default ServiceAccount of an existing namespace."""
    existing = dict((ref(o), o) for o in owned)
    for obj in objects:
        obj_ref = ref(obj)
        if obj_ref in existing or obj_ref[1] in SHARED_KINDS:
            continue
        if obj_ref[1] == "Namespace":
            if obj_ref[3] not in ns_labels:  # every namespace was listed
                existing[obj_ref] = None
        elif not (obj_ref[1] == "ServiceAccount" and obj_ref[2] in ns_labels):
            existing[obj_ref] = None
    return existing


def _present(engine, tenants, platform, owned, owner_of, ns_labels, params, routing):
    live = dict((ref(o), o) for o in owned)
    objects = render_shared(platform)
    routing_obj, routing_live = routing
    if routing_obj is not None:  # the collector's routing, applied in the same batch as the tenants' objects
        objects.append(routing_obj)
    with paused_gc():
        for tenant in tenants:
            rendered = render_tenant(tenant, platform, _passwords(tenant, platform, live))
            objects.extend(rendered)
            owner_of.update((ref(o), tenant["name"]) for o in rendered)
        existing = _existing(objects, owned, ns_labels)
    if routing_obj is not None:
        existing[ref(routing_obj)] = routing_live
    if params.get("server_dry_run", True) and not engine.check_mode:
        existing.update(_dry_run(engine, objects, owner_of, existing, ns_labels))

    def confirm_namespaces(stale):
        doomed = dict((o["metadata"]["name"], owner_of[ref(o)]) for o in stale if o["kind"] == "Namespace")
        problems = _pvc_problems(engine, doomed, params.get("confirm_delete_pvcs"))
        if problems:
            raise SpecError(problems)

    # Pruned per tenant after a clean apply of that tenant's objects: a conflict in one tenant's objects
    # keeps that tenant's stale objects and nobody else's. A failed shared object (the ClusterRoles,
    # the admission policy, the collector's routing) concerns every tenant: then nothing is pruned.
    return engine.reconcile(objects, owned, existing=existing, prune=params.get("prune", True),
                            keep=lambda o: o["kind"] in NEVER_DELETE, before_prune=confirm_namespaces,
                            owner_of=owner_of.get, first=DELETE_FIRST)


def _absent(engine, owned, owner_of, params):
    doomed_ns = dict((o["metadata"]["name"], owner_of[ref(o)]) for o in owned if o["kind"] == "Namespace")
    problems = _pvc_problems(engine, doomed_ns, params.get("confirm_delete_pvcs"))
    if problems:
        raise SpecError(problems)
    # Objects inside doomed namespaces go with them; delete the rest one by one.
    refs = [ref(o) for o in owned if o["kind"] not in NEVER_DELETE
            and (o["kind"] == "Namespace" or o["metadata"].get("namespace") not in doomed_ns)]
    refs.sort(key=lambda r: r[1] not in DELETE_FIRST)  # stable: the rest keep their order
    return engine.delete(refs, existing=dict((ref(o), o) for o in owned))


def _gone_with_namespaces(summary, owned, owner_of):
    doomed_ns = set(o["metadata"]["name"] for o in owned if o["kind"] == "Namespace")
    for obj in owned:
        if obj["kind"] not in NEVER_DELETE and obj["kind"] != "Namespace" and obj["metadata"].get("namespace") in doomed_ns:
            summary[owner_of[ref(obj)]]["deleted"].append(ref_str(ref(obj)) + " (with its namespace)")
