"""The platform configuration (openova.platform.platform_config) and a component's objects
(openova.platform.platform_objects) against the local control plane: check mode writes
nothing, a re-run changes nothing, objects no longer rendered are pruned, platform
Namespaces are never deleted, and the role runs both phases from a playbook."""

import base64
import uuid

import pytest
import yaml

from ansible_collections.openova.platform.plugins.module_utils import facts
from ansible_collections.openova.platform.plugins.module_utils.platform import components, render
from ansible_collections.openova.platform.plugins.module_utils.platform.run import (
    OWNED_KINDS,
    run_platform_config,
    run_platform_objects,
)
from harness import REPO, changed, run_playbook, task_result

ALL = list(facts.COMPONENTS)


def owned(engine, phase):
    return engine.list_owned(OWNED_KINDS[phase], render.owned_selector(phase), missing_ok=True)


@pytest.fixture(scope="module", autouse=True)
def clean(client):
    """Start and end without the platform configuration's objects (Namespaces stay: they may hold anything)."""
    from ansible_collections.openova.platform.plugins.module_utils.apply import Engine, ref
    engine = Engine(client)

    def wipe():
        for phase in render.PHASES:
            engine.delete([ref(o) for o in owned(engine, phase)])
        # other tests apply the platform's PriorityClasses without this phase's labels
        engine.delete([("scheduling.k8s.io/v1", "PriorityClass", "", pc["name"]) for pc in facts.PRIORITY_CLASSES])

    wipe()
    yield
    wipe()


def test_prepare_in_check_mode_writes_nothing(client, engine):
    result = run_platform_config({"phase": "prepare", "components": ALL}, client=client, check_mode=True, diff=True)
    assert result["changed"] and not result.get("failed"), result.get("msg")
    created = [(r["kind"], r["name"]) for r in result["results"] if r["action"] == "created"]
    assert ("PriorityClass", facts.PRIORITY_PLATFORM_CRITICAL) in created
    assert engine.get("scheduling.k8s.io/v1", "PriorityClass", facts.PRIORITY_PLATFORM_CRITICAL) is None
    assert len(result["diff"]) == len([r for r in result["results"] if r["action"] in ("created", "updated")])


def test_prepare_applies_then_changes_nothing(client, engine):
    first = run_platform_config({"phase": "prepare", "components": ALL}, client=client)
    assert first["changed"] and not first.get("failed"), first.get("msg")
    for ns in facts.PLATFORM_NAMESPACES:
        live = engine.get("v1", "Namespace", ns)
        assert live["metadata"]["labels"][facts.PLATFORM_LABEL] == "true"
        for key, value in facts.NAMESPACE_LABELS.get(ns, {}).items():
            assert live["metadata"]["labels"][key] == value
    pc = engine.get("scheduling.k8s.io/v1", "PriorityClass", facts.PRIORITY_TENANT)
    assert pc["value"] == 1000 and not pc.get("globalDefault")
    again = run_platform_config({"phase": "prepare", "components": ALL}, client=client, diff=True)
    assert not again["changed"] and again["diff"] == []
    assert again["summary"]["unchanged"] == len(again["results"])


def test_configure_applies_the_mesh_policies_and_datasources(client, engine):
    first = run_platform_config({"phase": "configure", "components": ALL, "domain": "example.com"}, client=client)
    assert first["changed"] and not first.get("failed"), first.get("msg")
    gateway = engine.get("networking.istio.io/v1", "Gateway", facts.INGRESS_GATEWAY_NAME, facts.INGRESS_NAMESPACE)
    assert gateway["spec"]["servers"][0]["hosts"] == ["*.example.com"]
    istio = engine.get("networking.k8s.io/v1", "NetworkPolicy", render.NETWORK_POLICY, facts.ISTIO_NAMESPACE)
    rules = istio["spec"]["ingress"]
    assert any(r.get("ports") == [{"port": 15012, "protocol": "TCP"}] and r.get("from") for r in rules)
    assert {"ports": [{"port": 15017, "protocol": "TCP"}]} in rules
    assert len(owned(engine, "configure")) == len(first["results"])
    again = run_platform_config({"phase": "configure", "components": ALL, "domain": "example.com"}, client=client)
    assert not again["changed"], [r for r in again["results"] if r["action"] != "unchanged"]


def test_configure_check_mode_shows_a_change_without_storing_it(client, engine):
    result = run_platform_config({"phase": "configure", "components": ALL, "domain": "example.com",
                                  "mtls_mode": "PERMISSIVE"}, client=client, check_mode=True, diff=True)
    (pa,) = [d for d in result["diff"] if d["after_header"].startswith("PeerAuthentication")]
    assert pa["before"]["spec"]["mtls"]["mode"] == "STRICT" and pa["after"]["spec"]["mtls"]["mode"] == "PERMISSIVE"
    live = engine.get("security.istio.io/v1", "PeerAuthentication", "default", facts.ISTIO_NAMESPACE)
    assert live["spec"]["mtls"]["mode"] == "STRICT"


