# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The offline workload check: read manifests (files, directories, inline objects),
apply the platform's admission defaults and judge every pod object against the
rule table in rules.py, exactly as the rendered Kyverno policies do. Reads files,
never writes, never talks to the API server. The module's entry point is in run.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os

from ansible_collections.openova.platform.plugins.module_utils.guardrails.rules import (
    OBJECT_KINDS, OBJECT_RULES, PDB_RULE_ID, POD_KINDS, POD_RULES, _get, _list, _truthy, needs_pdb, pdb_selects,
    rule_message,
)

from ansible_collections.openova.platform.plugins.module_utils.guardrails.manifest_yaml import (
    MAX_DEPTH,
    MAX_NODES,
    ManifestError,
    load_documents,
)

MAX_BYTES = 16 * 1024 * 1024
YAML_SUFFIXES = (".yaml", ".yml", ".json")
PASS, FAIL, SKIP = "pass", "fail", "skip"


# ---------------------------------------------------------------- reading
def _decode(raw):
    """Manifest bytes as text, as go-yaml accepts them: UTF-8 (a BOM allowed)
    or UTF-16 with a BOM. Anything else is refused, never patched up."""
    if raw.startswith(b"\xff\xfe") or raw.startswith(b"\xfe\xff"):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ManifestError("not UTF-8 text (byte %d); kubectl cannot read it either" % exc.start)


def _parse(text, source, limits):
    """(objects, errors): every document of a YAML stream, read as kubectl reads
    it; the documents before an error are kept, the error is reported."""
    documents, error = load_documents(text, **limits)
    objects = [(source, index, doc) for index, doc in enumerate(documents)]
    errors = []
    if error is not None:
        errors.append(_error(source, error, len(documents)))
    return objects, errors


def _error(source, error, document=None):
    out = {"source": source, "reason": error.reason if isinstance(error, ManifestError) else str(error)}
    if getattr(error, "line", None):
        out["line"] = error.line
    if document is not None:
        out["document"] = document
    return out


def _files(src):
    if os.path.isdir(src):
        out = []
        for root, dirs, names in os.walk(src):
            dirs.sort()
            out += [os.path.join(root, n) for n in sorted(names) if n.endswith(YAML_SUFFIXES)]
        return out
    return [src]


def load(src=None, definitions=None, max_bytes=MAX_BYTES, max_depth=MAX_DEPTH, max_nodes=MAX_NODES):
    """src paths and inline definitions -> (objects as (source, index, obj), errors).

    ``errors`` lists what could not be read (missing, unreadable, over a bound,
    not YAML the way kubectl reads it), each with its source and reason: such
    a manifest has not been checked, so the caller must not pass it."""
    objects, errors = [], []
    limits = {"max_depth": max_depth, "max_nodes": max_nodes}
    for path in ([src] if isinstance(src, str) else list(src or [])):
        if not os.path.exists(path):
            errors.append({"source": path, "reason": "no such file or directory"})
            continue
        for name in _files(path):
            try:
                size = os.path.getsize(name)
                if size > max_bytes:
                    errors.append({"source": name, "reason": "file is %d bytes, over the max_bytes limit of %d; "
                                   "split it or raise max_bytes" % (size, max_bytes)})
                    continue
                with open(name, "rb") as handle:
                    raw = handle.read(max_bytes + 1)  # the file may grow after the size check
                if len(raw) > max_bytes:
                    errors.append({"source": name, "reason": "file is over the max_bytes limit of %d; split it or "
                                   "raise max_bytes" % max_bytes})
                    continue
                text = _decode(raw)
            except ManifestError as exc:
                errors.append(_error(name, exc))
                continue
            except (IOError, OSError) as exc:
                errors.append({"source": name, "reason": "cannot read: %s" % exc})
                continue
            found, bad = _parse(text, name, limits)
            objects += found
            errors += bad
    for index, item in enumerate(definitions or []):
        source = "definitions[%d]" % index
        if isinstance(item, str):
            if len(item.encode("utf-8", "surrogatepass")) > max_bytes:
                errors.append({"source": source, "reason": "over the max_bytes limit of %d" % max_bytes})
                continue
            found, bad = _parse(item, source, limits)
            objects += found
            errors += bad
        else:
            objects.append((source, 0, item))
    return _flatten(objects), errors


def _flatten(objects):
    out = []
    for source, index, obj in objects:
        if isinstance(obj, dict) and str(obj.get("kind", "")).endswith("List") and isinstance(obj.get("items"), list):
            out += [(source, index, item) for item in obj["items"]]
        elif obj is not None:  # empty documents (a trailing ---) are not objects
            out.append((source, index, obj))
    return out


