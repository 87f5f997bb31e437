#!/usr/bin/env python3
"""Operator-managed status on the local cluster, simulated by kwok Stages.

No operator runs on the local cluster (kwok only pretends that Pods run), so
nothing would ever set the status a Redpanda, CloudNativePG, grafana-operator
or cert-manager resource reports when its operator has done its work. For the
profiles that install the real charts, devcluster gives kwok one Stage per kind
listed in SIMULATED: when such an object is created or its spec changes, kwok
sets the status the operator sets on success, for the object's generation, and
records an event. Every condition says ``reason: SimulatedByKwok`` and a message
saying that no operator runs here. SIMULATED is the one list of what is
simulated; the README and ``devcluster.py simulated`` show it.

How kwok v0.8.0 is set up for custom resources (read in its source):

- ``--enable-crds=Stage`` makes kwok read Stages from Stage objects in the
  cluster (the ``stages.kwok.x-k8s.io`` CRD from kwok's module) instead of
  ``--config``; the two cannot be mixed, so the node and pod Stages become
  objects too.
- For each kind that some Stage names, kwok starts one controller, resolving the
  kind through discovery and its OpenAPI v3 document. Stages from ``--config``
  are started once: a kind whose CRD is missing at that moment makes kwok exit.
  Stage objects are retried only when a Stage object changes.
- So this process, a devcluster component, watches CustomResourceDefinitions
  and applies a kind's Stage only once its CRD is Established and its version
  is in discovery and in the OpenAPI v3 document, and deletes the Stage when
  the CRD goes away. A chart that installs a CRD later gets its simulation then.

    kwok_stages.py list                         the simulated kinds (JSON with --json)
    kwok_stages.py run --kubeconfig FILE        the component
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import kubeloop  # noqa: E402

REASON = "SimulatedByKwok"
MANAGED_BY = {"app.kubernetes.io/managed-by": "devcluster"}
LABEL_KIND = "devcluster.openova.io/simulates"
COMPONENT = "kwok-stages"
FIELD_MANAGER = "devcluster-kwok-stages"


class Expr(str):
    """A Go template expression kwok evaluates per object, placed unquoted."""


NOW = Expr("{{ Now | Quote }}")
GENERATION = Expr("{{ .metadata.generation }}")


@dataclass(frozen=True)
class Simulated:
    """One kind whose operator status kwok sets, and what it sets."""

    group: str
    version: str
    kind: str
    plural: str
    operator: str  # what does not run here, in words
    sets: str  # what the status says, for people
    status: dict = field(hash=False)
    # How to tell the status was simulated for the current generation: a
    # condition type, or "" for kinds that report status.observedGeneration.
    condition: str = ""

    @property
    def crd(self) -> str:
        return f"{self.plural}.{self.group}"

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}"

    @property
    def stage_name(self) -> str:
        return f"simulate-{self.crd}"

    @property
    def message(self) -> str:
        return (f"Simulated by kwok on the local test cluster (devcluster): {self.operator}; "
                f"this status is what the operator reports on success, not a checked state.")


def _condition(ctype: str, operator: str) -> dict:
    return {"type": ctype, "status": "True", "reason": REASON, "observedGeneration": GENERATION,
            "lastTransitionTime": NOW,
            "message": f"Simulated by kwok on the local test cluster (devcluster): {operator}."}


def _conditions(types: tuple[str, ...], operator: str) -> list[dict]:
    return [_condition(t, operator) for t in types]


# What does not run here, as the status messages say it.
REDPANDA_OPERATOR = "no Redpanda operator and no Redpanda broker run here"
CNPG_OPERATOR = "no CloudNativePG operator and no PostgreSQL server run here"
GRAFANA_OPERATOR = "no grafana-operator and no Grafana run here"
CERT_MANAGER = "no cert-manager controller runs here and no certificate or Secret was issued"
_REDPANDA_CLUSTER = ("Ready", "Healthy", "ResourcesSynced", "ConfigurationApplied", "Quiesced", "Stable")
_NOT_AFTER = Expr('{{ now | dateModify "+2160h" | date "2006-01-02T15:04:05Z07:00" | Quote }}')
_RENEWAL = Expr('{{ now | dateModify "+1440h" | date "2006-01-02T15:04:05Z07:00" | Quote }}')

# The one list of simulated kinds. Status fields follow the operators' own
# types at the pinned releases (Redpanda operator v26.2.2 statuses.yaml,
# CloudNativePG v1.29/v1.30 api/v1, grafana-operator v5.24.0 controllers,
# cert-manager v1.21.1), with our reason and message instead of theirs.
SIMULATED: tuple[Simulated, ...] = (
    Simulated("cluster.redpanda.com", "v1alpha2", "Redpanda", "redpandas", REDPANDA_OPERATOR,
              "conditions " + ", ".join(_REDPANDA_CLUSTER) + " = True",
              {"conditions": _conditions(_REDPANDA_CLUSTER, REDPANDA_OPERATOR)}, "Ready"),
    Simulated("cluster.redpanda.com", "v1alpha2", "Topic", "topics", REDPANDA_OPERATOR,
              "condition Ready = True, observedGeneration",
              {"conditions": _conditions(("Ready",), REDPANDA_OPERATOR), "observedGeneration": GENERATION}, "Ready"),
    Simulated("cluster.redpanda.com", "v1alpha2", "User", "users", REDPANDA_OPERATOR,
              "condition Synced = True, managedUser/managedAcls as the spec asks, observedGeneration",
              {"conditions": _conditions(("Synced",), REDPANDA_OPERATOR), "observedGeneration": GENERATION,
               "managedUser": Expr("{{ if .spec.authentication }}true{{ else }}false{{ end }}"),
               "managedAcls": Expr("{{ if .spec.authorization }}true{{ else }}false{{ end }}")}, "Synced"),
    Simulated("postgresql.cnpg.io", "v1", "Cluster", "clusters", CNPG_OPERATOR,
              "phase 'Cluster in healthy state', instances = readyInstances = spec.instances, "
              "currentPrimary <name>-1, condition Ready = True",
              {"phase": "Cluster in healthy state",
               "instances": Expr("{{ .spec.instances | default 1 }}"),
               "readyInstances": Expr("{{ .spec.instances | default 1 }}"),
               "currentPrimary": Expr('{{ printf "%s-1" .metadata.name | Quote }}'),
               "targetPrimary": Expr('{{ printf "%s-1" .metadata.name | Quote }}'),
               "writeService": Expr('{{ printf "%s-rw" .metadata.name | Quote }}'),
               "readService": Expr('{{ printf "%s-r" .metadata.name | Quote }}'),
               "conditions": _conditions(("Ready",), CNPG_OPERATOR)}, "Ready"),
    Simulated("postgresql.cnpg.io", "v1", "Database", "databases", CNPG_OPERATOR,
              "applied = true, observedGeneration",
              {"applied": True, "observedGeneration": GENERATION,
               "message": f"{REASON} on the local test cluster (devcluster): {CNPG_OPERATOR}"}),
    Simulated("postgresql.cnpg.io", "v1", "DatabaseRole", "databaseroles", CNPG_OPERATOR,
              "applied = true, observedGeneration (only where the CRD is served: CloudNativePG 1.30 and later)",
              {"applied": True, "observedGeneration": GENERATION,
               "message": f"{REASON} on the local test cluster (devcluster): {CNPG_OPERATOR}"}),
    Simulated("grafana.integreatly.org", "v1beta1", "Grafana", "grafanas", GRAFANA_OPERATOR,
              "stage complete, stageStatus success, adminUrl, condition GrafanaReady = True",
              {"stage": "complete", "stageStatus": "success",
               "adminUrl": Expr('{{ printf "http://%s-service.%s.svc:3000" .metadata.name .metadata.namespace'
                                ' | Quote }}'),
               "conditions": _conditions(("GrafanaReady",), GRAFANA_OPERATOR)}, "GrafanaReady"),
    Simulated("grafana.integreatly.org", "v1beta1", "GrafanaDatasource", "grafanadatasources", GRAFANA_OPERATOR,
              "condition DatasourceSynchronized = True, lastResync",
              {"conditions": _conditions(("DatasourceSynchronized",), GRAFANA_OPERATOR), "lastResync": NOW},
              "DatasourceSynchronized"),
    Simulated("grafana.integreatly.org", "v1beta1", "GrafanaFolder", "grafanafolders", GRAFANA_OPERATOR,
              "condition FolderSynchronized = True, lastResync",
              {"conditions": _conditions(("FolderSynchronized",), GRAFANA_OPERATOR), "lastResync": NOW},
              "FolderSynchronized"),
    Simulated("grafana.integreatly.org", "v1beta1", "GrafanaDashboard", "grafanadashboards", GRAFANA_OPERATOR,
              "condition DashboardSynchronized = True, lastResync",
              {"conditions": _conditions(("DashboardSynchronized",), GRAFANA_OPERATOR), "lastResync": NOW},
              "DashboardSynchronized"),
    Simulated("cert-manager.io", "v1", "Certificate", "certificates", CERT_MANAGER,
              "condition Ready = True, notBefore/notAfter/renewalTime for cert-manager's default 90 days, "
              "revision 1 (no Secret is written)",
              {"conditions": _conditions(("Ready",), CERT_MANAGER), "notBefore": NOW, "notAfter": _NOT_AFTER,
               "renewalTime": _RENEWAL, "revision": 1}, "Ready"),
    Simulated("cert-manager.io", "v1", "Issuer", "issuers", CERT_MANAGER, "condition Ready = True",
              {"conditions": _conditions(("Ready",), CERT_MANAGER)}, "Ready"),
    Simulated("cert-manager.io", "v1", "ClusterIssuer", "clusterissuers", CERT_MANAGER, "condition Ready = True",
              {"conditions": _conditions(("Ready",), CERT_MANAGER)}, "Ready"),
)


# --------------------------------------------------------------------------- rendering (pure)

def render_template(data) -> str:
    """JSON text of ``data`` (valid YAML for kwok) with every Expr placed
    unquoted, for kwok's Go template renderer."""
    exprs: list[str] = []

    def walk(value):
        if isinstance(value, Expr):
            exprs.append(str(value))
            return f"\x00{len(exprs) - 1}\x00"
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    text = json.dumps(walk(data), indent=2)
    for i, expr in enumerate(exprs):
        text = text.replace(f'"\\u0000{i}\\u0000"', expr)
    return text + "\n"


