"""Value contract, part one: every value path a role sets exists in its chart.

Helm ignores a value key its chart does not know, so a misspelt security setting simply
does not happen. Each role's rendered values are compared with the real upstream chart it
pins (../shared/charts): a path must exist in the chart's default values (subcharts under
their keys) or in its values.schema.json. The custom resources the roles apply (Redpanda,
CloudNativePG Cluster, Grafana) are compared with the CRD schema their operator's chart
installs, because the API server prunes unknown fields of those silently. No cluster."""

import pytest
import yaml

from . import charts
from .rendering import COMPONENTS, render

pytestmark = pytest.mark.skipif(not charts.available(), reason=charts.SKIP_REASON)

# Maps whose keys are the user's, not the chart's, wherever they appear (their default is
# often an example, such as the gateway's prometheus.io annotations).
FREE_FORM_KEYS = {"annotations", "labels", "podAnnotations", "podLabels", "nodeSelector", "extraEnv"}
# Paths not checked below them, by chart. A default of {} or null (structuredConfig,
# resources, ...) is an open map already and needs no entry here.
FREE_FORM = {
    # commented out in values.yaml, read by templates/cilium-configmap.yaml (bpf-lb-sock-hostns-only)
    "cilium": {"socketLB.hostNamespaceOnly"},
    # Istio's MeshConfig, written into the istio ConfigMap as given (istiod validates it)
    "istiod": {"meshConfig"},
    # bucketNames: commented out in values.yaml and required by the templates for object storage;
    # limits_config: Loki's own limits block, passed through to its configuration
    "loki": {"loki.storage.bucketNames", "loki.limits_config"},
    # the collector's own configuration, merged over the chart's and validated by the collector
    "opentelemetry-collector": {"config"},
}


def chart_paths(release):
    folder = charts.extract(release["ref"])
    return charts.unknown_paths(release["values"], charts.defaults(folder), charts.schema(folder),
                                allow=FREE_FORM.get(release["chart"], ()), allow_keys=FREE_FORM_KEYS)


@pytest.mark.parametrize("role", COMPONENTS)
def test_every_value_path_exists_in_the_chart(role):
    for release in charts.role_releases(role):
        assert not release["missing"], f"{role}: no {release['chart']}-{release['version']}.tgz in {charts.CHART_DIR}"
        unknown = chart_paths(release)
        assert not unknown, f"{role}/{release['name']} ({release['chart']} {release['version']}) sets keys the chart does not know: {unknown}"


@pytest.mark.parametrize("role,chart", sorted(charts.NOT_SHARED), ids=[f"{r}-{c}" for r, c in sorted(charts.NOT_SHARED)])
def test_every_value_path_exists_in_a_chart_not_shared(role, chart):
    """The releases role_releases leaves out while their chart is absent (charts.NOT_SHARED):
    skipped with the named reason, or checked like the others when the chart is given."""
    release = charts.not_shared_release(role, chart)
    unknown = chart_paths(release)
    assert not unknown, f"{role}/{release['name']} ({chart} {release['version']}) sets keys the chart does not know: {unknown}"


def test_a_misspelt_key_fails_the_contract():
    (release,) = charts.role_releases("redis", redis_values_overrides={"auth": {"existingSecrett": "valkey-auth"},
                                                                       "replica": {"resourcez": {}}})
    assert chart_paths(release) == ["auth.existingSecrett", "replica.resourcez"]


def test_free_form_maps_and_schemas_are_read():
    # istio's gateway chart has a values.schema.json and its defaults under _internal_defaults_do_not_set
    release = next(r for r in charts.role_releases("istio") if r["chart"] == "gateway")
    assert chart_paths(dict(release, values={"service": {"type": "LoadBalancer"}, "podAnnotations": {"a": "b"}})) == []
    assert chart_paths(dict(release, values={"servise": {}})) == ["servise"]
    # subchart values are known under the subchart's key (loki's minio)
    loki = next(r for r in charts.role_releases("observability") if r["chart"] == "loki")
    assert chart_paths(dict(loki, values={"minio": {"enabled": False, "enabeld": True}})) == ["minio.enabeld"]
    # a list where the chart has a map is dropped by Helm with only a warning (kyverno's config.webhooks)
    kyverno = charts.role_releases("kyverno")[0]
    assert chart_paths(dict(kyverno, values={"config": {"webhooks": [{"namespaceSelector": {}}]}})) == [
        "config.webhooks (a map in the chart)"]


# --- custom resources against their CRD schemas -------------------------------------------------

CUSTOM_RESOURCES = [
    # role, expression of the object, operator release whose chart installs the CRD (None: the
    # Redpanda operator chart installs its CRDs with a Job running the operator binary, so the
    # schema comes from ../shared/crds, where the Redpanda CRD is operator v25.3.1's)
    ("redpanda", "{{ _redpanda_cluster }}", None),
    ("postgresql", "{{ _postgresql_objects[0] }}", "cnpg"),
    ("observability", "{{ _observability_grafana }}", "grafana-operator"),
]


@pytest.mark.parametrize("role,expr,operator", CUSTOM_RESOURCES, ids=[c[0] for c in CUSTOM_RESOURCES])
def test_custom_resources_match_the_crd_schema(role, expr, operator):
    if not charts.helm_binary():
        pytest.skip("no helm in .cache/bin (python3 tools/toolchain.py helm)")
    obj = render(role, expr)
    if operator:
        manifests = charts.template(next(r for r in charts.role_releases(role) if r["name"] == operator))
    else:
        path = charts.CHART_DIR.parent / "crds" / "redpanda-operator" / "cluster.redpanda.com_redpandas.yaml"
        if not path.exists():
            pytest.skip(f"no {path}")
        manifests = list(yaml.safe_load_all(path.read_text()))
    _group, version = obj["apiVersion"].split("/")
    schema = charts.crd_schema(manifests, obj["kind"], version)
    unknown = charts.unknown_paths({"spec": obj["spec"]}, {}, schema)
    assert not unknown, f"{role}: {obj['kind']} sets fields its CRD does not know (the API server drops them): {unknown}"
