"""platform_summary: rows per release and custom resource, workloads by Helm's annotations,
and what was simulated (kwok nodes, SimulatedByKwok conditions)."""

from ansible_collections.openova.platform.plugins.filter.platform_summary import platform_summary


def workload(kind, name, release, ns, ready, desired):
    meta = {"name": name, "namespace": ns,
            "annotations": {"meta.helm.sh/release-name": release, "meta.helm.sh/release-namespace": ns}}
    if kind == "DaemonSet":
        return {"kind": kind, "metadata": meta, "status": {"numberReady": ready, "desiredNumberScheduled": desired}}
    return {"kind": kind, "metadata": meta, "spec": {"replicas": desired}, "status": {"readyReplicas": ready}}


RELEASES = [
    {"component": "redis", "name": "valkey", "namespace": "openova-data",
     "status": {"chart": "valkey-3.0.31", "status": "deployed"}},
    {"component": "cilium", "name": "cilium", "namespace": "kube-system",
     "status": {"chart": "cilium-1.19.4", "status": "deployed"}},
]
KWOK_NODE = {"metadata": {"name": "n1", "annotations": {"kwok.x-k8s.io/node": "fake"}}}
REDPANDA = {"component": "redpanda", "ref": {"apiVersion": "cluster.redpanda.com/v1alpha2", "kind": "Redpanda",
                                             "namespace": "openova-redpanda", "name": "redpanda"},
            "object": {"kind": "Redpanda", "status": {"conditions": [
                {"type": "Ready", "status": "True", "reason": "SimulatedByKwok"}]}}}


def test_rows_count_the_workloads_of_each_release_only():
    out = platform_summary(RELEASES, workloads=[
        workload("StatefulSet", "valkey-node", "valkey", "openova-data", 3, 3),
        workload("Deployment", "other", "someone-else", "openova-data", 0, 5),
        workload("DaemonSet", "cilium", "cilium", "kube-system", 3, 3),
        workload("Deployment", "cilium-operator", "cilium", "kube-system", 1, 2)], nodes=[KWOK_NODE])
    valkey, cilium = out["rows"]
    assert (valkey["chart"], valkey["version"], valkey["status"], valkey["workloads"]) == (
        "valkey", "3.0.31", "deployed", "3/3 in 1")
    assert cilium["workloads"] == "4/5 in 2" and not out["ready"] and not out["workloads_ready"]
    assert valkey["simulated"] == "kwok pods"


def test_simulated_operator_status_and_kwok_nodes_are_named():
    out = platform_summary(RELEASES[:1], workloads=[workload("StatefulSet", "v", "valkey", "openova-data", 1, 1)],
                           resources=[REDPANDA], nodes=[KWOK_NODE])
    assert out["ready"]
    row = out["rows"][-1]
    assert (row["object"], row["status"]) == ("Redpanda openova-redpanda/redpanda", "Ready=True")
    assert "SimulatedByKwok" in row["simulated"]
    assert any("1 of 1 nodes are kwok nodes" in line for line in out["lines"])
    assert any("no operator runs there" in line for line in out["lines"])


def test_real_nodes_and_real_status_claim_no_simulation():
    real = dict(REDPANDA, object={"kind": "Redpanda", "status": {"conditions": [
        {"type": "Ready", "status": "True", "reason": "ClusterReady"}]}})
    out = platform_summary(RELEASES[:1], resources=[real], nodes=[{"metadata": {"name": "n1"}}])
    assert all(not row["simulated"] for row in out["rows"])
    assert not any(line.startswith("simulated") for line in out["lines"])


def test_grafana_reports_its_stage_and_a_missing_release_is_not_installed():
    grafana = {"component": "observability", "ref": {"kind": "Grafana", "namespace": "o", "name": "grafana"},
               "object": {"kind": "Grafana", "status": {"stage": "complete", "conditions": [
                   {"type": "GrafanaReady", "status": "True", "reason": "SimulatedByKwok"}]}}}
    missing = {"component": "harbor", "name": "harbor", "namespace": "harbor", "status": {}}
    out = platform_summary([missing], resources=[grafana])
    assert out["rows"][0]["status"] == "not installed" and out["ready"]
    assert out["rows"][1]["status"] == "GrafanaReady=True, stage=complete"
