"""kwok Stages that simulate operator status: rendered from Python data,
labelled as simulated, and matching the operators' real status schemas."""

import functools
import json
import re
import sys
import threading
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "tools"))

import kwok_stages  # noqa: E402

CRDS = REPO.parent / "shared" / "crds"
REQUIRED = {("cluster.redpanda.com", "Redpanda"), ("cluster.redpanda.com", "Topic"), ("cluster.redpanda.com", "User"),
            ("postgresql.cnpg.io", "Cluster"), ("postgresql.cnpg.io", "Database"),
            ("grafana.integreatly.org", "Grafana"), ("grafana.integreatly.org", "GrafanaDatasource"),
            ("grafana.integreatly.org", "GrafanaFolder"), ("grafana.integreatly.org", "GrafanaDashboard"),
            ("cert-manager.io", "Certificate"), ("cert-manager.io", "Issuer"), ("cert-manager.io", "ClusterIssuer")}


def _fill(template: str) -> dict:
    """What kwok's renderer would produce, with stand-in values for the Go template actions."""
    text = re.sub(r"\{\{ if [^}]*\}\}true\{\{ else \}\}false\{\{ end \}\}", "true", template)
    text = re.sub(r"\{\{ \.metadata\.generation \}\}", "3", text)
    text = re.sub(r"\{\{ \.spec\.instances \| default 1 \}\}", "2", text)
    text = re.sub(r"\{\{[^}]*\}\}", '"2026-12-01T00:00:00Z"', text)
    return json.loads(text)


def test_the_required_kinds_are_simulated():
    assert REQUIRED <= {(s.group, s.kind) for s in kwok_stages.SIMULATED}
    assert len({s.stage_name for s in kwok_stages.SIMULATED}) == len(kwok_stages.SIMULATED)


