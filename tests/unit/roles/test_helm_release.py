"""The chart-source logic of the internal _helm_release role: which reference and which probe
URL each source gives, what a release inherits from its component's <component>_chart_*
variables, and the messages for unreachable sources."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.openova.platform.plugins.filter.chart_releases import chart_releases
from ansible_collections.openova.platform.plugins.module_utils.charts import chart_source_errors

from .rendering import render

LOKI = {"name": "loki", "namespace": "openova-observability", "chart": "loki", "version": "6.46.0", "values": {}}


@pytest.mark.parametrize("kw,ref,repo_url,probe", [
    (dict(source="upstream", defaults={"repo": "https://grafana.github.io/helm-charts/"}),
     "loki", "https://grafana.github.io/helm-charts/", "https://grafana.github.io/helm-charts/index.yaml"),
    (dict(source="upstream", defaults={"repo": "oci://registry-1.docker.io/bitnamicharts"}),
     "oci://registry-1.docker.io/bitnamicharts/loki", "", "https://registry-1.docker.io/v2/"),
    (dict(source="oci", mirror="oci://harbor.example.com:8443/openova-charts/",
          defaults={"repo": "https://grafana.github.io/helm-charts"}),
     "oci://harbor.example.com:8443/openova-charts/loki", "", "https://harbor.example.com:8443/v2/"),
])
def test_source_gives_reference_and_probe(kw, ref, repo_url, probe):
    (rel,) = chart_releases([LOKI], "observability", **kw)
    assert (rel["ref"], rel["repo_url"], rel["probe_url"], rel["chart_version"]) == (ref, repo_url, probe, "6.46.0")


def test_local_source_prefers_the_exact_version(tmp_path):
    (tmp_path / "loki").mkdir()
    (rel,) = chart_releases([LOKI], "observability", source="local", directory=str(tmp_path))
    assert rel["ref"] == f"{tmp_path}/loki" and rel["chart_version"] is None and rel["probe_url"] is None
    (tmp_path / "loki-6.46.0.tgz").write_bytes(b"")
    (rel,) = chart_releases([LOKI], "observability", source="local", directory=str(tmp_path))
    assert rel["ref"] == f"{tmp_path}/loki-6.46.0.tgz" and not rel["missing"]


def test_release_inherits_the_component_pins_and_keeps_its_own():
    defaults = {"chart": "valkey", "repo": "oci://registry-1.docker.io/bitnamicharts", "version": "3.0.31"}
    own, inherited = chart_releases(
        [{"name": "a", "namespace": "x", "chart": "other", "version": "1.0.0"},
         {"name": "valkey", "namespace": "openova-data", "secrets": [{"name": "s", "data": {"p": "{password}"}}]}],
        "redis", defaults=defaults)
    assert (own["chart"], own["version"], own["repo"]) == ("other", "1.0.0", defaults["repo"])
    assert (inherited["chart"], inherited["version"]) == ("valkey", "3.0.31")
    # generated Secrets live in the release's namespace unless they name one
    assert inherited["secrets"] == [{"name": "s", "namespace": "openova-data", "data": {"p": "{password}"}}]


def test_a_release_without_a_pin_is_an_error_naming_the_component():
    with pytest.raises(AnsibleFilterError, match=r"component 'redis': release 0 \(valkey\) has no version"):
        chart_releases([{"name": "valkey", "namespace": "openova-data", "chart": "valkey", "repo": "https://x"}], "redis")
    with pytest.raises(AnsibleFilterError, match="redis_chart_source must be upstream, oci or local"):
        chart_releases([LOKI], "redis", source="ftp")


def test_errors_name_component_chart_source_and_the_variables_to_set(tmp_path):
    rels = chart_releases([LOKI], "observability", source="upstream", defaults={"repo": "https://127.0.0.1:9/c"})
    probes = [{"item": "https://127.0.0.1:9/c/index.yaml", "status": -1, "msg": "Connection refused"}]
    (err,) = chart_source_errors(rels, "observability", probes=probes, timeout=5)
    assert err["message"] == ("component 'observability': chart 'loki' 6.46.0 from upstream https://127.0.0.1:9/c is "
                              "unreachable: https://127.0.0.1:9/c/index.yaml did not answer within 5s (Connection refused)")
    for var in ("observability_chart_source", "openova_chart_mirror", "openova_chart_dir", "openova_chart_unreachable"):
        assert var in err["hint"]
    assert chart_source_errors(rels, "observability", probes=[dict(probes[0], status=200)]) == []
    local = chart_releases([LOKI], "observability", source="local", directory=str(tmp_path))
    (err,) = chart_source_errors(local, "observability")
    assert err["reason"] == f"no loki-6.46.0.tgz, loki-6.46.0/ or loki/ in {tmp_path}"
    assert "put loki-6.46.0.tgz into observability_chart_dir" in err["hint"]


def test_role_reads_the_component_settings_by_name():
    """_helm_release takes <component>_chart_source/_mirror/_dir/_name/_repo/_version by the component's name."""
    extra = dict(_helm_release_component="redis", redis_chart_source="oci", redis_chart_mirror="oci://m.example/c",
                 redis_chart_dir="", redis_chart_name="valkey", redis_chart_repo="oci://registry-1.docker.io/bitnamicharts",
                 redis_chart_version="3.0.31", redis_wait_timeout="3m0s",
                 _helm_release_releases=[{"name": "valkey", "namespace": "openova-data"}])
    (rel,) = render("_helm_release", "{{ __helm_release_list }}", **extra)
    assert (rel["ref"], rel["chart_version"], rel["probe_url"]) == ("oci://m.example/c/valkey", "3.0.31", "https://m.example/v2/")
    assert render("_helm_release", "{{ __helm_release_wait_timeout }}", **extra) == "3m0s"
    # without the component's own setting, the collection-wide one applies
    extra.pop("redis_chart_source")
    assert render("_helm_release", "{{ __helm_release_source | trim }}", openova_chart_source="local", **extra) == "local"


def test_removal_goes_in_reverse_order():
    extra = dict(_helm_release_component="istio", istio_chart_repo="https://x", istio_chart_version="1.30.3",
                 _helm_release_releases=[{"name": n, "namespace": "istio-system", "chart": n} for n in ("base", "istiod")])

    def names(state):
        return [r["name"] for r in render("_helm_release", "{{ __helm_release_ordered }}",
                                          _helm_release_state=state, **extra)]

    assert names("present") == ["base", "istiod"] and names("absent") == ["istiod", "base"]
