"""onboard_tenant.yml creates the tenant's GrafanaDashboards on the local cluster (the API
server checks them against the grafana-operator v5.24.0 CRD schema from ../shared/crds); a
re-run changes nothing; offboarding removes them. No grafana-operator runs here, so the
dashboards are proven as accepted resources, not as rendered Grafana pages."""

import json
import uuid
from pathlib import Path

from ansible_collections.openova.platform.plugins.module_utils.apply import Engine
from harness import changed, run_playbook, task_result

REPO = Path(__file__).resolve().parents[2]
PLATFORM_NAMESPACES = ("openova-redpanda", "openova-data", "openova-observability", "istio-ingress")
API = "grafana.integreatly.org/v1beta1"
KINDS = ("services", "workloads", "logs", "redpanda")


def test_onboarding_creates_the_tenants_dashboards_and_offboarding_removes_them(kubeconfig, client):
    engine = Engine(client)
    engine.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}} for n in PLATFORM_NAMESPACES])
    name = "db" + uuid.uuid4().hex[:6]
    survey = {"tenant_name": name, "tenant_owner_groups": name + "-admins",
              "tenant_namespaces": "%s-dev,%s-prod" % (name, name)}
    try:
        _rc, out, _stdout = run_playbook(REPO / "playbooks" / "onboard_tenant.yml", kubeconfig, extra_vars=survey)
        result = task_result(out, "Apply the tenants in one batch")
        for kind in KINDS:
            assert "GrafanaDashboard openova-observability/tenant-%s-%s" % (name, kind) in result["tenants"][name][
                "created"], result["tenants"][name]
        own = {"tenant-%s-%s" % (name, s) for s in ("loki", "mimir", "tempo")}
        for kind in KINDS:
            live = engine.get(API, "GrafanaDashboard", "tenant-%s-%s" % (name, kind), "openova-observability")
            assert live["spec"]["folderRef"] == "tenant-%s-folder" % name
            model = json.loads(live["spec"]["json"])
            assert {p["datasource"]["uid"] for p in model["panels"]} <= own
        _rc, out, _stdout = run_playbook(REPO / "playbooks" / "onboard_tenant.yml", kubeconfig, extra_vars=survey)
        assert changed(out) == 0
        _rc, out, _stdout = run_playbook(REPO / "playbooks" / "offboard_tenant.yml", kubeconfig,
                                         extra_vars={"tenant_name": name})
        deleted = task_result(out, "Apply the tenants in one batch")["tenants"][name]["deleted"]
        for kind in KINDS:
            assert "GrafanaDashboard openova-observability/tenant-%s-%s" % (name, kind) in deleted
            assert engine.get(API, "GrafanaDashboard", "tenant-%s-%s" % (name, kind), "openova-observability") is None
    finally:
        run_playbook(REPO / "playbooks" / "offboard_tenant.yml", kubeconfig, extra_vars={"tenant_name": name},
                     expect_rc=None)
