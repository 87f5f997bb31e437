# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The apply engine: server-side apply of many objects in one call, with check
mode (server dry run), before/after diffs, pruning of owned objects, deletes
and waits. It builds no objects (see render/) and reads no kubeconfig (see
client.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import copy
import gc
import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.openova.platform.plugins.module_utils.errors import (
    ApiError,
    Conflict,
    MissingKind,
    OpenovaError,
    WaitTimeout,
)
from ansible_collections.openova.platform.plugins.module_utils.facts import FIELD_MANAGER
from ansible_collections.openova.platform.plugins.module_utils.managed_fields import up_to_date

APPLY_CONTENT_TYPE = "application/apply-patch+yaml"

# Fields the server writes on every object. They are stripped from both sides of
# a comparison, so that `changed` means "the user-visible object changed" and a
# re-run that rewrites nothing reports changed=false.
NOISE_METADATA = ("managedFields", "resourceVersion", "generation", "uid", "creationTimestamp",
                  "selfLink")
HIDDEN = "VALUE_HIDDEN"

# Cluster-scoped objects first, Namespaces among them, so namespaced objects
# find their namespace. CRDs precede everything.
# PodDisruptionBudgets go before the workloads they protect: the guard-rail policy
# require-pdb (Kyverno) generates a PDB for a multi-replica Deployment that no PDB selects
# yet, or, in strict mode, rejects it.
_PHASE = {"CustomResourceDefinition": 0, "Namespace": 1, "PodDisruptionBudget": 1.5}


@contextlib.contextmanager
def paused_gc():
    """Python's cyclic garbage collector off while a large, long-lived graph of objects is
    built or compared (thousands of listed and rendered objects), back to how it was after.
    Those phases make no cyclic garbage, yet each growth of the heap by a quarter sets off a
    collection of the whole heap: at 1,000 tenants that was over a third of a no-op run's CPU.
    On the way out what was built is frozen (gc.freeze): later collections skip it, and
    refcounting still frees it. A module's process ends with the run; a longer-lived caller
    (a test process) can hand the objects back with gc.unfreeze()."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def ref(obj):
    """``(apiVersion, kind, namespace, name)`` of an object."""
    meta = obj.get("metadata", {})
    return (obj["apiVersion"], obj["kind"], meta.get("namespace") or "", meta["name"])


def ref_str(obj_ref):
    api_version, kind, namespace, name = obj_ref
    return "%s %s/%s" % (kind, namespace, name) if namespace else "%s %s" % (kind, name)


def comparable(obj):
    """A deep copy of ``obj`` without server-managed noise and status.

    >>> comparable({"metadata": {"name": "a", "uid": "1"}, "status": {}})
    {'metadata': {'name': 'a'}}
    """
    if obj is None:
        return None
    out = copy.deepcopy(obj)
    out.pop("status", None)
    meta = out.get("metadata", {})
    for key in NOISE_METADATA:
        meta.pop(key, None)
    annotations = meta.get("annotations")
    if annotations is not None:
        annotations.pop("kubectl.kubernetes.io/last-applied-configuration", None)
        if not annotations:
            meta.pop("annotations")
    return out


def redact(obj):
    """Secret values replaced by a marker, for diffs and results."""
    if obj is None or obj.get("kind") != "Secret":
        return obj
    out = copy.deepcopy(obj)
    for key in ("data", "stringData"):
        if isinstance(out.get(key), dict):
            out[key] = dict((k, HIDDEN) for k in out[key])
    return out


class ObjectResult:
    """What happened to one object."""

    __slots__ = ("ref", "action", "before", "after", "error")

    def __init__(self, obj_ref, action, before=None, after=None, error=None):
        self.ref = obj_ref
        self.action = action  # created | updated | unchanged | deleted | absent | failed
        self.before = before
        self.after = after
        self.error = error

    @property
    def changed(self):
        return self.action in ("created", "updated", "deleted")

    def as_dict(self, with_objects=False):
        api_version, kind, namespace, name = self.ref
        out = {"apiVersion": api_version, "kind": kind, "name": name, "action": self.action}
        if namespace:
            out["namespace"] = namespace
        if self.error:
            out["error"] = self.error
        if with_objects and self.after is not None:
            out["object"] = redact(self.after)
        return out

    def diff(self):
        """An Ansible diff dict for this object (only meaningful when changed)."""
        return {
            "before_header": ref_str(self.ref), "after_header": ref_str(self.ref),
            "before": redact(comparable(self.before)) or {},
            "after": redact(comparable(self.after)) or {},
        }


class Engine:
    """Applies, prunes and deletes objects through one Client.

    ``check_mode`` makes every write a server-side dry run; nothing is stored.
    """

    def __init__(self, client, check_mode=False, field_manager=FIELD_MANAGER,
                 force_conflicts=False, workers=8):
        self.client = client
        self.check_mode = check_mode
        self.field_manager = field_manager
        self.force_conflicts = force_conflicts
        self.workers = max(1, workers)
        # Namespaces that exist only as a dry-run result in check mode.
        self._dry_namespaces = set()
        # ref -> (live, desired) pairs found up to date, so that an apply after a dry run
        # of the same objects does not compare them again (the pair is kept, so their ids
        # cannot be reused by other objects).
        self._settled = {}

    def _up_to_date(self, before, obj, obj_ref):
        """up_to_date(), remembered for this very (live, desired) pair."""
        seen = self._settled.get(obj_ref)
        if seen is not None and seen[0] is before and seen[1] is obj:
            return True
        if up_to_date(before, obj, self.field_manager):
            self._settled[obj_ref] = (before, obj)
            return True
        return False

    # ------------------------------------------------------------------ reads
    def get(self, api_version, kind, name, namespace=None):
        """The live object, or None when it does not exist."""
        rtype = self.client.resource(api_version, kind)
        try:
            return self.client.request("GET", rtype.path(name, namespace))
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    def list(self, api_version, kind, label_selector=None, namespace=None):
        """Every object of a kind (in ``namespace`` or all), filtered by labels."""
        rtype = self.client.resource(api_version, kind)
        query = {"labelSelector": label_selector} if label_selector else None
        try:
            doc = self.client.request("GET", rtype.path(namespace=namespace), query=query)
        except ApiError as exc:
            if exc.status != 404:
                raise
            # A collection of a served kind never answers 404: discovery (cached) is stale.
            # Ask again; MissingKind when the kind is really gone.
            self.client.forget_discovery()
            rtype = self.client.resource(api_version, kind)
            doc = self.client.request("GET", rtype.path(namespace=namespace), query=query)
        items = doc.get("items", [])
        for item in items:  # list items carry no apiVersion/kind
            item.setdefault("apiVersion", api_version)
            item.setdefault("kind", kind)
        return items

    def list_owned(self, kinds, label_selector, namespace=None, missing_ok=False):
        """Every object of ``kinds`` (pairs of apiVersion and kind) that carries
        the ownership ``label_selector``: one list request per kind, concurrently.
        With ``missing_ok`` a kind the server does not serve (a CRD not installed)
        contributes nothing instead of failing: no object of it can exist."""
        def read(kind):
            try:
                return self.list(kind[0], kind[1], label_selector=label_selector, namespace=namespace)
            except MissingKind:
                if missing_ok:
                    return []
                raise

        if len(kinds) > 1 and self.workers > 1:
            with ThreadPoolExecutor(max_workers=min(self.workers, len(kinds))) as pool:
                lists = list(pool.map(read, kinds))
        else:
            lists = [read(kind) for kind in kinds]
        return [obj for items in lists for obj in items]

    def reconcile(self, objects, owned, existing=None, prune=True, keep=None, before_prune=None, owner_of=None,
                  first=()):
        """Apply ``objects``, then delete the ``owned`` objects they no longer include.

        The deletes run only after a clean apply, so that a failed apply never costs a
        working object (say, the HPA of a service). With ``owner_of(ref)`` (a batch of
        several owners, such as tenants) that holds per owner: an owner whose objects all
        applied is pruned even when another owner's failed; a failure of an object with
        no owner (``owner_of`` gives None: shared objects) stops all pruning.
        ``existing`` maps ref() to the live objects already read (default: ``owned``).
        ``keep(obj)`` true spares an owned object from pruning (a namespace's default
        ServiceAccount goes with its namespace). ``before_prune(stale)`` sees the objects
        about to be deleted and may raise to stop (a check that needs a confirmation, such
        as volumes in a namespace). Stale objects of the kinds in ``first`` are deleted
        before the others (a CloudNativePG Database before the role that owns it).
        Returns the apply results followed by the delete results."""
        if existing is None:
            existing = dict((ref(o), o) for o in owned)
        results = self.apply(objects, existing=existing) if objects else []
        failed = set((owner_of or (lambda r: None))(r.ref) for r in results if r.action == "failed")
        if prune and not (None in failed or (failed and owner_of is None)):
            wanted = set(ref(o) for o in objects)
            stale = [o for o in owned if ref(o) not in wanted and not (keep and keep(o))
                     and not (owner_of and owner_of(ref(o)) in failed)]
            stale.sort(key=lambda o: o["kind"] not in first)  # stable: the rest keep their order
            if before_prune is not None:
                before_prune(stale)
            results += self.delete([ref(o) for o in stale], existing=dict((ref(o), o) for o in owned))
        return results

    # ------------------------------------------------------------------ apply
    def apply(self, objects, existing=None):
        """Server-side apply every object; returns ObjectResults in input order.

        ``existing`` maps ref() to live objects already read (for example by
        one labelled list per kind); objects missing from it are read first, so
        that the result can tell created from updated and carry a diff.
        Objects are applied phase by phase (CRDs, Namespaces, then the rest),
        each phase concurrently on ``workers`` threads. A failure of one object
        does not stop the others; it is reported in its result.
        """
        for obj in objects:  # resolve every kind before the first write
            self.client.resource(obj["apiVersion"], obj["kind"])
        results = [None] * len(objects)
        phases = {}
        for index, obj in enumerate(objects):
            phases.setdefault(_PHASE.get(obj["kind"], 2), []).append(index)
        for phase in sorted(phases):
            # Objects known to be up to date need no request: they are settled here, and only
            # the rest go to the threads (a no-op re-run of 1,000 tenants hands them nothing).
            indexes = []
            with paused_gc():
                for index in phases[phase]:
                    obj = objects[index]
                    obj_ref = ref(obj)
                    before = existing.get(obj_ref) if existing is not None else None
                    if before is not None and self._up_to_date(before, obj, obj_ref):
                        results[index] = ObjectResult(obj_ref, "unchanged", before, before)
                    else:
                        indexes.append(index)

            def work(index):
                return index, self._apply_one(objects[index], existing)

            self._each(work, indexes, results)
        return results

    def _each(self, work, indexes, results):
        """``work(index)`` gives ``(index, result)`` for each index, on the engine's threads
        when there is more than one; results[index] = result."""
        if len(indexes) <= 1 or self.workers == 1:
            done = [work(i) for i in indexes]
        else:
            with ThreadPoolExecutor(max_workers=min(self.workers, len(indexes))) as pool:
                done = list(pool.map(work, indexes))
        for index, result in done:
            results[index] = result

    def dry_run(self, objects, existing=None, namespaces=None):
        """Send every object that an apply would write as a server-side dry run
        (``dryRun=All``), concurrently, before anything is written.

        Returns ``(failures, read)``: ObjectResults of the objects the API server
        rejects, and the live objects read on the way (pass them to ``apply`` as
        ``existing``). Objects that are up to date are not sent; neither are
        namespaced objects whose namespace is not in ``namespaces`` (the set of
        namespaces that exist, when given), since the server cannot dry-run into
        a namespace that does not exist yet. A field-manager conflict is not counted
        as a rejection: the apply reports it for its object."""
        for obj in objects:
            self.client.resource(obj["apiVersion"], obj["kind"])
        read = {}

        def one(obj):
            obj_ref = ref(obj)
            api_version, kind, namespace, name = obj_ref
            try:
                # needs_request() has skipped objects outside ``namespaces`` and known ones that are
                # up to date; an object not known yet is read first.
                if existing is None or obj_ref not in existing:
                    before = read[obj_ref] = self.get(api_version, kind, name, namespace or None)
                    if up_to_date(before, obj, self.field_manager):
                        return None
                query = {"fieldManager": self.field_manager, "dryRun": "All"}
                if self.force_conflicts:
                    query["force"] = "true"
                self.client.request("PATCH", self.client.resource(api_version, kind).path(name, namespace or None),
                                    body=obj, query=query, content_type=APPLY_CONTENT_TYPE)
                return None
            except Conflict:
                # Another field manager owns a field: that is the live state, not bad input. The
                # apply reports it for this object alone (and for its owner, such as one tenant).
                return None
            except OpenovaError as exc:
                return ObjectResult(obj_ref, "failed", error="%s: %s" % (ref_str(obj_ref), exc.msg))

        def needs_request(obj):  # decided here, without I/O, so that only real work goes to the threads
            namespace = obj.get("metadata", {}).get("namespace")
            if namespace and namespaces is not None and namespace not in namespaces:
                return False
            obj_ref = ref(obj)
            before = existing.get(obj_ref) if existing is not None else None
            return before is None or not self._up_to_date(before, obj, obj_ref)

        with paused_gc():
            todo = [obj for obj in objects if needs_request(obj)]
        results = [None] * len(todo)
        self._each(lambda index: (index, one(todo[index])), list(range(len(todo))), results)
        return [r for r in results if r is not None], read

    def _apply_one(self, obj, existing):
        obj_ref = ref(obj)
        api_version, kind, namespace, name = obj_ref
        try:
            rtype = self.client.resource(api_version, kind)
            if existing is not None and obj_ref in existing:
                before = existing[obj_ref]
            else:
                before = self.get(api_version, kind, name, namespace or None)
            if up_to_date(before, obj, self.field_manager):
                # Applying would change nothing, so nothing is sent (see managed_fields.py).
                return ObjectResult(obj_ref, "unchanged", before, before)
            if self.check_mode and namespace in self._dry_namespaces:
                # The namespace itself is only a dry-run result, so the server
                # cannot dry-run objects inside it; report the object as given.
                return ObjectResult(obj_ref, "created", None, obj)
            query = {"fieldManager": self.field_manager}
            if self.force_conflicts:
                query["force"] = "true"
            if self.check_mode:
                query["dryRun"] = "All"
            after = self.client.request("PATCH", rtype.path(name, namespace or None), body=obj,
                                        query=query, content_type=APPLY_CONTENT_TYPE)
            if before is None:
                if self.check_mode and kind == "Namespace":
                    self._dry_namespaces.add(name)
                return ObjectResult(obj_ref, "created", None, after)
            if comparable(before) == comparable(after):
                return ObjectResult(obj_ref, "unchanged", before, after)
            return ObjectResult(obj_ref, "updated", before, after)
        except OpenovaError as exc:
            return ObjectResult(obj_ref, "failed", error="%s: %s" % (ref_str(obj_ref), exc.msg))

    # ------------------------------------------------------------------ delete / prune
    def delete(self, obj_refs, existing=None):
        """Delete objects (refs or objects); returns ObjectResults.

        Namespaced objects go first and Namespaces last. Deleting what is not
        there reports ``absent``.
        """
        refs = [r if isinstance(r, tuple) else ref(r) for r in obj_refs]
        ordered = sorted(refs, key=lambda r: -_PHASE.get(r[1], 2))
        results = []
        for obj_ref in ordered:
            api_version, kind, namespace, name = obj_ref
            try:
                rtype = self.client.resource(api_version, kind)
                before = existing.get(obj_ref) if existing else None
                query = {"propagationPolicy": "Background"}
                if self.check_mode:
                    query["dryRun"] = "All"
                try:
                    self.client.request("DELETE", rtype.path(name, namespace or None), query=query)
                except ApiError as exc:
                    if exc.status == 404:
                        results.append(ObjectResult(obj_ref, "absent"))
                        continue
                    raise
                results.append(ObjectResult(obj_ref, "deleted", before, None))
            except OpenovaError as exc:
                results.append(ObjectResult(obj_ref, "failed", error="%s: %s" % (ref_str(obj_ref), exc.msg)))
        return results

    def prune(self, desired, owned):
        """Delete the objects in ``owned`` (live, found by ownership labels) that
        ``desired`` no longer contains."""
        wanted = set(ref(o) for o in desired)
        stale = [ref(o) for o in owned if ref(o) not in wanted]
        return self.delete(stale, existing=dict((ref(o), o) for o in owned))

    # ------------------------------------------------------------------ waits
    def wait(self, api_version, kind, name, namespace=None, predicate=None, timeout=120,
             interval=0.5, description="the condition"):
        """Poll until ``predicate(obj)`` is true (or, without one, until the
        object is gone). Returns the last object; skipped in check mode."""
        if self.check_mode:
            return None
        deadline = time.monotonic() + timeout
        obj = None
        while True:
            obj = self.get(api_version, kind, name, namespace)
            if (predicate is None and obj is None) or (predicate and obj is not None and predicate(obj)):
                return obj
            if time.monotonic() >= deadline:
                raise WaitTimeout("timed out after %ss waiting for %s of %s" % (
                    timeout, description, ref_str((api_version, kind, namespace or "", name))),
                    last=redact(obj))
            time.sleep(interval)


def condition_is(condition_type, status="True"):
    """A wait predicate: ``status.conditions[type=condition_type].status == status``."""
    def predicate(obj):
        for cond in obj.get("status", {}).get("conditions", []) or []:
            if cond.get("type") == condition_type:
                return cond.get("status") == status
        return False
    predicate.description = "condition %s=%s" % (condition_type, status)
    return predicate


def summarize(results):
    """Counts per action, plus the failures."""
    counts = {"created": 0, "updated": 0, "unchanged": 0, "deleted": 0, "absent": 0, "failed": 0}
    for result in results:
        counts[result.action] += 1
    return counts


def engine_for(params, client, check_mode):
    """An Engine configured by the shared APPLY_ARGS options of a module."""
    return Engine(client, check_mode=check_mode, field_manager=params.get("field_manager") or FIELD_MANAGER,
                  force_conflicts=bool(params.get("force_conflicts")))


def summarize_by(results, owner_of, owners=(), into=None):
    """Per owner, what happened: ``{owner: {created: [...], updated: [...], deleted: [...],
    unchanged: n, failed: [errors]}}`` (objects as ``Kind namespace/name``).
    ``owner_of(ref)`` names an object's owner; ``owners`` get an entry even without results.
    ``into`` (such a mapping from an earlier call) is added to in place and returned."""
    summary = into if into is not None else {}
    for name in owners:
        summary.setdefault(name, {"created": [], "updated": [], "deleted": [], "unchanged": 0, "failed": []})
    for result in results:
        entry = summary.setdefault(owner_of(result.ref), {"created": [], "updated": [], "deleted": [],
                                                          "unchanged": 0, "failed": []})
        if result.action == "unchanged":
            entry["unchanged"] += 1
        elif result.action == "failed":
            entry["failed"].append(result.error)
        elif result.action in ("created", "updated", "deleted"):
            entry[result.action].append(ref_str(result.ref))
    return summary


def outcome(results, diff, subject, per_object=True, limit=10):
    """The common part of a module result: changed, per-object results (unless
    ``per_object`` is false), the diff (only in diff mode, only changed objects) and,
    when objects failed, failed and a message that starts with ``subject`` and names
    the first ``limit`` failures."""
    out = {"changed": any(r.changed for r in results)}
    if per_object:
        out["results"] = [r.as_dict() for r in results]
    if diff:
        out["diff"] = [r.diff() for r in results if r.changed]
    failed = [r.error for r in results if r.action == "failed"]
    if failed:
        more = " (and %d more)" % (len(failed) - limit) if len(failed) > limit else ""
        out.update(failed=True, msg="%s: %d object(s) failed: %s%s" % (
            subject, len(failed), "; ".join(failed[:limit]), more))
    return out
