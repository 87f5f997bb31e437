# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Preflight: read what a cluster offers (gather) and judge it against the
requirements (evaluate, a pure function). Never writes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.openova.platform.plugins.module_utils.apply import Engine
from ansible_collections.openova.platform.plugins.module_utils.errors import SpecError

ZONE_LABEL = "topology.kubernetes.io/zone"
DEFAULT_SC = ("storageclass.kubernetes.io/is-default-class", "storageclass.beta.kubernetes.io/is-default-class")


def parse_version(text, field="min_version"):
    """``"1.30"`` or ``"v1.30.2"`` -> ``(1, 30)``; raises SpecError otherwise."""
    match = re.match(r"^v?(\d+)\.(\d+)", str(text or ""))
    if not match:
        raise SpecError([(field, "%r is not a Kubernetes version; use major.minor, for example '1.30'" % text)])
    return int(match.group(1)), int(match.group(2))


def _is_ready(node):
    for cond in node.get("status", {}).get("conditions", []) or []:
        if cond.get("type") == "Ready":
            return cond.get("status") == "True"
    return False


def gather(client):
    """The cluster facts, read with one request per kind."""
    engine = Engine(client)
    version = client.version()
    nodes = engine.list("v1", "Node")
    ready = [n for n in nodes if _is_ready(n)]
    crds = engine.list("apiextensions.k8s.io/v1", "CustomResourceDefinition")
    classes = engine.list("storage.k8s.io/v1", "StorageClass")
    default_sc = None
    for sc in classes:
        annotations = sc.get("metadata", {}).get("annotations") or {}
        if any(annotations.get(key) == "true" for key in DEFAULT_SC):
            default_sc = sc["metadata"]["name"]
            break
    minor = re.sub(r"\D", "", version.get("minor", "0")) or "0"
    return {
        "server": client.config.host,
        "version": "%s.%s" % (version.get("major"), minor),
        "git_version": version.get("gitVersion"),
        "nodes": len(nodes),
        "ready_nodes": len(ready),
        "zones": sorted({n["metadata"].get("labels", {}).get(ZONE_LABEL) for n in ready}
                        - {None}),
        "crd_groups": sorted({c["spec"]["group"] for c in crds}),
        "default_storage_class": default_sc,
    }


def evaluate(facts, params):
    """Checks of ``facts`` against ``params``: a list of {name, ok, detail}."""
    want = parse_version(params.get("min_version") or "1.30")
    have = parse_version(facts["version"], field="server version")
    checks = [
        {"name": "version", "ok": have >= want,
         "detail": "%d.%d %s %d.%d" % (have + (">=" if have >= want else "<",) + want)},
        {"name": "nodes", "ok": facts["ready_nodes"] >= params.get("min_nodes", 1),
         "detail": "%d Ready node(s), %d required" % (facts["ready_nodes"], params.get("min_nodes", 1))},
        {"name": "zones", "ok": len(facts["zones"]) >= params.get("min_zones", 1),
         "detail": "%d zone(s), %d required" % (len(facts["zones"]), params.get("min_zones", 1))},
    ]
    missing = sorted(set(params.get("required_crd_groups") or []) - set(facts["crd_groups"]))
    checks.append({"name": "crd_groups", "ok": not missing,
                   "detail": "missing: %s" % ", ".join(missing) if missing else "all required groups served"})
    if params.get("require_default_storage_class"):
        checks.append({"name": "default_storage_class", "ok": bool(facts["default_storage_class"]),
                       "detail": facts["default_storage_class"] or "no StorageClass is marked default"})
    return checks


def run_preflight(params, check_mode=False, diff=False, client=None):
    parse_version(params.get("min_version"))  # bad input fails before any request
    facts = gather(client)
    checks = evaluate(facts, params)
    unmet = [c["name"] for c in checks if not c["ok"]]
    result = {"changed": False, "ansible_facts": {"openova_cluster": facts}, "checks": checks, "unmet": unmet}
    if unmet and params.get("fail_on_unmet", True):
        result["failed"] = True
        result["msg"] = "cluster %s does not meet the platform's requirements: %s" % (
            facts["server"], "; ".join("%s (%s)" % (c["name"], c["detail"]) for c in checks if not c["ok"]))
    return result
