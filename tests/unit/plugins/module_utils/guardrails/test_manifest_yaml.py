"""workload_check reads YAML as kubectl does (go-yaml v2 under sigs.k8s.io/yaml)
and fails closed: a manifest it cannot check fails the task unless report_only
is set. Each bound (size, depth, nodes, aliases) fails fast with a clear reason.
The expected values in RESOLVE come from go-yaml v2's resolve table and decoder
(go.yaml.in/yaml/v2 resolve.go and decode.go), not from PyYAML."""

import copy
import resource
import time

import pytest

from ansible_collections.openova.platform.plugins.module_utils.guardrails.run import run_workload_check
from ansible_collections.openova.platform.plugins.module_utils.guardrails.manifest_yaml import (
    ManifestError,
    load_documents,
)

CONTAINER = {
    "name": "app", "image": "harbor.openova.io/acme/app:1",
    "resources": {"requests": {"cpu": "1", "memory": "1Mi"}, "limits": {"cpu": "1", "memory": "1Mi"}},
    "livenessProbe": {"tcpSocket": {"port": 1}}, "readinessProbe": {"tcpSocket": {"port": 1}},
    "securityContext": {"runAsNonRoot": True, "readOnlyRootFilesystem": True},
}
COMPLIANT_POD = """apiVersion: v1
kind: Pod
metadata: {name: p, namespace: acme-dev}
spec:
  topologySpreadConstraints: [{topologyKey: kubernetes.io/hostname, maxSkew: 1}]
  containers:
  - name: app
    image: harbor.openova.io/acme/app:1
    resources: {requests: {cpu: "1", memory: 1Mi}, limits: {cpu: "1", memory: 1Mi}}
    livenessProbe: {tcpSocket: {port: 1}}
    readinessProbe: {tcpSocket: {port: 1}}
    securityContext: {runAsNonRoot: true, readOnlyRootFilesystem: true}
"""


def alias_bomb(levels=9, width=9):
    """The classic "billion laughs" in a Pod: each level aliases the previous
    one ``width`` times; 9 levels of 9 are 9**9 (387 million) nodes from about
    460 bytes."""
    lines = ["kind: Pod", "spec:", " containers: [{name: c, image: x}]", " x:", " - &a [" + ",".join(["l"] * width) + "]"]
    names = "abcdefghijklmnop"
    for i in range(1, levels):
        lines.append(" - &%s [%s]" % (names[i], ",".join(["*" + names[i - 1]] * width)))
    return "\n".join(lines) + "\n"


def run(**params):
    base = {"tenant": "acme", "report_only": False}
    base.update(params)
    return run_workload_check(base)


def one(text):
    docs, error = load_documents(text)
    assert error is None, error
    assert len(docs) == 1
    return docs[0]


# value as written -> what kubectl's object holds
RESOLVE = {
    "y": True, "Yes": True, "on": True, "ON": True, "true": True,
    "n": False, "No": False, "off": False, "FALSE": False,
    "~": None, "null": None, "": None,
    "0o17": 15, "017": 15, "0x1F": 31, "0b101": 5, "-0b101": -5, "1_000": 1000, "+12": 12,
    "1e3": 1000, "12.0": 12, ".5": 0.5, "08": 8,
    "1:30": "1:30",            # YAML 1.1 sexagesimal in PyYAML; a string for go-yaml
    "2024-01-01": "2024-01-01",  # timestamps stay strings
    "0.1.2": "0.1.2", "+Inf": "+Inf", "yes please": "yes please",
    "99999999999999999999": 1e20,  # over uint64: a float, as in Go
}


@pytest.mark.parametrize("written", sorted(RESOLVE))
def test_plain_scalars_resolve_like_go_yaml(written):
    assert one("v: %s\n" % written) == {"v": RESOLVE[written]}
    assert type(one("v: %s\n" % written)["v"]) is type(RESOLVE[written])


def test_quoted_scalars_stay_strings():
    assert one("a: 'y'\nb: \"1\"\nc: ! 12\n") == {"a": "y", "b": "1", "c": "12"}