# ---------------------------------------------------------------- defaulting
def apply_defaults(pod_spec, prefix):
    """Mirror of the openova-pod-security-defaults mutate policy, in place; returns the
    paths it set, so that the verdict is on the pod the cluster will judge. A privileged
    container gets no allowPrivilegeEscalation (the API server would reject the pair)."""
    set_paths = []
    sc = pod_spec.get("securityContext")
    if sc is None:
        sc = pod_spec["securityContext"] = {}
    if isinstance(sc, dict) and "seccompProfile" not in sc:
        sc["seccompProfile"] = {"type": "RuntimeDefault"}
        set_paths.append("%s.securityContext.seccompProfile" % prefix)
    for field in ("containers", "initContainers"):
        for i, c in enumerate(_list(pod_spec.get(field))):
            if not isinstance(c, dict):
                continue
            csc = c.get("securityContext")
            if csc is None:
                csc = c["securityContext"] = {}
            if not isinstance(csc, dict):
                continue
            if "allowPrivilegeEscalation" not in csc and not _truthy(csc.get("privileged")):
                csc["allowPrivilegeEscalation"] = False
                set_paths.append("%s.%s[%d].securityContext.allowPrivilegeEscalation" % (prefix, field, i))
            caps = csc.get("capabilities")
            if caps is None:
                caps = csc["capabilities"] = {}
            if isinstance(caps, dict) and "drop" not in caps:
                caps["drop"] = ["ALL"]
                set_paths.append("%s.%s[%d].securityContext.capabilities.drop" % (prefix, field, i))
    return set_paths


# ---------------------------------------------------------------- judging
# Other kinds with a pod template (an Argo Rollout, an operator's CR): Kyverno's autogen does not
# cover them, but the Pods they create are checked at admission, so judge the template.
TEMPLATE_KEYS = (("spec", "template", "spec"), ("spec", "template", "metadata"))


def _has_pod_template(obj):
    return isinstance(_get(obj, *TEMPLATE_KEYS[0] + ("containers",)), list)


def _text(value):
    """Identity fields as text: YAML may give dates or numbers, results must be JSON."""
    return value if value is None or isinstance(value, str) else str(value)


def _describe(obj):
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    return {"kind": _text(obj.get("kind")), "name": _text(meta.get("name")),
            "namespace": _text(meta.get("namespace"))}


def _finding(base, rule_id, result, message, violations=()):
    out = dict(base)
    out.update(rule=rule_id, result=result, message=message,
               path=violations[0][0] if violations else None,
               violations=[{"path": p, "message": m} for p, m in violations])
    return out


def check_object(obj, params, pdbs=(), source=None, index=None):
    """One pod object -> list of findings, one per rule (pass, fail or skip)."""
    kind = obj["kind"]
    spec_keys, meta_keys = POD_KINDS.get(kind, TEMPLATE_KEYS)
    prefix = ".".join(spec_keys)
    base = _describe(obj)
    base.update(source=source, document=index)
    spec = copy.deepcopy(_get(obj, *spec_keys))
    if not isinstance(spec, dict):
        return [_finding(base, rule.id, FAIL, "%s: %s is missing or not a mapping" % (rule.id, prefix),
                         [(prefix, "missing")]) for rule in POD_RULES], []
    meta = _get(obj, *meta_keys) or {}
    defaults = apply_defaults(spec, prefix)
    findings = []
    for rule in POD_RULES:
        if not rule.applies_to(kind, spec):
            if kind == "Pod" and not rule.bare_pods:
                why = "judges the pod templates of workloads; a Pod gets the requests and limits it lacks from " \
                      "its namespace's LimitRange before admission"
            else:
                why = "not required for run-to-completion pods (%s.restartPolicy %s)" % (
                    prefix, _get(spec, "restartPolicy"))
            findings.append(_finding(base, rule.id, SKIP, "%s: %s" % (rule.id, why)))
            continue
        violations = rule.check(spec, meta, prefix, params, params.tenant)
        if violations:
            message = "%s (%s)" % (rule_message(rule, params), "; ".join(v[1] for v in violations))
            findings.append(_finding(base, rule.id, FAIL, message, violations))
        else:
            findings.append(_finding(base, rule.id, PASS, "%s: ok" % rule.id))
    if kind in ("Deployment", "StatefulSet"):
        findings.append(_pdb_finding(obj, params, pdbs, base))
    return findings, defaults


def check_other_object(obj, params, namespaces, source=None, index=None):
    """A VirtualService, Service, ... -> one finding per object rule for its kind."""
    base = _describe(obj)
    base.update(source=source, document=index)
    findings = []
    for rule in OBJECT_RULES:
        if obj["kind"] not in rule.kinds:
            continue
        violations = rule.check(obj, params, params.tenant, namespaces)
        if violations:
            message = "%s (%s)" % (rule_message(rule, params), "; ".join(v[1] for v in violations))
            findings.append(_finding(base, rule.id, FAIL, message, violations))
        else:
            findings.append(_finding(base, rule.id, PASS, "%s: ok" % rule.id))
    return findings