def test_objects_no_longer_rendered_are_pruned_and_namespaces_kept(client, engine):
    without = [c for c in ALL if c != "observability"]
    result = run_platform_config({"phase": "configure", "components": without, "domain": "example.com"},
                                 client=client)
    deleted = sorted((r["kind"], r["name"]) for r in result["results"] if r["action"] == "deleted")
    assert ("ConfigMap", render.WIRING_CONFIGMAP) in deleted
    assert len([d for d in deleted if d[0] == "GrafanaDatasource"]) == 3
    assert ("NetworkPolicy", render.NETWORK_POLICY) in deleted  # the one of openova-observability
    assert engine.get("v1", "Namespace", facts.OBSERVABILITY_NAMESPACE) is not None
    # A PriorityClass left out of the list is pruned; prune=false keeps it.
    fewer = [dict(pc) for pc in facts.PRIORITY_CLASSES if pc["name"] != facts.PRIORITY_PLATFORM]
    kept = run_platform_config({"phase": "prepare", "components": without, "priority_classes": fewer,
                                "prune": False}, client=client)
    assert not kept["changed"]
    pruned = run_platform_config({"phase": "prepare", "components": without, "priority_classes": fewer},
                                 client=client)
    assert [(r["kind"], r["name"], r["action"]) for r in pruned["results"] if r["action"] == "deleted"] == [
        ("PriorityClass", facts.PRIORITY_PLATFORM, "deleted")]
    assert engine.get("v1", "Namespace", facts.OBSERVABILITY_NAMESPACE) is not None


def test_the_role_runs_both_phases_and_a_rerun_changes_nothing(kubeconfig, tmp_path):
    playbook = tmp_path / "platform_config.yml"
    playbook.write_text(yaml.safe_dump([{
        "name": "Platform configuration", "hosts": "localhost", "gather_facts": False,
        "tasks": [
            {"name": "Prepare", "ansible.builtin.import_role": {
                "name": "openova.platform.platform_config", "tasks_from": "prepare.yml"}},
            {"name": "Configure", "ansible.builtin.import_role": {"name": "openova.platform.platform_config"}},
        ]}]))
    run_playbook(playbook, kubeconfig, check=True)
    out = run_playbook(playbook, kubeconfig)[1]
    assert changed(out) >= 1
    out = run_playbook(playbook, kubeconfig, diff=True)[1]
    assert changed(out) == 0, out["stats"]
    result = task_result(out, "Apply the PriorityClasses and platform namespaces")
    assert result["summary"]["failed"] == 0 and result["namespaces"] == list(facts.PLATFORM_NAMESPACES)


# ---------------------------------------------------------------- platform_objects
@pytest.fixture()
def component(client, namespace):
    name = "it-" + uuid.uuid4().hex[:6]
    yield name
    run_platform_objects({"component": name, "state": "absent", "wait_timeout": 60}, client=client)


def secret_value(engine, namespace, name, key):
    live = engine.get("v1", "Secret", name, namespace)
    return base64.b64decode(live["data"][key]).decode()


def test_component_objects_generate_once_copy_and_prune(client, engine, namespace, component):
    engine.apply([{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "source", "namespace": namespace},
                   "data": {"password": base64.b64encode(b"copied").decode()}}])
    params = {"component": component, "namespaces": [], "secrets": [
        {"name": "gen", "namespace": namespace, "data": {"users.txt": "admin:{password}:SCRAM-SHA-512"}},
        {"name": "copy", "namespace": namespace, "copy_from": {"namespace": namespace, "name": "source"}},
    ], "resources": [
        {"type": "cnpg_cluster", "name": "pg", "namespace": namespace, "spec": {"instances": 1},
         "databases": ["svc"]},
        {"type": "redpanda_cluster", "name": "rp", "namespace": namespace, "spec": {"statefulset": {"replicas": 1}}},
    ]}
    check = run_platform_objects(params, client=client, check_mode=True)
    assert check["changed"] and engine.get("v1", "Secret", "gen", namespace) is None
    first = run_platform_objects(params, client=client, diff=True)
    assert first["summary"]["created"] == 5 and not first.get("failed"), first.get("msg")
    assert "VALUE_HIDDEN" in str(first["diff"]) and "admin:" not in str(first["diff"])
    password = secret_value(engine, namespace, "gen", "users.txt")
    assert password.startswith("admin:") and len(password.split(":")[1]) == 32
    assert secret_value(engine, namespace, "copy", "password") == "copied"
    cluster = engine.get(components.CNPG_API, "Cluster", "pg", namespace)
    assert cluster["spec"]["managed"]["roles"][0]["passwordSecret"] == {"name": "svc-db"}
    again = run_platform_objects(params, client=client)
    assert not again["changed"] and secret_value(engine, namespace, "gen", "users.txt") == password
    params["resources"] = params["resources"][:1]
    pruned = run_platform_objects(params, client=client)
    assert [(r["kind"], r["action"]) for r in pruned["results"] if r["action"] != "unchanged"] == [
        ("Redpanda", "deleted")]
    gone = run_platform_objects({"component": component, "state": "absent", "wait_timeout": 60}, client=client)
    assert sorted(r["kind"] for r in gone["results"]) == ["Cluster", "Database", "Secret", "Secret"]
    assert engine.get("v1", "Secret", "source", namespace) is not None  # not the component's


def test_a_copy_without_its_source_fails_before_anything_is_written(client, engine, namespace, component):
    params = {"component": component, "secrets": [
        {"name": "copy", "namespace": namespace, "copy_from": {"namespace": namespace, "name": "missing"}}]}
    check = run_platform_objects(params, client=client, check_mode=True)
    assert check["waiting"] == ["%s/copy" % namespace]
    from ansible_collections.openova.platform.plugins.module_utils.errors import SpecError
    with pytest.raises(SpecError, match="does not exist yet"):
        run_platform_objects(params, client=client)
    assert engine.get("v1", "Secret", "copy", namespace) is None


def test_role_files_build_no_object_in_jinja():
    """The roles this module serves: none of them builds an object in Jinja (tests/unit/test_no_jinja_objects.py
    checks every file; here the two phases' task files are read as Ansible reads them)."""
    for name in ("main.yml", "prepare.yml"):
        tasks = yaml.safe_load((REPO / "roles" / "platform_config" / "tasks" / name).read_text())
        assert all("kubernetes.core.k8s" not in task for task in tasks)