def test_local_and_unknown_tags_are_ignored_like_kubectl():
    doc = one("note: !vendor-note hello\nm: !thing {a: 1}\ns: !list [1]\np: !!python/object:os.system {}\n"
              "v: !<tag:example.com,2000:x> 5\n")
    assert doc == {"note": "hello", "m": {"a": 1}, "s": [1], "p": {}, "v": "5"}


def test_explicit_standard_tags():
    assert one("a: !!str 12\nb: !!int '7'\nc: !!float 3\nd: !!binary aGVsbG8=\ne: !!bool yes\n") == {
        "a": "12", "b": 7, "c": 3, "d": "hello", "e": True}


def test_anchors_aliases_and_multi_document_streams():
    docs, error = load_documents("a: &x {k: v}\nb: *x\n---\n---\n- 1\n...\n---\nc: 1\n")
    assert error is None
    assert docs == [{"a": {"k": "v"}, "b": {"k": "v"}}, None, [1], {"c": 1}]


def test_merge_keys_apply_in_document_order_as_in_go_yaml():
    # PyYAML would let the explicit key win in both; kubectl (go-yaml v2) does not.
    assert one("a: {x: 1, <<: {x: 2}}\n") == {"a": {"x": 2}}
    assert one("a: {<<: {x: 2}, x: 1}\n") == {"a": {"x": 1}}
    assert one("b: &b {x: 1}\nc: &c {x: 2}\na: {<<: [*b, *c]}\n")["a"] == {"x": 1}  # earlier maps win


def test_the_merge_trick_cannot_hide_a_privileged_container(tmp_path):
    # The checker must see privileged: true, because kubectl builds that pod.
    text = COMPLIANT_POD.replace(
        "    securityContext: {runAsNonRoot: true, readOnlyRootFilesystem: true}\n",
        "    securityContext: {runAsNonRoot: true, readOnlyRootFilesystem: true, privileged: false, <<: *priv}\n"
    ).replace("spec:\n", "x: &priv {privileged: true}\nspec:\n", 1)
    (tmp_path / "pod.yaml").write_text(text)
    result = run(src=[str(tmp_path / "pod.yaml")])
    assert result["failed"] is True
    paths = [v["path"] for f in result["findings"] if f["result"] == "fail" for v in f["violations"]]
    assert "spec.containers[0].securityContext.privileged" in paths


def test_map_keys_become_json_strings():
    assert one("1: a\ntrue: b\n1.5: c\n") == {"1": "a", "true": "b", "1.5": "c"}


@pytest.mark.parametrize("text, reason", [
    ("a: [\n", "malformed YAML"),
    ("a: &x [*x]\n", "anchor 'x' value contains itself"),
    ("a: *nope\n", "unknown anchor 'nope'"),
    ("{1: a, '1': b}\n", "keys 1 and '1' both become '1'"),
    ("a: .inf\n", "cannot be represented in JSON"),
    ("a: .nan\n", "cannot be represented in JSON"),
    ("a: !!int abc\n", "cannot decode !!str `abc` as a !!int"),
    ("a: !!binary '%%%'\n", "!!binary value is not valid base64"),
    ("? [a]\n: 1\n", "invalid map key"),
    ("a: {<<: [1]}\n", "map merge requires map"),
    ("[" * 150 + "]" * 150 + "\n", "nested more than 100 levels deep"),
])
def test_unreadable_documents_are_errors(text, reason):
    docs, error = load_documents(text)
    assert isinstance(error, ManifestError) and reason in str(error)


def test_documents_before_an_error_are_kept_and_the_error_has_a_line():
    docs, error = load_documents("a: 1\n---\nb: 2\n---\nc: [\n")
    assert docs == [{"a": 1}, {"b": 2}]
    assert error.line == 6 or error.line == 5


def test_alias_bomb_fails_fast_and_small():
    text = alias_bomb()
    assert len(text.encode()) <= 460
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.process_time()
    docs, error = load_documents(text)
    elapsed = time.process_time() - start
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024.0
    assert "excessive aliasing" in str(error)
    # Bounds on the implementation, not a benchmark: the document is refused
    # after a few thousand nodes, so neither time nor memory can grow with the
    # 387 million nodes it describes.
    assert elapsed < 2 and grown_mib < 64


