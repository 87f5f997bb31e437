"""The tenant playbooks end to end through ansible-playbook, against the local
control plane: onboard from survey-style extra vars (changed, then changed=0),
check mode on the inventory's example tenants, then offboard."""

import uuid
from pathlib import Path

from ansible_collections.openova.platform.plugins.module_utils.apply import Engine
from harness import changed, run_playbook, task_result


REPO = Path(__file__).resolve().parents[2]
PLATFORM_NAMESPACES = ("openova-redpanda", "openova-data", "openova-observability", "istio-ingress")


def test_onboard_then_offboard_one_tenant(kubeconfig, client):
    engine = Engine(client)
    engine.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}} for n in PLATFORM_NAMESPACES])
    name = "pb" + uuid.uuid4().hex[:6]
    survey = {"tenant_name": name, "tenant_display_name": "Playbook tenant", "tenant_tier": "small",
              "tenant_owner_groups": name + "-admins", "tenant_viewer_groups": name + "-auditors, " + name + "-ops",
              "tenant_namespaces": "%s-dev,%s-prod" % (name, name)}
    try:
        _rc, out, _stdout = run_playbook(REPO / "playbooks" / "onboard_tenant.yml", kubeconfig, extra_vars=survey)
        result = task_result(out, "Apply the tenants in one batch")
        assert result["changed"] is True
        assert "Namespace %s-prod" % name in result["tenants"][name]["created"]
        binding = engine.get("rbac.authorization.k8s.io/v1", "RoleBinding", "openova-tenant-viewer", name + "-dev")
        assert [s["name"] for s in binding["subjects"]] == [name + "-auditors", name + "-ops"]
        _rc, out, _stdout = run_playbook(REPO / "playbooks" / "onboard_tenant.yml", kubeconfig, extra_vars=survey)
        assert changed(out) == 0
        _rc, out, _stdout = run_playbook(REPO / "playbooks" / "offboard_tenant.yml", kubeconfig,
                                         extra_vars={"tenant_name": name}, check=True)
        assert changed(out) == 1
        assert not engine.get("v1", "Namespace", name + "-dev")["metadata"].get("deletionTimestamp")
        _rc, out, _stdout = run_playbook(REPO / "playbooks" / "offboard_tenant.yml", kubeconfig,
                                         extra_vars={"tenant_name": name})
        result = task_result(out, "Apply the tenants in one batch")
        assert "Namespace %s-dev" % name in result["tenants"][name]["deleted"]
    finally:
        run_playbook(REPO / "playbooks" / "offboard_tenant.yml", kubeconfig, extra_vars={"tenant_name": name},
                     expect_rc=None)


def test_offboard_playbook_refuses_an_unmanaged_namespace(kubeconfig, namespace):
    _rc, _out, stdout = run_playbook(REPO / "playbooks" / "offboard_tenant.yml", kubeconfig,
                                     extra_vars={"tenant_name": "it", "tenant_namespaces": namespace}, expect_rc=2)
    assert "is not managed by openova-platform" in stdout


def test_onboard_tenants_check_mode_with_the_inventory_examples(kubeconfig):
    _rc, out, _stdout = run_playbook(REPO / "playbooks" / "onboard_tenants.yml", kubeconfig, check=True, diff=True)
    result = task_result(out, "Apply the tenants in one batch")
    assert set(result["tenants"]) == {"acme", "globex"}
    assert not result["tenants"]["acme"]["failed"]