def done_expression(sim: Simulated) -> str:
    """CEL: the status was simulated for the object's current generation."""
    if sim.condition:
        return ("has(self.status) && has(self.status.conditions) && self.status.conditions.exists(c, "
                f"c.type == '{sim.condition}' && c.status == 'True' && has(c.observedGeneration) && "
                "c.observedGeneration == self.metadata.generation)")
    return ("has(self.status) && has(self.status.observedGeneration) && "
            "self.status.observedGeneration == self.metadata.generation")


def render_stage(sim: Simulated) -> dict:
    """The kwok Stage that sets ``sim``'s status on every generation."""
    return {
        "apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "Stage",
        "metadata": {"name": sim.stage_name, "labels": dict(MANAGED_BY, **{LABEL_KIND: sim.kind}),
                     "annotations": {"devcluster.openova.io/operator": sim.operator,
                                     "devcluster.openova.io/sets": sim.sets}},
        "spec": {
            "resourceRef": {"apiGroup": sim.api_version, "kind": sim.kind},
            "selector": {"matchExpressions": [
                {"cel": {"expression": "!has(self.metadata.deletionTimestamp)"}},
                {"cel": {"expression": f"!({done_expression(sim)})"}},
            ]},
            "delay": {"durationMilliseconds": 200},
            "steps": [
                {"patch": {"subresource": "status", "root": "status", "type": "merge",
                           "template": render_template(sim.status)}},
                {"event": {"type": "Normal", "reason": REASON, "message": sim.message}},
            ],
        },
    }


