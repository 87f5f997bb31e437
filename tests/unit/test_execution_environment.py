"""The execution environment definition: ansible-builder turns it into a build context, and its
helm pin is the one tools/toolchain.py builds for the tests."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
EE_FILE = REPO / "execution-environment.yml"
BUILDER = Path(sys.executable).parent / "ansible-builder"

sys.path.insert(0, str(REPO / "tools"))
import toolchain  # noqa: E402  (tools/ is not a package)


def _ee() -> dict:
    return yaml.safe_load(EE_FILE.read_text())


def _helm_pin(ee: dict) -> str:
    steps = ee["additional_build_steps"]["append_final"]
    pins = [m.group(1) for step in steps for m in [re.match(r"ARG HELM_VERSION=(\S+)$", step)] if m]
    assert len(pins) == 1, f"execution-environment.yml must state ARG HELM_VERSION once, found {pins}"
    return pins[0]


def test_helm_pin_matches_the_toolchain():
    assert _helm_pin(_ee()) == toolchain.HELM_VERSION, (
        "execution-environment.yml's ARG HELM_VERSION differs from tools/toolchain.py's HELM_VERSION; "
        "change both together")


def test_helm_is_built_from_the_pin_only():
    # The version appears once as a literal; every other use goes through ${HELM_VERSION}.
    assert EE_FILE.read_text().count(toolchain.HELM_VERSION) == 1


def test_dependencies_point_at_the_repository_files():
    deps = _ee()["dependencies"]
    assert deps["galaxy"] == "collections/requirements.yml"
    assert deps["python"] == "requirements.txt"
    for rel in (deps["galaxy"], deps["python"], deps["system"]):
        assert (REPO / rel).is_file(), rel
    names = {c["name"] for c in yaml.safe_load((REPO / deps["galaxy"]).read_text())["collections"]}
    assert {"kubernetes.core", "ansible.posix", "awx.awx"} <= names


def test_collection_ee_metadata_names_existing_files():
    meta = yaml.safe_load((REPO / "meta" / "execution-environment.yml").read_text())
    assert meta["version"] == 1
    for rel in meta["dependencies"].values():
        assert (REPO / rel).is_file(), rel


def test_ansible_builder_create(tmp_path):
    context = tmp_path / "context"
    run = subprocess.run(
        [str(BUILDER), "create", "-f", str(EE_FILE), "-c", str(context)],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    files = [context / name for name in ("Containerfile", "Dockerfile") if (context / name).is_file()]
    assert files, f"no Containerfile in {sorted(p.name for p in context.iterdir())}"
    containerfile = files[0].read_text()
    assert "ansible-core>=2.19" in containerfile
    assert "ansible-runner" in containerfile
    assert f"ARG HELM_VERSION={toolchain.HELM_VERSION}" in containerfile
    assert "go install" in containerfile and "helm.sh/helm/v3/cmd/helm@${HELM_VERSION}" in containerfile
    build = context / "_build"
    assert re.search(r"^kubernetes>=", (build / "requirements.txt").read_text(), re.M)
    galaxy = yaml.safe_load((build / "requirements.yml").read_text())
    assert "kubernetes.core" in {c["name"] for c in galaxy["collections"]}
    # The collection itself is copied in whole and installed in the final stage.
    collection = build / "openova.platform"
    for rel in ("galaxy.yml", "meta/runtime.yml", "roles/tenant/tasks/main.yml", "playbooks/site.yml",
                "plugins/modules/tenant.py"):
        assert (collection / rel).is_file(), rel
    assert "ansible-galaxy collection install --no-deps" in containerfile
