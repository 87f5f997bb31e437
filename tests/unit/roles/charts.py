"""The real upstream charts (../shared/charts, or $OPENOVA_CHART_DIR) read the way Helm reads
them: a chart's default values with its subcharts', its values.schema.json, and
`helm template` of a role's rendered values. Nothing here needs a cluster."""

import functools
import json
import os
import re
import subprocess
import tarfile
import tempfile
from pathlib import Path

import pytest
import yaml

from ansible_collections.openova.platform.plugins.module_utils.charts import chart_releases

from .rendering import REPO, render

CHART_DIR = Path(os.environ.get("OPENOVA_CHART_DIR") or REPO.parent / "shared" / "charts")
SKIP_REASON = f"the upstream charts are not there ({CHART_DIR}; set OPENOVA_CHART_DIR)"
KUBE_VERSION = "1.36.3"  # the local control plane's version; helm template assumes it


# Charts a role pins that the shared charts do not hold, with the reason. While the chart is
# absent, role_releases leaves its release out and the contract checks on it are skipped with
# this reason (test_chart_values, test_chart_promises: *_not_shared_*); given the chart (e.g.
# through OPENOVA_CHART_DIR), it is checked like any other.
NOT_SHARED = {
    ("istio", "cni"): "Istio's cni chart 1.30.3 (release istio-cni) is not among the shared charts, so its "
                      "value contract cannot be checked here (the local inventory leaves the release out: "
                      "istio_cni_install false)",
}


def available():
    return CHART_DIR.is_dir() and any(CHART_DIR.glob("*.tgz"))


def role_releases(role, **extra):
    """The role's releases resolved against the shared charts, as _helm_release resolves
    them with chart source `local`: each with `ref`, the .tgz of the pinned version. A
    release whose chart is absent and listed in NOT_SHARED is left out (see not_shared)."""
    rels = json.loads(_default_releases(role)) if not extra else _role_releases(role, **extra)
    return [r for r in rels if not _unshared(role, r)]


def not_shared_release(role, chart):
    """The release of `role` that installs the NOT_SHARED `chart`, resolved against the shared
    charts; while the chart is absent, the calling test is skipped with NOT_SHARED's reason."""
    release = next(r for r in json.loads(_default_releases(role)) if r["chart"] == chart)
    if release["missing"]:
        pytest.skip(NOT_SHARED[(role, chart)])
    return release


def _unshared(role, release):
    return NOT_SHARED.get((role, release["chart"])) if release["missing"] else None


@functools.lru_cache(maxsize=None)
def _default_releases(role):
    return json.dumps(_role_releases(role))


def _role_releases(role, **extra):
    defaults = {key: render(role, "{{ %s_chart_%s | default('') }}" % (role, name), **extra)
                for key, name in (("chart", "name"), ("repo", "repo"), ("version", "version"))}
    return chart_releases(render(role, "{{ _%s_releases }}" % role, **extra), role, source="local",
                          directory=str(CHART_DIR), defaults=defaults)


@functools.lru_cache(maxsize=None)
def _workdir():
    return Path(tempfile.mkdtemp(prefix="openova-charts-"))


@functools.lru_cache(maxsize=None)
def extract(tgz):
    """The chart folder of a packaged chart (extracted once per test session)."""
    dest = _workdir() / Path(tgz).name.removesuffix(".tgz")
    if not dest.exists():
        with tarfile.open(tgz) as tar:
            tar.extractall(dest, filter="data")
    (folder,) = [p for p in dest.iterdir() if p.is_dir()]
    return folder


def _subcharts(folder):
    """(key in the parent's values, subchart folder) for every dependency Helm would load."""
    meta = yaml.safe_load((folder / "Chart.yaml").read_text()) or {}
    for dep in meta.get("dependencies") or []:
        sub = folder / "charts" / dep["name"]
        if not sub.is_dir():
            packed = sorted((folder / "charts").glob(f"{dep['name']}-*.tgz"))
            if not packed:
                continue
            sub = extract(str(packed[-1]))
        yield dep.get("alias") or dep["name"], sub


def _merge(base, over):
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(out.get(key), dict) and isinstance(value, dict) else value
    return out


@functools.lru_cache(maxsize=None)
def _defaults(folder):
    path = folder / "values.yaml"
    values = (yaml.safe_load(path.read_text()) or {}) if path.exists() else {}
    # Istio's charts keep their defaults under one key and merge user values over it.
    if isinstance(values.get("_internal_defaults_do_not_set"), dict):
        values = _merge(values.pop("_internal_defaults_do_not_set"), values)
    for key, sub in _subcharts(folder):
        own = values.get(key) if isinstance(values.get(key), dict) else {}
        values[key] = _merge(_defaults(sub), own)
    return values


def defaults(folder):
    """A chart's default values, its subcharts' under their keys (as Helm merges them)."""
    return json.loads(json.dumps(_defaults(Path(folder)), default=str))


@functools.lru_cache(maxsize=None)
def _schema(folder):
    path = folder / "values.schema.json"
    schema = json.loads(path.read_text()) if path.exists() else None
    subs = {key: _schema(sub) for key, sub in _subcharts(folder)}
    subs = {k: v for k, v in subs.items() if v}
    if subs:
        schema = dict(schema or {"type": "object"})
        schema["properties"] = dict(schema.get("properties") or {}, **subs)
    return schema