def table() -> list[dict]:
    return [{"apiVersion": s.api_version, "kind": s.kind, "operator": s.operator, "sets": s.sets,
             "stage": s.stage_name} for s in SIMULATED]


def served(crd: dict, version: str) -> bool:
    """The CRD is Established and serves ``version``."""
    conditions = {c["type"]: c["status"] for c in crd.get("status", {}).get("conditions") or []}
    versions = {v["name"]: v.get("served", False) for v in crd.get("spec", {}).get("versions") or []}
    return conditions.get("Established") == "True" and versions.get(version, False)


# --------------------------------------------------------------------------- process

class StageSync:
    """Keep one Stage object per simulated kind whose CRD is served."""

    def __init__(self, kubeconfig: str):
        from kubernetes import client  # noqa: PLC0415

        self.api_client = kubeloop.api_client(kubeconfig, "devcluster-kwok-stages")
        self.ext = client.ApiextensionsV1Api(self.api_client)
        self.custom = client.CustomObjectsApi(self.api_client)
        self.by_crd = {s.crd: s for s in SIMULATED}
        self.applied: set[str] = set()
        self.wanted: set[str] = set()  # CRDs served now, whose Stage should exist
        self.pending: set[str] = set()  # CRDs whose Stage a thread is waiting to apply
        self.lock = threading.Lock()
        self._last_error = ""

    def _get(self, path: str, timeout: float = 10) -> dict:
        method, url, headers, _, _ = self.api_client.param_serialize(
            "GET", path, header_params={"Accept": "application/json"}, auth_settings=["BearerToken"])
        resp = self.api_client.call_api(method, url, header_params=headers, _request_timeout=timeout)
        data = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"GET {path}: {resp.status}")
        return json.loads(data)

    def _ready_for_kwok(self, sim: Simulated) -> bool:
        """What kwok needs to start a controller: the kind in discovery and the
        group-version in the OpenAPI v3 document."""
        try:
            found = self._get(f"/apis/{sim.group}/{sim.version}")
            if not any(r.get("kind") == sim.kind for r in found.get("resources", [])):
                return False
            if f"apis/{sim.group}/{sim.version}" not in self._get("/openapi/v3").get("paths", {}):
                return False
            doc = self._get(f"/openapi/v3/apis/{sim.group}/{sim.version}", timeout=30)
            return any(p.endswith(f"/{sim.plural}/{{name}}") for p in doc.get("paths", {}))
        except Exception as exc:  # noqa: BLE001 - not ready yet
            self._last_error = f"{type(exc).__name__}: {str(exc)[:200]}"
            return False

    def _apply(self, sim: Simulated) -> None:
        """Wait until kwok can serve the kind (its OpenAPI document appears some time after the
        CRD is Established, longer on a busy API server), then apply its Stage. Retries with a
        backoff of up to 30 s for as long as the CRD is wanted; never gives up on its own."""
        delay, waited, reported = 1.0, 0.0, False
        try:
            while True:
                with self.lock:
                    if sim.crd not in self.wanted:
                        return
                if self._ready_for_kwok(sim):
                    break
                if waited >= 60 and not reported:
                    kubeloop.log(COMPONENT, "kind not served yet; still waiting", kind=sim.kind,
                                 error=self._last_error)
                    reported = True
                time.sleep(delay)
                waited += delay
                delay = min(delay * 2, 30.0)
            self.custom.patch_cluster_custom_object(
                "kwok.x-k8s.io", "v1alpha1", "stages", sim.stage_name, render_stage(sim),
                field_manager=FIELD_MANAGER, force=True,
                _content_type="application/apply-patch+yaml")
            with self.lock:
                self.applied.add(sim.crd)
            kubeloop.log(COMPONENT, "simulating status", kind=f"{sim.api_version} {sim.kind}", stage=sim.stage_name)
        finally:
            with self.lock:
                self.pending.discard(sim.crd)

    def _delete(self, sim: Simulated) -> None:
        from kubernetes.client.exceptions import ApiException  # noqa: PLC0415

        try:
            self.custom.delete_cluster_custom_object("kwok.x-k8s.io", "v1alpha1", "stages", sim.stage_name)
            kubeloop.log(COMPONENT, "CRD gone; stage removed", kind=sim.kind, stage=sim.stage_name)
        except ApiException as exc:
            if exc.status != 404:
                raise
        with self.lock:
            self.applied.discard(sim.crd)

    def _crd(self, kind: str, crd: dict) -> None:
        sim = self.by_crd.get(crd.get("metadata", {}).get("name", ""))
        if sim is None:
            return
        try:
            if kind != "DELETED" and served(crd, sim.version) and not crd["metadata"].get("deletionTimestamp"):
                with self.lock:
                    self.wanted.add(sim.crd)
                    start = sim.crd not in self.applied and sim.crd not in self.pending
                    if start:
                        self.pending.add(sim.crd)
                if start:
                    threading.Thread(target=self._apply, args=(sim,), daemon=True).start()
            else:
                with self.lock:
                    self.wanted.discard(sim.crd)
                if sim.crd in self.applied or kind == "DELETED":
                    self._delete(sim)
        except Exception as exc:  # noqa: BLE001 - one kind must not stop the others
            kubeloop.log(COMPONENT, "stage update failed", kind=sim.kind, error=f"{type(exc).__name__}: {exc}"[:300])

    def _sync(self, items: list[dict]) -> None:
        present = {c["metadata"]["name"] for c in items}
        with self.lock:
            self.applied = set()  # re-apply everything after a relist: cheap and self-healing
        for crd in items:
            self._crd("ADDED", crd)
        for sim in SIMULATED:
            if sim.crd not in present:
                self._crd("DELETED", {"metadata": {"name": sim.crd}})

    def run(self) -> None:
        kubeloop.watch_forever(COMPONENT, self.ext.list_custom_resource_definition, self._sync, self._crd)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_list = sub.add_parser("list", help="the simulated kinds")
    p_list.add_argument("--json", action="store_true")
    p_run = sub.add_parser("run", help="the devcluster component")
    p_run.add_argument("--kubeconfig", required=True)
    args = parser.parse_args(argv)
    if args.command == "list":
        rows = table()
        if args.json:
            print(json.dumps(rows, indent=2))
        else:
            for row in rows:
                print(f"{row['apiVersion']:34} {row['kind']:18} {row['sets']}")
        return 0
    sync = StageSync(args.kubeconfig)
    kubeloop.log(COMPONENT, "started", kinds=[s.kind for s in SIMULATED])
    return kubeloop.run_threads([sync.run])


if __name__ == "__main__":
    kubeloop.main_guard(main)
