"""playbooks/check_workloads.yml fails closed: a manifest it cannot check fails
the play unless report_only is set, and a manifest kubectl would read (a local
YAML tag) is judged, not skipped. Offline: the playbook talks to no cluster."""

import time

import pytest

from harness import REPO, run_playbook

PLAYBOOK = REPO / "playbooks" / "check_workloads.yml"
NO_CLUSTER = "/nonexistent/kubeconfig"  # the playbook never reads it

GOOD = (REPO / "tests" / "kyverno" / "fixtures" / "adr-example.yaml").read_text()
PRIVILEGED_WITH_TAG = """apiVersion: v1
kind: Pod
metadata:
  name: tagged
  namespace: acme-dev
  annotations: {note: !vendor-note hello}
spec:
  containers:
  - name: c
    image: harbor.openova.io/acme/app:1
    securityContext: {privileged: true}
"""
BOMB = "kind: Pod\nspec:\n x:\n - &a [l,l,l,l,l,l,l,l,l]\n" + "".join(
    " - &%s [%s]\n" % (n, ",".join(["*" + p] * 9)) for p, n in zip("abcdefgh", "bcdefghi"))


def play(src, expect_rc, **extra):
    return run_playbook(PLAYBOOK, NO_CLUSTER, expect_rc=expect_rc,
                        extra_vars=dict({"tenant": "acme", "src": str(src)}, **extra))[2]


@pytest.mark.parametrize("name, content, reason", [
    ("malformed.yaml", "kind: Pod\nmetadata: {name: [\n", "malformed YAML"),
    ("bomb.yaml", BOMB, "excessive aliasing"),
    ("loop.yaml", "kind: Pod\nspec: &s {x: *s}\n", "contains itself"),
])
def test_unreadable_manifest_fails_the_play(tmp_path, name, content, reason):
    (tmp_path / "good.yaml").write_text(GOOD)
    (tmp_path / name).write_text(content)
    start = time.monotonic()
    stdout = play(tmp_path, expect_rc=2)
    assert reason in stdout and "manifest(s) could not be checked" in stdout
    assert time.monotonic() - start < 120  # the alias bomb does not hang the play
    # report_only shows the same problem and passes.
    assert reason in play(tmp_path, expect_rc=0, report_only=True)


def test_oversized_file_fails_rather_than_being_skipped(tmp_path):
    big = tmp_path / "big.yaml"
    with big.open("w") as handle:
        handle.write(GOOD)
        handle.write("# " + "x" * (16 * 1024 * 1024) + "\n")
    stdout = play(big, expect_rc=2)
    assert "over the max_bytes limit of 16777216" in stdout


def test_local_tag_is_read_like_kubectl_and_judged(tmp_path):
    (tmp_path / "pod.yaml").write_text(PRIVILEGED_WITH_TAG)
    stdout = play(tmp_path / "pod.yaml", expect_rc=2)
    assert "securityContext.privileged" in stdout
    assert "manifest(s) could not be checked" not in stdout


def test_clean_manifests_pass(tmp_path):
    (tmp_path / "good.yaml").write_text(GOOD)
    stdout = play(tmp_path, expect_rc=0)
    assert "manifest(s) could not be checked" not in stdout