@pytest.mark.parametrize("sim", kwok_stages.SIMULATED, ids=lambda s: s.kind)
def test_every_stage_is_labelled_as_simulation_and_selects_unsimulated_generations(sim):
    stage = kwok_stages.render_stage(sim)
    assert stage["apiVersion"] == "kwok.x-k8s.io/v1alpha1" and stage["kind"] == "Stage"
    assert stage["spec"]["resourceRef"] == {"apiGroup": f"{sim.group}/{sim.version}", "kind": sim.kind}
    assert stage["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "devcluster"
    exprs = [m["cel"]["expression"] for m in stage["spec"]["selector"]["matchExpressions"]]
    assert "!has(self.metadata.deletionTimestamp)" in exprs
    assert any("self.metadata.generation" in e and e.startswith("!(") for e in exprs)
    patch, event = stage["spec"]["steps"]
    assert patch["patch"]["subresource"] == "status" and patch["patch"]["root"] == "status"
    assert event["event"]["reason"] == "SimulatedByKwok" and " run" in event["event"]["message"]
    status = _fill(patch["patch"]["template"])
    for cond in status.get("conditions", []):
        assert cond["reason"] == "SimulatedByKwok"
        assert cond["message"].startswith("Simulated by kwok") and " run" in cond["message"] and "here" in cond["message"]
        assert cond["status"] == "True" and cond["observedGeneration"] == 3
    if sim.condition:
        assert sim.condition in {c["type"] for c in status["conditions"]}
    else:
        assert status["observedGeneration"] == 3 and "SimulatedByKwok" in status["message"]


def test_template_places_expressions_unquoted_and_data_as_json():
    text = kwok_stages.render_template({"a": kwok_stages.Expr("{{ .x }}"), "b": ["q\"uote", 1],
                                        "c": {"d": kwok_stages.NOW}})
    assert '"a": {{ .x }}' in text and '"d": {{ Now | Quote }}' in text
    assert json.loads(text.replace("{{ .x }}", "1").replace("{{ Now | Quote }}", '"t"')) == {
        "a": 1, "b": ['q"uote', 1], "c": {"d": "t"}}


@functools.lru_cache(maxsize=None)
def _status_schemas() -> dict:
    """(group, kind) -> status schema of the storage version, for the simulated
    kinds only (the CRD files hold 18 MB of YAML: read each relevant file once)."""
    wanted = {(s.group, s.plural) for s in kwok_stages.SIMULATED}
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    out = {}
    for path in CRDS.rglob("*.yaml"):
        if not any(path.name.startswith(f"{group}_{plural}.") for group, plural in wanted):
            continue
        for doc in yaml.load_all(path.read_text(), Loader=loader):  # noqa: S506 - CSafeLoader/SafeLoader
            if doc and doc.get("kind") == "CustomResourceDefinition":
                version = next(v for v in doc["spec"]["versions"] if v.get("storage"))
                out[(doc["spec"]["group"], doc["spec"]["names"]["kind"])] = \
                    version["schema"]["openAPIV3Schema"]["properties"]["status"]
    return out


def _status_schema(group: str, kind: str):
    return _status_schemas().get((group, kind))


@pytest.mark.skipif(not CRDS.is_dir(), reason="the upstream CRDs (../shared/crds) are not beside the repository")
@pytest.mark.parametrize("sim", kwok_stages.SIMULATED, ids=lambda s: s.kind)
def test_every_status_field_set_exists_in_the_upstream_schema(sim):
    schema = _status_schema(sim.group, sim.kind)
    if schema is None:
        pytest.skip(f"{sim.kind}: not in ../shared/crds (CloudNativePG DatabaseRole is only in CRDs of 1.30+)")
    status = _fill(kwok_stages.render_stage(sim)["spec"]["steps"][0]["patch"]["template"])
    for key, value in status.items():
        assert key in schema["properties"], f"{sim.kind}: status.{key} is not in the CRD"
        if key == "conditions":
            cond_props = schema["properties"]["conditions"]["items"]["properties"]
            assert set(value[0]) <= set(cond_props), f"{sim.kind}: condition fields {set(value[0]) - set(cond_props)}"


def test_crds_are_served_only_when_established_and_serving_the_version():
    crd = {"spec": {"versions": [{"name": "v1alpha2", "served": True}, {"name": "v1alpha1", "served": False}]},
           "status": {"conditions": [{"type": "Established", "status": "True"}]}}
    assert kwok_stages.served(crd, "v1alpha2")
    assert not kwok_stages.served(crd, "v1alpha1")
    crd["status"]["conditions"][0]["status"] = "False"
    assert not kwok_stages.served(crd, "v1alpha2")


class _Recorder:
    def __init__(self):
        self.patched = []

    def patch_cluster_custom_object(self, group, version, plural, name, body, **kwargs):
        self.patched.append(name)


def _sync_without_cluster(ready_after):
    """A StageSync whose kind becomes servable after ``ready_after`` checks (no API server)."""
    sync = object.__new__(kwok_stages.StageSync)
    sync.by_crd = {s.crd: s for s in kwok_stages.SIMULATED}
    sync.applied, sync.wanted, sync.pending = set(), set(), set()
    sync.lock = threading.Lock()
    sync._last_error = ""
    sync.custom = _Recorder()
    checks = []

    def ready(sim):
        checks.append(sim.kind)
        return len(checks) > ready_after

    sync._ready_for_kwok = ready
    return sync, checks


def test_a_kind_served_late_still_gets_its_stage(monkeypatch):
    """The OpenAPI document of a new CRD can take minutes on a busy API server; the stage is
    applied once it appears, however long that took (no give-up after a fixed count)."""
    monkeypatch.setattr(kwok_stages.time, "sleep", lambda seconds: None)
    sim = kwok_stages.SIMULATED[0]
    sync, checks = _sync_without_cluster(ready_after=200)
    sync.wanted.add(sim.crd)
    sync.pending.add(sim.crd)
    sync._apply(sim)
    assert len(checks) == 201 and sync.custom.patched == [sim.stage_name]
    assert sim.crd in sync.applied and sim.crd not in sync.pending


def test_waiting_stops_when_the_crd_is_no_longer_wanted(monkeypatch):
    sim = kwok_stages.SIMULATED[0]
    sync, checks = _sync_without_cluster(ready_after=10 ** 6)

    def sleep(seconds):
        if len(checks) == 5:
            sync.wanted.discard(sim.crd)  # the CRD was deleted meanwhile

    monkeypatch.setattr(kwok_stages.time, "sleep", sleep)
    sync.wanted.add(sim.crd)
    sync.pending.add(sim.crd)
    sync._apply(sim)
    assert len(checks) == 5 and sync.custom.patched == [] and not sync.pending
