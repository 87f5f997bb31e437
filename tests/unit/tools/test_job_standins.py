"""The local cluster's stand-in for the Redpanda operator chart's CRD Job: which Jobs it
recognises and what it applies, marked as the stand-in's work. No cluster."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "tools"))

# job_standins runs as a component of the local cluster, on its controller loop (tools/kubeloop.py)
job_standins = pytest.importorskip("job_standins", reason="tools/kubeloop.py, the local cluster's controller loop, "
                                                          "is not in this checkout yet")

CHARTS = REPO.parent / "shared" / "charts"
CRDS = REPO.parent / "shared" / "crds"


def job(command, args, name="redpanda-operator-crds"):
    return {"metadata": {"name": name, "namespace": "openova-redpanda", "uid": "u1"},
            "spec": {"template": {"spec": {"containers": [{"name": "crd-installation", "command": command,
                                                           "args": args}]}}}}


def test_recognises_only_the_stable_crd_job():
    assert job_standins.standin_for(job(["/redpanda-operator"], ["crd"])).name == "redpanda-operator crd"
    assert job_standins.standin_for(job(["/redpanda-operator"], ["crd", "--experimental"])) is None
    assert job_standins.standin_for(job(["/redpanda-operator"], ["migration"])) is None
    assert job_standins.standin_for(job(["/bin/sh"], ["-c", "crd"])) is None


@pytest.mark.skipif(not (CRDS / "redpanda-operator").is_dir(), reason=f"no {CRDS}/redpanda-operator")
def test_applies_what_the_job_would_marked_as_stood_in():
    objects = job_standins.redpanda_crds(CRDS)
    names = {o["metadata"]["name"] for o in objects}
    assert {"redpandas.cluster.redpanda.com", "topics.cluster.redpanda.com", "users.cluster.redpanda.com"} <= names
    marked = job_standins.mark(objects[0], job(["/redpanda-operator"], ["crd"]), job_standins.STANDINS[0])
    note = marked["metadata"]["annotations"][job_standins.ANNOTATION]
    assert note.startswith("job openova-redpanda/redpanda-operator-crds: ") and "did not run" in note


@pytest.mark.skipif(not (CHARTS / "operator-26.2.2.tgz").exists(), reason=f"no {CHARTS}/operator-26.2.2.tgz")
def test_the_chart_renders_the_job_it_stands_in_for(tmp_path):
    helm = next((REPO / ".cache" / "bin").glob("helm-*/helm"), None)
    if helm is None:
        pytest.skip("no helm in .cache/bin (python3 tools/toolchain.py helm)")
    out = subprocess.run([str(helm), "template", "rp", str(CHARTS / "operator-26.2.2.tgz"), "--kube-version", "1.36.3",
                          "--set", "crds.enabled=true"], capture_output=True, text=True, check=True).stdout
    jobs = [d for d in yaml.safe_load_all(out) if d and d.get("kind") == "Job"]
    assert [j["metadata"]["name"] for j in jobs if job_standins.standin_for(j)] == ["rp-operator-crds"]
