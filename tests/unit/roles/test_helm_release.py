"""The chart-source logic of the shared helm_release role: which reference and which probe
URL each source gives."""

import pytest

from .rendering import render

BASE = dict(helm_release_chart="loki", helm_release_version="6.46.0", helm_release_component="observability")


@pytest.mark.parametrize("extra,ref,probe", [
    (dict(helm_release_source="upstream", helm_release_repo="https://grafana.github.io/helm-charts/"),
     "loki", "https://grafana.github.io/helm-charts/index.yaml"),
    (dict(helm_release_source="upstream", helm_release_repo="oci://registry-1.docker.io/bitnamicharts"),
     "oci://registry-1.docker.io/bitnamicharts/loki", "https://registry-1.docker.io/v2/"),
    (dict(helm_release_source="oci", helm_release_repo="https://grafana.github.io/helm-charts",
          helm_release_mirror="oci://harbor.example.com:8443/openova-charts/"),
     "oci://harbor.example.com:8443/openova-charts/loki", "https://harbor.example.com:8443/v2/"),
])
def test_source_gives_reference_and_probe(extra, ref, probe):
    kw = dict(BASE, **extra)
    refs = render("helm_release", "{{ {'upstream': _helm_release_upstream_ref, 'oci': _helm_release_mirror_ref} }}", **kw)
    assert refs[kw["helm_release_source"]] == ref
    assert render("helm_release", "{{ _helm_release_probe_url | trim }}", **kw) == probe


def test_local_candidates_prefer_the_exact_version():
    got = render("helm_release", "{{ _helm_release_local_candidates }}", helm_release_dir="/charts", **BASE)
    assert got == ["/charts/loki-6.46.0.tgz", "/charts/loki-6.46.0", "/charts/loki"]


def test_hint_names_the_variables_to_set():
    hint = render("helm_release", "{{ _helm_release_hint }}", **BASE)
    for var in ("observability_chart_source", "openova_chart_mirror", "openova_chart_dir", "openova_chart_unreachable"):
        assert var in hint
