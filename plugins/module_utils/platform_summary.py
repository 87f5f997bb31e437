# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The platform summary at the end of site.yml: one row per Helm release (chart, version,
release status, workloads ready/desired) and per custom resource a component applied (its
readiness condition), and what of that readiness was simulated on a local test cluster
(pods on kwok nodes, an operator's status set by a kwok Stage with reason SimulatedByKwok).
Pure: the caller reads the objects; nothing here talks to a cluster."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

SIMULATED_REASON = "SimulatedByKwok"
KWOK_NODE_ANNOTATION = "kwok.x-k8s.io/node"
RELEASE_NAME = "meta.helm.sh/release-name"
RELEASE_NAMESPACE = "meta.helm.sh/release-namespace"
# The condition that says a custom resource is done, by kind (grafana-operator also reports stage).
READY_CONDITION = {"Grafana": "GrafanaReady", "GrafanaDatasource": "DatasourceSynchronized",
                   "GrafanaFolder": "FolderSynchronized", "User": "Synced"}
COLUMNS = ("component", "object", "chart", "version", "status", "workloads", "simulated")


def workload_counts(obj):
    """(ready, desired) of a Deployment, StatefulSet or DaemonSet."""
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    if obj.get("kind") == "DaemonSet":
        return int(status.get("numberReady") or 0), int(status.get("desiredNumberScheduled") or 0)
    desired = spec.get("replicas")
    return int(status.get("readyReplicas") or 0), int(1 if desired is None else desired)


def release_workloads(workloads, namespace, name):
    """The workloads Helm created for a release (Helm annotates every object it owns)."""
    out = []
    for obj in workloads:
        notes = (obj.get("metadata") or {}).get("annotations") or {}
        if notes.get(RELEASE_NAME) == name and notes.get(RELEASE_NAMESPACE) == namespace:
            out.append(obj)
    return out


def kwok_nodes(nodes):
    """(kwok nodes, all nodes) by kwok's node annotation."""
    fake = [n for n in nodes if ((n.get("metadata") or {}).get("annotations") or {}).get(KWOK_NODE_ANNOTATION)]
    return len(fake), len(nodes)


def simulated_pods(all_kwok, fake, objs):
    """What the summary says about a release's pods."""
    if not objs:
        return ""
    if all_kwok:
        return "kwok pods"
    return "some pods on kwok nodes" if fake else ""


def resource_state(obj):
    """(status text, simulated text) of a custom resource from its readiness condition."""
    if not obj:
        return "missing", ""
    status = obj.get("status") or {}
    want = READY_CONDITION.get(obj.get("kind"), "Ready")
    cond = next((c for c in status.get("conditions") or [] if c.get("type") == want), None)
    text = "%s=%s" % (want, cond.get("status")) if cond else "%s not reported" % want
    if obj.get("kind") == "Grafana" and status.get("stage"):
        text += ", stage=%s" % status["stage"]
    simulated = ""
    if cond and cond.get("reason") == SIMULATED_REASON:
        simulated = "operator status by kwok Stage (%s)" % SIMULATED_REASON
    return text, simulated


def summarize(releases, workloads, resources, nodes):
    """The summary rows and whether everything is ready.

    releases: [{component, name, namespace, status}] where status is what
    kubernetes.core.helm_info returns for the release (chart, app_version, status, ...)
    or empty when the release does not exist; workloads: live Deployments, StatefulSets
    and DaemonSets; resources: [{component, ref: {kind, namespace, name}, object}] with
    the live object or None; nodes: live Nodes. `ready` means every existing release is
    deployed with all its workloads ready; the component roles have waited for their
    custom resources' own conditions, which the rows show."""
    fake, total = kwok_nodes(nodes)
    pods_simulated = total > 0 and fake == total
    rows, ready, workloads_ready = [], True, True
    for rel in releases:
        status = rel.get("status") or {}
        chart = status.get("chart") or ""
        version = chart.rsplit("-", 1)[-1] if "-" in chart else ""
        objs = release_workloads(workloads, rel["namespace"], rel["name"])
        counts = [workload_counts(o) for o in objs]
        have, want = sum(c[0] for c in counts), sum(c[1] for c in counts)
        state = status.get("status") or "not installed"
        workloads_ready = workloads_ready and have >= want
        # a release that does not exist was left out (its chart source was skipped), not failed
        ready = ready and (state in ("deployed", "not installed")) and have >= want
        rows.append({"component": rel["component"], "object": "release %s/%s" % (rel["namespace"], rel["name"]),
                     "chart": chart[:-len(version) - 1] if version else chart, "version": version,
                     "status": state, "workloads": "%d/%d in %d" % (have, want, len(objs)) if objs else "none",
                     "simulated": simulated_pods(pods_simulated, fake, objs)})
    for res in resources:
        text, simulated = resource_state(res.get("object"))
        ref = res["ref"]
        rows.append({"component": res["component"],
                     "object": "%s %s/%s" % (ref["kind"], ref.get("namespace", ""), ref["name"]),
                     "chart": "", "version": "", "status": text, "workloads": "", "simulated": simulated})
    return {"rows": rows, "ready": ready, "workloads_ready": workloads_ready, "kwok_nodes": fake, "nodes": total}


def table(summary):
    """The rows as fixed-width lines, with a legend for what was simulated."""
    rows = [dict(zip(COLUMNS, COLUMNS))] + summary["rows"]
    widths = [max(len(str(r[c])) for r in rows) for c in COLUMNS]
    lines = ["  ".join(str(r[c]).ljust(w) for c, w in zip(COLUMNS, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    if summary["kwok_nodes"]:
        lines.append("simulated: %d of %d nodes are kwok nodes: their pods report Running and Ready, but no "
                     "container runs and no image is pulled" % (summary["kwok_nodes"], summary["nodes"]))
    if any(SIMULATED_REASON in r["simulated"] for r in summary["rows"]):
        lines.append("simulated: statuses with reason %s were set by kwok Stages of the local test cluster; "
                     "no operator runs there" % SIMULATED_REASON)
    return lines
