"""Pure parts of the local cluster tool: pinned versions, node manifests, and
the pid-file rule that `down` never signals a process it did not start."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tools"))

import devcluster  # noqa: E402
import toolchain  # noqa: E402


def test_staging_modules_follow_the_kubernetes_release():
    assert toolchain._k8s_staging("v1.36.3") == "v0.36.3"
    apiserver = toolchain.BINARIES["kube-apiserver"]
    assert apiserver.staging_replace == "v0.36.3"
    assert "-X k8s.io/component-base/version.gitVersion=v1.36.3" in apiserver.ldflags


def test_binaries_are_cached_by_version(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENOVA_CACHE_DIR", str(tmp_path))
    path = toolchain.BINARIES["etcd"].path
    assert path == tmp_path / "bin" / f"etcd-{toolchain.ETCD_VERSION}" / "etcd"
    path.parent.mkdir(parents=True)
    path.write_text("cached")
    (path.parent / "recipe.json").write_text(toolchain.BINARIES["etcd"].recipe)
    # A cached binary is returned as is: nothing is built, `go` is never called.
    monkeypatch.setattr(toolchain, "_go", lambda: pytest.fail("go must not run for a cached binary"))
    assert toolchain.build(toolchain.BINARIES["etcd"]) == path


def test_a_binary_from_another_recipe_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENOVA_CACHE_DIR", str(tmp_path))
    binary = toolchain.BINARIES["kube-apiserver"]
    binary.path.parent.mkdir(parents=True)
    binary.path.write_text("built without the version stamp")
    (binary.path.parent / "recipe.json").write_text("[]")
    assert not binary.cached()
    (binary.path.parent / "recipe.json").write_text(binary.recipe)
    assert binary.cached()


def test_nodes_span_three_zones_with_hostname_and_allocatable():
    items = json.loads(devcluster._nodes_manifest(3))["items"]
    nodes = [i for i in items if i["kind"] == "Node"]
    assert len(nodes) == 3
    assert {n["metadata"]["labels"]["topology.kubernetes.io/zone"] for n in nodes} == {"zone-a", "zone-b", "zone-c"}
    for node in nodes:
        assert node["metadata"]["labels"]["kubernetes.io/hostname"] == node["metadata"]["name"]
        assert node["metadata"]["annotations"]["kwok.x-k8s.io/node"] == "fake"
        assert {"cpu", "memory", "pods"} <= set(node["status"]["allocatable"])
    default_sc = [i for i in items if i["kind"] == "StorageClass"]
    assert default_sc[0]["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"


def test_components_listen_on_loopback_only():
    args = devcluster._component_args({})
    joined = " ".join(a for flags in args.values() for a in flags)
    assert "--bind-address=127.0.0.1" in args["kube-apiserver"]
    assert "--authorization-mode=Node,RBAC" in args["kube-apiserver"]
    assert "0.0.0.0" not in joined
    for flag in ("--listen-client-urls=", "--listen-peer-urls="):
        value = next(a for a in args["etcd"] if a.startswith(flag))
        assert value.startswith(flag + "https://127.0.0.1:")


def test_pid_file_only_matches_the_binary_that_was_started(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENOVA_CACHE_DIR", str(tmp_path))
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        pidfile = devcluster._pidfile("etcd")
        pidfile.parent.mkdir(parents=True)
        # A pid file whose pid now belongs to another program is ignored ...
        pidfile.write_text(f"{sleeper.pid}\n/nonexistent/etcd\n")
        assert devcluster._running_pid("etcd") is None
        assert devcluster._stop("etcd") is False
        assert sleeper.poll() is None  # ... and that program is never signalled
        # ... while the recorded binary is recognised and stopped.
        pidfile.write_text(f"{sleeper.pid}\n{os.readlink(f'/proc/{sleeper.pid}/exe')}\n")
        assert devcluster._running_pid("etcd") == sleeper.pid
        assert devcluster._stop("etcd") is True
        assert sleeper.wait(timeout=10) is not None
    finally:
        if sleeper.poll() is None:
            sleeper.kill()