def tenant_namespaces(objects, params):
    """The namespaces the object rules treat as the tenant's: Params.tenant_namespaces when
    given, else the tenant name and every non-platform namespace among the checked objects."""
    if params.tenant_namespaces is not None:
        return set(params.tenant_namespaces)
    out = {params.tenant} if params.tenant else set()
    for _source, _index, obj in objects:
        ns = _get(obj, "metadata", "namespace") if isinstance(obj, dict) else None
        if isinstance(ns, str) and ns and ns not in params.platform_namespaces:
            out.add(ns)
    return out


def _pdb_finding(obj, params, pdbs, base):
    if not needs_pdb(obj):
        return _finding(base, PDB_RULE_ID, SKIP, "%s: not required (spec.replicas <= 1)" % PDB_RULE_ID)
    namespace = _get(obj, "metadata", "namespace")
    labels = _get(obj, "spec", "template", "metadata", "labels")
    covered = [p for p in pdbs if pdb_selects(p, namespace, labels)]
    if params.pdb_mode == "generate":
        if covered:
            return _finding(base, PDB_RULE_ID, SKIP, "%s: PodDisruptionBudget %s selects the pods; none is generated"
                            % (PDB_RULE_ID, _get(covered[0], "metadata", "name")))
        return _finding(base, PDB_RULE_ID, PASS, "%s: no PodDisruptionBudget selects the pods; Kyverno will "
                        "generate one (maxUnavailable 1)" % PDB_RULE_ID)
    if covered:
        return _finding(base, PDB_RULE_ID, PASS, "%s: ok (PodDisruptionBudget %s)"
                        % (PDB_RULE_ID, _get(covered[0], "metadata", "name")))
    return _finding(base, PDB_RULE_ID, FAIL,
                    "%s: %s %s has spec.replicas %s but no PodDisruptionBudget in namespace %s selects "
                    "spec.template.metadata.labels; add one to the same manifest set"
                    % (PDB_RULE_ID, obj["kind"], base["name"], _get(obj, "spec", "replicas"), namespace),
                    [("spec.template.metadata.labels", "no PodDisruptionBudget selects these labels")])


def check_objects(objects, params):
    """(source, index, obj) triples -> (findings, skipped, defaults)."""
    findings, skipped, defaulted = [], [], []
    pdbs = [t[2] for t in objects if isinstance(t[2], dict) and t[2].get("kind") == "PodDisruptionBudget"]
    platform = set(params.platform_namespaces)
    namespaces = tenant_namespaces(objects, params)
    for source, index, obj in objects:
        where = {"source": source, "document": index}
        if not isinstance(obj, dict):
            skipped.append(dict(where, reason="not a Kubernetes object (a %s)" % type(obj).__name__))
            continue
        kind = obj.get("kind")
        desc = _describe(obj)
        if not isinstance(kind, str) or not kind:
            skipped.append(dict(where, reason="no kind", **desc))
            continue
        if kind == "PodDisruptionBudget":
            skipped.append(dict(where, reason="PodDisruptionBudget: used by require-pdb, not checked itself", **desc))
            continue
        if kind not in POD_KINDS and kind not in OBJECT_KINDS and not _has_pod_template(obj):
            skipped.append(dict(where, reason="%s does not run pods; not checked" % kind, **desc))
            continue
        if desc["namespace"] in platform:
            skipped.append(dict(where, reason="namespace %s is a platform namespace; exempt" % desc["namespace"],
                                **desc))
            continue
        if not isinstance(desc["name"], str):
            desc["name"] = None
        if kind in OBJECT_KINDS:
            findings += check_other_object(obj, params, namespaces, source, index)
            continue
        found, defaults = check_object(obj, params, pdbs, source, index)
        findings += found
        if defaults:
            defaulted.append(dict(where, paths=defaults, **desc))
    return findings, skipped, defaulted


def summarize(findings, skipped):
    objects, failed, by_rule = {}, set(), {}
    for f in findings:
        key = (f["source"], f["document"], f["kind"], f["namespace"], f["name"])
        objects[key] = True
        counts = by_rule.setdefault(f["rule"], {PASS: 0, FAIL: 0, SKIP: 0})
        counts[f["result"]] += 1
        if f["result"] == FAIL:
            failed.add(key)
    return {"objects": len(objects), "passed": len(objects) - len(failed), "failed": len(failed),
            "skipped": len(skipped), "findings_failed": sum(c[FAIL] for c in by_rule.values()),
            "by_rule": by_rule}