def schema(folder):
    """A chart's values.schema.json with its subcharts' schemas under their keys, or None."""
    return _schema(Path(folder))


# --- value paths -----------------------------------------------------------------------------

def _resolve(node, root):
    """Follow local $refs and fold allOf/anyOf/oneOf branches into one node."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node and node["$ref"].startswith("#/") and seen < 20:
        target = root
        for part in node["$ref"][2:].split("/"):
            target = target.get(part, {})
        node = dict(target, **{k: v for k, v in node.items() if k != "$ref"})
        seen += 1
    if isinstance(node, dict):
        for key in ("allOf", "anyOf", "oneOf"):
            for branch in node.get(key) or []:
                branch = _resolve(branch, root)
                if isinstance(branch, dict):
                    node = dict(node, properties=dict(node.get("properties") or {}, **(branch.get("properties") or {})))
                    if branch.get("additionalProperties") not in (None, False):
                        node.setdefault("additionalProperties", branch["additionalProperties"])
    return node if isinstance(node, dict) else {}


def unknown_paths(values, default, schema_node=None, root=None, allow=(), path="", allow_keys=()):
    """Dotted paths of `values` that neither the chart's defaults nor its schema know.

    A key is known when the default values have it, or the schema lists it under
    `properties` or opens the map with `additionalProperties`. A default of `{}` or null
    is an open map (the chart passes it through), so nothing under it is checked; nor is
    anything under a path in `allow` or under a key named in `allow_keys`, nor a `resources`
    map holding only requests, limits and claims. Lists are values, not paths."""
    root = root if root is not None else schema_node
    out = []
    for key, value in values.items():
        sub = f"{path}.{key}" if path else str(key)
        if sub in allow or (key in allow_keys and isinstance(value, dict)):
            continue
        # a container's ResourceRequirements, whatever example the chart's default shows
        if key == "resources" and isinstance(value, dict) and value and set(value) <= {"requests", "limits", "claims"}:
            continue
        node = _resolve(schema_node, root) if schema_node else {}
        props = node.get("properties") or {}
        in_default = isinstance(default, dict) and key in default
        in_schema = key in props
        open_schema = (node.get("additionalProperties") not in (None, False)
                       or node.get("x-kubernetes-preserve-unknown-fields") is True)
        if not (in_default or in_schema or open_schema):
            out.append(sub)
            continue
        dflt = default.get(key) if in_default else None
        # Helm cannot merge a list or a scalar over a map (or a map over a list): it keeps the
        # chart's value and only warns, so the role's value silently does not happen
        if in_default and dflt not in (None, {}, []) and isinstance(dflt, dict) != isinstance(value, dict):
            out.append(f"{sub} (a {'map' if isinstance(dflt, dict) else type(dflt).__name__} in the chart)")
            continue
        if not isinstance(value, dict):
            continue
        sch = props.get(key) if in_schema else (node["additionalProperties"] if isinstance(
            node.get("additionalProperties"), dict) else None)
        if isinstance(dflt, dict) and dflt:
            out += unknown_paths(value, dflt, sch, root, allow, sub, allow_keys)
        elif sch and (_resolve(sch, root).get("properties")) and not (in_default and dflt in ({}, None)):
            out += unknown_paths(value, {}, sch, root, allow, sub, allow_keys)
    return out


# --- helm template ---------------------------------------------------------------------------

def helm_binary():
    """The helm that tools/toolchain.py builds, or None."""
    for candidate in sorted((REPO / ".cache" / "bin").glob("helm-*/helm"), reverse=True):
        if os.access(candidate, os.X_OK):
            return str(candidate)
    return None


@functools.lru_cache(maxsize=None)
def _template(helm, name, namespace, ref, values_json):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        handle.write(values_json)
    try:
        proc = subprocess.run([helm, "template", name, ref, "--namespace", namespace, "--include-crds",
                               "--kube-version", KUBE_VERSION, "--values", handle.name],
                              capture_output=True, text=True, check=False)
    finally:
        os.unlink(handle.name)
    if proc.returncode:
        raise AssertionError(f"helm template {name} {ref} failed: {proc.stderr.strip()}")
    # some charts leave trailing tabs, which Helm's YAML parser accepts and PyYAML does not
    text = re.sub(r"[ \t]+$", "", proc.stdout, flags=re.M)
    return tuple(doc for doc in yaml.safe_load_all(text) if doc)


def template(release, values=None):
    """The manifests `helm template` renders for a release (its own values unless given)."""
    helm = helm_binary()
    assert helm, "no helm in .cache/bin; run python3 tools/toolchain.py helm"
    vals = release["values"] if values is None else values
    return [json.loads(json.dumps(doc)) for doc in _template(
        helm, release["name"], release["namespace"], release["ref"], json.dumps(vals, sort_keys=True))]


def crd_schema(manifests, kind, version):
    """The openAPIV3Schema of `kind` at `version` among rendered manifests (with --include-crds)."""
    for doc in manifests:
        if doc.get("kind") == "CustomResourceDefinition" and doc["spec"]["names"]["kind"] == kind:
            for ver in doc["spec"]["versions"]:
                if ver["name"] == version:
                    return ver["schema"]["openAPIV3Schema"]
    raise AssertionError(f"no CustomResourceDefinition for {kind} {version} in the rendered chart")
