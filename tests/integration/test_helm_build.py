"""The helm that tools/toolchain.py builds behaves like the upstream release:
it reports the pinned version and renders charts with a kubeVersion
constraint without a cluster (no API server is contacted)."""

import subprocess

import pytest

from harness import REPO

import toolchain  # noqa: E402  (tools/ is on sys.path through harness)

CILIUM = REPO.parent / "shared" / "charts" / "cilium-1.19.4.tgz"


@pytest.fixture(scope="module")
def helm():
    return str(toolchain.ensure(["helm"])["helm"])


@pytest.fixture()
def no_cluster(tmp_path):
    """An environment whose kubeconfig does not exist: nothing can be asked of a cluster."""
    return {"KUBECONFIG": str(tmp_path / "no-kubeconfig"), "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}


def test_helm_version_reports_the_pin_and_the_release_commit(helm, no_cluster):
    out = subprocess.run([helm, "version", "--template", "{{ .Version }} {{ .GitCommit }} {{ .GitTreeState }}"],
                         capture_output=True, text=True, env=no_cluster, check=True).stdout
    assert out == f"{toolchain.HELM_VERSION} {toolchain.HELM_GIT_COMMIT} clean"


def test_default_kubernetes_version_is_upstreams(helm, no_cluster, tmp_path):
    chart = tmp_path / "probe"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: probe\nversion: 0.1.0\nkubeVersion: '>=1.25.0-0'\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: probe\ndata:\n"
        "  kube: {{ .Capabilities.KubeVersion.Version | quote }}\n")
    proc = subprocess.run([helm, "template", "probe", str(chart)], capture_output=True, text=True, env=no_cluster,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert 'kube: "v1.34.0"' in proc.stdout
    lint = subprocess.run([helm, "lint", str(chart)], capture_output=True, text=True, env=no_cluster, check=False)
    assert lint.returncode == 0, lint.stdout + lint.stderr


@pytest.mark.skipif(not CILIUM.exists(), reason=f"{CILIUM} is not beside the repository")
def test_template_of_cilium_works_without_a_cluster(helm, no_cluster):
    chart = subprocess.run([helm, "show", "chart", str(CILIUM)], capture_output=True, text=True, env=no_cluster,
                           check=True).stdout
    assert "kubeVersion: '>= 1.21.0-0'" in chart
    proc = subprocess.run([helm, "template", "cilium", str(CILIUM), "--namespace", "kube-system"],
                          capture_output=True, text=True, env=no_cluster, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "kind: DaemonSet" in proc.stdout
