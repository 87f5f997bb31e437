#!/usr/bin/env python3
"""Stand-ins for chart Jobs whose work is the cluster's own API, on the local cluster.

kwok completes every Job's pods without running anything. That is enough for a Job whose
work lies outside the API (a database migration, a smoke test), but not for one that
installs CustomResourceDefinitions: the Redpanda operator chart (`crds.enabled: true`)
installs the operator's CRDs with a pre-install Job that runs `redpanda-operator crd`, and
without them nothing can create a Redpanda. This process watches Jobs and, for each one it
knows (STANDINS), does to the API what the Job's program would do, once per Job, and marks
what it wrote with the annotation `devcluster.openova.io/stand-in`.

Simulated, and said so: the CRDs come from ../shared/crds/redpanda-operator (the pinned
operator embeds its own, and its Go module is not served by the module proxy). There, the
Redpanda CRD is operator v25.3.1's; the others are v26.2.2's, the pinned release.

    job_standins.py list                        the Jobs it stands in for
    job_standins.py run --kubeconfig FILE       the component
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

import kubeloop  # noqa: E402

COMPONENT = "job-standins"
FIELD_MANAGER = "devcluster-job-standins"
ANNOTATION = "devcluster.openova.io/stand-in"
CRD_ROOT = Path(os.environ.get("OPENOVA_CRD_DIR") or Path(__file__).resolve().parents[2] / "shared" / "crds")
# What `redpanda-operator crd` installs without flags (operator/cmd/crd: stableCRDs).
REDPANDA_STABLE = ("consoles", "pipelines", "redpandas", "groups", "redpandaroles", "schemas", "shadowlinks",
                   "topics", "users")


@dataclass(frozen=True)
class StandIn:
    """A Job the local cluster cannot run, how to recognise it, and what it writes."""

    name: str
    matches: Callable[[dict], bool]
    objects: Callable[[], list[dict]]
    note: str


def _containers(job: dict) -> list[dict]:
    spec = ((job.get("spec") or {}).get("template") or {}).get("spec") or {}
    return list(spec.get("containers") or [])


def is_redpanda_crd_job(job: dict) -> bool:
    """The Redpanda operator chart's CRD Job: /redpanda-operator with first argument `crd`
    (stable CRDs only; --experimental, --vectorized or --multicluster are not stood in for)."""
    for c in _containers(job):
        if (c.get("command") or [""])[0].endswith("/redpanda-operator") and (c.get("args") or []) == ["crd"]:
            return True
    return False


def redpanda_crds(root: Path = CRD_ROOT) -> list[dict]:
    import yaml  # noqa: PLC0415

    out = []
    for plural in REDPANDA_STABLE:
        path = root / "redpanda-operator" / f"cluster.redpanda.com_{plural}.yaml"
        if path.exists():
            out += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return out


STANDINS = (
    StandIn("redpanda-operator crd", is_redpanda_crd_job, redpanda_crds,
            "the CRDs `redpanda-operator crd` installs, from ../shared/crds/redpanda-operator "
            "(Redpanda CRD of operator v25.3.1, the others v26.2.2); the Job itself did not run"),
)


def mark(obj: dict, job: dict, standin: StandIn) -> dict:
    """The object as the stand-in applies it: annotated with who wrote it and why."""
    meta = dict(obj.get("metadata") or {})
    note = f"job {job['metadata']['namespace']}/{job['metadata']['name']}: {standin.note}"
    meta["annotations"] = dict(meta.get("annotations") or {}, **{ANNOTATION: note})
    meta.pop("resourceVersion", None)
    meta.pop("creationTimestamp", None)
    return dict(obj, metadata=meta)


def standin_for(job: dict) -> StandIn | None:
    return next((s for s in STANDINS if s.matches(job)), None)


class Controller:
    def __init__(self, kubeconfig: str):
        from kubernetes import client  # noqa: PLC0415

        from kubernetes.dynamic import DynamicClient  # noqa: PLC0415

        self.api = kubeloop.api_client(kubeconfig, COMPONENT)
        self.batch = client.BatchV1Api(self.api)
        self.dynamic = DynamicClient(self.api)
        self.done: set[str] = set()

    def apply(self, obj: dict) -> None:
        """Server-side apply, as `redpanda-operator crd` creates or updates its CRDs."""
        crds = self.dynamic.resources.get(api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition")
        crds.server_side_apply(body=obj, name=obj["metadata"]["name"], field_manager=FIELD_MANAGER,
                               force_conflicts=True)

    def handle(self, job: dict) -> None:
        uid = job["metadata"].get("uid", "")
        standin = standin_for(job)
        if standin is None or uid in self.done:
            return
        objects = standin.objects()
        for obj in objects:
            self.apply(mark(obj, job, standin))
        self.done.add(uid)
        kubeloop.log(COMPONENT, "stood in for a Job", job=f"{job['metadata']['namespace']}/{job['metadata']['name']}",
                     standin=standin.name, applied=[o["metadata"]["name"] for o in objects])

    def sync(self, items: list[dict]) -> None:
        for job in items:
            self.handle(job)

    def event(self, kind: str, job: dict) -> None:
        if kind in ("ADDED", "MODIFIED"):
            self.handle(job)

    def run(self) -> None:
        kubeloop.watch_forever(COMPONENT, self.batch.list_job_for_all_namespaces, self.sync, self.event)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list")
    p = sub.add_parser("run")
    p.add_argument("--kubeconfig", required=True)
    args = parser.parse_args(argv)
    if args.cmd == "list":
        print(json.dumps([{"job": s.name, "writes": s.note} for s in STANDINS], indent=2))
        return 0
    return kubeloop.run_threads([Controller(args.kubeconfig).run])


if __name__ == "__main__":
    kubeloop.main_guard(lambda: main())