def test_node_cap_bounds_aliasing_below_the_ratio_rule():
    # Ten aliases of a 200-node list: under go-yaml's ratio, over a small cap.
    text = "base: &b [" + ",".join(["1"] * 200) + "]\n" + "".join("k%d: *b\n" % i for i in range(10))
    assert load_documents(text)[1] is None
    docs, error = load_documents(text, max_nodes=1000)
    assert "more than 1000 nodes" in str(error)


def test_depth_limit_is_configurable():
    text = "[" * 150 + "]" * 150 + "\n"
    assert load_documents(text, max_depth=200)[1] is None


# ---------------------------------------------------------------- through the module entry point
def test_local_tag_is_checked_not_skipped(tmp_path):
    # kubectl creates this privileged pod; the check must judge it, not skip it.
    text = COMPLIANT_POD.replace("metadata: {name: p, namespace: acme-dev}",
                                 "metadata: {name: p, namespace: acme-dev, annotations: {note: !vendor-note hello}}")
    text = text.replace("readOnlyRootFilesystem: true}", "readOnlyRootFilesystem: true, privileged: true}")
    (tmp_path / "pod.yaml").write_text(text)
    result = run(src=[str(tmp_path / "pod.yaml")])
    assert result["errors"] == [] and result["skipped"] == []
    assert result["failed"] is True and result["summary"]["objects"] == 1


@pytest.mark.parametrize("name, content, reason", [
    ("malformed.yaml", "kind: Pod\nmetadata: {name: [\n", "malformed YAML"),
    ("bomb.yaml", alias_bomb(), "excessive aliasing"),
    ("deep.yaml", "a: " + "[" * 150 + "]" * 150 + "\n", "nested more than 100 levels deep"),
    ("latin1.yaml", b"kind: Pod\nmetadata: {name: caf\xe9}\n", "not UTF-8"),
    ("loop.yaml", "a: &x [*x]\n", "contains itself"),
])
def test_a_manifest_that_cannot_be_checked_fails_closed(tmp_path, name, content, reason):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    (tmp_path / "good.yaml").write_text(COMPLIANT_POD)
    result = run(src=[str(tmp_path)])
    assert result["failed"] is True
    assert [e["source"] for e in result["errors"]] == [str(path)]
    assert reason in result["errors"][0]["reason"] and reason in result["msg"]
    assert result["summary"]["errors"] == 1 and result["summary"]["objects"] == 1  # the good file is checked
    reported = run(src=[str(tmp_path)], report_only=True)
    assert "failed" not in reported and len(reported["errors"]) == 1


def test_a_file_over_the_size_limit_fails(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text(COMPLIANT_POD + "#" + "x" * 2048 + "\n")
    result = run(src=[str(big)], max_bytes=1024)
    assert result["failed"] is True
    assert result["errors"][0]["reason"].startswith("file is %d bytes, over the max_bytes limit of 1024"
                                                    % big.stat().st_size)
    assert result["summary"]["objects"] == 0


def test_an_inline_string_over_the_size_limit_fails():
    result = run(definitions=[COMPLIANT_POD + "#" + "x" * 2048], max_bytes=1024)
    assert result["failed"] is True and "max_bytes" in result["errors"][0]["reason"]


def test_a_missing_file_in_a_list_fails(tmp_path):
    (tmp_path / "good.yaml").write_text(COMPLIANT_POD)
    result = run(src=[str(tmp_path / "good.yaml")], definitions=["a: [\n"])
    assert result["failed"] is True and result["errors"][0]["source"] == "definitions[0]"


def test_a_clean_multi_document_file_passes(tmp_path):
    path = tmp_path / "all.yaml"
    path.write_text(COMPLIANT_POD + "---\n# a comment only\n---\n" + COMPLIANT_POD.replace("name: p,", "name: q,"))
    result = run(src=[str(path)])
    assert "failed" not in result and result["errors"] == [] and result["summary"]["objects"] == 2


@pytest.mark.parametrize("key", ["max_bytes", "max_depth", "max_nodes"])
def test_bad_limits_name_the_option(key):
    with pytest.raises(Exception) as err:
        run(definitions=[copy.deepcopy(COMPLIANT_POD)], **{key: -1})
    assert key in str(err.value)
