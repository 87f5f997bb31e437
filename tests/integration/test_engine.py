"""The shared engine and the local control plane, against the real API server."""

import pytest

from ansible_collections.openova.platform.plugins.module_utils.apply import Engine, condition_is
from ansible_collections.openova.platform.plugins.module_utils.errors import Conflict, MissingKind


def _deployment(namespace, replicas=3):
    labels = {"app": "spread"}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "spread", "namespace": namespace},
        "spec": {
            "replicas": replicas, "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {
                "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
                                               "whenUnsatisfiable": "DoNotSchedule",
                                               "labelSelector": {"matchLabels": labels}}],
                "containers": [{"name": "app", "image": "harbor.openova.io/demo/app:1.0"}]}},
        },
    }


def test_deployment_pods_spread_over_zones_and_ready(engine, namespace):
    engine.apply([_deployment(namespace)])
    engine.wait("apps/v1", "Deployment", "spread", namespace,
                predicate=lambda d: d.get("status", {}).get("readyReplicas") == 3, timeout=60,
                description="3 ready replicas")
    pods = engine.list("v1", "Pod", label_selector="app=spread", namespace=namespace)
    assert len(pods) == 3
    nodes = {n["metadata"]["name"]: n["metadata"]["labels"]["topology.kubernetes.io/zone"]
             for n in engine.list("v1", "Node")}
    zones = {nodes[p["spec"]["nodeName"]] for p in pods}
    assert zones == {"zone-a", "zone-b", "zone-c"}
    for pod in pods:
        assert pod["status"]["phase"] == "Running"
        assert condition_is("Ready")(pod)


def test_job_pods_complete(engine, namespace):
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "once", "namespace": namespace},
           "spec": {"template": {"spec": {"restartPolicy": "Never",
                                          "containers": [{"name": "c", "image": "busybox"}]}}}}
    engine.apply([job])
    done = engine.wait("batch/v1", "Job", "once", namespace, predicate=condition_is("Complete"), timeout=60,
                       description="completion")
    assert done["status"]["succeeded"] == 1


def test_namespace_deletion_completes(engine):
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "it-delete-me"}}
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "it-delete-me"},
          "data": {"k": "v"}}
    engine.apply([ns, cm])
    assert [r.action for r in engine.delete([ns])] == ["deleted"]
    engine.wait("v1", "Namespace", "it-delete-me", timeout=90, description="deletion")
    assert engine.get("v1", "Namespace", "it-delete-me") is None


def test_resource_quota_status_is_filled_by_the_controller(engine, namespace):
    quota = {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q", "namespace": namespace},
             "spec": {"hard": {"configmaps": "10", "pods": "5"}}}
    engine.apply([quota])
    live = engine.wait("v1", "ResourceQuota", "q", namespace,
                       predicate=lambda q: "configmaps" in q.get("status", {}).get("used", {}), timeout=60,
                       description="status.used")
    # kube-root-ca.crt is published into every namespace by the controller-manager.
    assert int(live["status"]["used"]["configmaps"]) >= 1
    assert live["status"]["hard"]["pods"] == "5"


def test_server_side_apply_conflict_is_clear(client, namespace):
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "shared", "namespace": namespace},
          "data": {"owner": "first"}}
    Engine(client, field_manager="first-manager").apply([cm])
    second = dict(cm, data={"owner": "second"})
    result = Engine(client, field_manager="second-manager").apply([second])[0]
    assert result.action == "failed"
    assert "first-manager" in result.error and ".data.owner" in result.error
    assert "force_conflicts" in result.error
    forced = Engine(client, field_manager="second-manager", force_conflicts=True).apply([second])[0]
    assert forced.action == "updated"
    assert forced.after["data"]["owner"] == "second"


def test_conflict_exception_type(client, namespace):
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c2", "namespace": namespace},
          "data": {"k": "a"}}
    Engine(client, field_manager="one").apply([cm])
    from ansible_collections.openova.platform.plugins.module_utils.apply import APPLY_CONTENT_TYPE
    path = client.resource("v1", "ConfigMap").path("c2", namespace)
    with pytest.raises(Conflict):
        client.request("PATCH", path, body=dict(cm, data={"k": "b"}), query={"fieldManager": "two"},
                       content_type=APPLY_CONTENT_TYPE)


def test_check_mode_writes_nothing_and_rerun_is_unchanged(client, engine, namespace):
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "idem", "namespace": namespace},
          "data": {"k": "v"}}
    dry = Engine(client, check_mode=True).apply([cm])[0]
    assert dry.action == "created"
    assert engine.get("v1", "ConfigMap", "idem", namespace) is None
    engine.apply([cm])
    version = engine.get("v1", "ConfigMap", "idem", namespace)["metadata"]["resourceVersion"]
    again = engine.apply([cm])[0]
    assert again.action == "unchanged"
    assert engine.get("v1", "ConfigMap", "idem", namespace)["metadata"]["resourceVersion"] == version
    changed = Engine(client, check_mode=True).apply([dict(cm, data={"k": "w"})])[0]
    assert changed.action == "updated"
    assert changed.diff()["before"]["data"] == {"k": "v"}
    assert engine.get("v1", "ConfigMap", "idem", namespace)["data"] == {"k": "v"}


def test_schema_of_upstream_crd_is_enforced(engine, namespace):
    bad = {"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
           "metadata": {"name": "default", "namespace": namespace}, "spec": {"mtls": {"mode": "STRICTT"}}}
    result = engine.apply([bad])[0]
    assert result.action == "failed"
    assert "spec.mtls.mode" in result.error


def test_missing_kind_names_the_group(engine):
    with pytest.raises(MissingKind, match="example.openova.io"):
        engine.apply([{"apiVersion": "example.openova.io/v1", "kind": "Widget", "metadata": {"name": "w"}}])


def test_discovery_is_reused_within_a_run(client):
    before = client.requests
    for _attempt in range(5):
        client.resource("apps/v1", "Deployment")
        client.resource("networking.istio.io/v1", "VirtualService")
    assert client.requests - before <= 2  # at most the two aggregated discovery documents


def test_post_sends_the_body_once(client, namespace):
    """A plain JSON POST (create) reaches the server as an object, not a JSON string."""
    created = client.request("POST", "/api/v1/namespaces/%s/configmaps" % namespace,
                             body={"apiVersion": "v1", "kind": "ConfigMap",
                                   "metadata": {"name": "posted"}, "data": {"k": "v"}})
    assert created["metadata"]["name"] == "posted" and created["data"] == {"k": "v"}
