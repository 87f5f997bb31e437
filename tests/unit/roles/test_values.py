"""The values each role renders for its charts are ready for tenants: multi-tenant telemetry,
SASL and authorization on Redpanda, STRICT mTLS, Kyverno HA, and no default admin password."""

import re

import pytest
import yaml

from .rendering import COMPONENTS, releases, render


def values_of(role, name=None, **extra):
    rel = releases(role, **extra)
    return (rel[0] if name is None else next(r for r in rel if r["name"] == name))["values"]


# --- observability ------------------------------------------------------------------------

def test_loki_mimir_tempo_are_multi_tenant():
    assert values_of("observability", "loki")["loki"]["auth_enabled"] is True
    assert values_of("observability", "mimir")["mimir"]["structuredConfig"]["multitenancy_enabled"] is True
    assert values_of("observability", "tempo")["multitenancyEnabled"] is True


def test_collector_values_come_from_the_shared_renderer_with_the_role_variables():
    from ansible_collections.openova.platform.plugins.module_utils.observability import collector

    extra = dict(observability_collector_endpoints={
        "loki": "http://sink/loki/otlp", "mimir": "http://sink/mimir/otlp", "tempo": "http://sink/tempo"},
        observability_collector_ports={"otlp_grpc": 1, "otlp_http": 2, "health": 3, "metrics": 4})
    values = values_of("observability", "otel", **extra)
    config = values["alternateConfig"]
    assert "config" not in values  # the chart's default config (jaeger, zipkin, debug pipelines) is not merged
    assert values["presets"]["kubernetesAttributes"]["enabled"] is False
    assert config["exporters"]["otlphttp/loki-platform"] == {"endpoint": "http://sink/loki/otlp",
                                                             "headers": {"X-Scope-OrgID": "platform"}}
    assert config["receivers"]["otlp"]["protocols"]["http"]["endpoint"] == "${env:MY_POD_IP}:2"
    settings = render("observability", "{{ _observability_collector_settings }}", **extra)
    assert values["alternateConfig"] == collector.render_base_config(settings)
    assert values["mode"] == "daemonset" and values["image"]["repository"] == "otel/opentelemetry-collector-k8s"


# --- redpanda, istio, kyverno -------------------------------------------------------------

def test_redpanda_has_sasl_scram_and_authorization():
    spec = render("redpanda", "{{ _redpanda_cluster }}")["spec"]["clusterSpec"]
    assert spec["auth"]["sasl"]["enabled"] is True
    assert spec["auth"]["sasl"]["mechanism"].startswith("SCRAM-SHA-")
    assert spec["auth"]["sasl"]["secretRef"] == "redpanda-superusers"
    assert spec["config"]["cluster"]["kafka_enable_authorization"] is True
    assert spec["tls"]["enabled"] is True
    secret = releases("redpanda")[0]["secrets"][0]
    assert secret == {"name": "redpanda-superusers", "namespace": "openova-redpanda",
                      "data": {"superusers.txt": "admin:{password}:SCRAM-SHA-512"}}


def test_redpanda_overrides_merge_without_dropping_sasl():
    spec = render("redpanda", "{{ _redpanda_cluster_spec }}",
                  redpanda_cluster_spec_overrides={"statefulset": {"replicas": 5}}, redpanda_storage_class="fast")
    assert spec["statefulset"]["replicas"] == 5 and spec["auth"]["sasl"]["enabled"] is True
    assert spec["storage"]["persistentVolume"] == {"enabled": True, "size": "100Gi", "storageClass": "fast"}


def test_istio_releases_in_order_with_strict_friendly_mesh():
    rel = releases("istio")
    assert [r["chart"] for r in rel] == ["base", "cni", "istiod", "gateway"]
    assert [r["name"] for r in rel][:3] == ["istio-base", "istio-cni", "istiod"]
    assert {r["version"] for r in rel} == {"1.30.3"} and len({r["repo"] for r in rel}) == 1
    assert rel[2]["values"]["meshConfig"]["enableAutoMtls"] is True
    assert rel[3]["namespace_labels"] == {"istio-injection": "enabled"}


@pytest.mark.parametrize("install", [True, False])
def test_istiod_injects_for_istio_cni_whether_or_not_the_role_installs_it(install):
    # Pod Security "restricted" (tenant namespaces) refuses istio-init; with CNI injection pods get
    # the unprivileged istio-validation init container. The node agent (istio-cni) goes in after
    # istio-base and before istiod; istio_cni_install false (local inventory) leaves only it out.
    rel = releases("istio", istio_cni_install=install)
    assert next(r for r in rel if r["chart"] == "istiod")["values"]["cni"]["enabled"] is True
    expected = ["istio-base", "istio-cni", "istiod"] if install else ["istio-base", "istiod"]
    assert [r["name"] for r in rel][:-1] == expected and rel[-1]["chart"] == "gateway"
    assert values_of("istio", "istio-cni")["resources"]["limits"]


def test_local_inventory_leaves_out_only_the_istio_cni_release():
    from .rendering import REPO
    inventory = yaml.safe_load((REPO / "inventories/local/group_vars/all/main.yml").read_text())
    assert inventory["istio_cni_install"] is False
    assert "istio_istiod_values" not in inventory and "cni" not in (inventory.get("istio_values_overrides") or {})


def test_kyverno_is_ha():
    values = values_of("kyverno")
    assert values["admissionController"]["replicas"] == 3
    assert values["admissionController"]["podDisruptionBudget"]["enabled"] is True
    for controller in ("backgroundController", "cleanupController", "reportsController"):
        assert values[controller]["replicas"] >= 2


# --- no default admin password ------------------------------------------------------------

SECRET_REFS = {
    "harbor": (None, lambda v: v["existingSecretAdminPassword"]),
    "redis": (None, lambda v: v["auth"]["existingSecret"]),
    "llm_gateway": (None, lambda v: v["masterkeySecretName"]),
}


@pytest.mark.parametrize("role", sorted(SECRET_REFS))
def test_admin_credentials_come_from_a_generated_secret(role):
    name, ref = SECRET_REFS[role]
    rel = releases(role)
    release = rel[0] if name is None else next(r for r in rel if r["name"] == name)
    secret = ref(release["values"])
    generated = {s["name"]: s for s in release["secrets"]}
    assert secret in generated, f"{role}: {secret} is not generated"
    assert any("{password}" in v for v in generated[secret]["data"].values())


# keys that would hold a credential itself (not the name of a Secret holding it)
def test_grafana_admin_comes_from_the_generated_secret():
    grafana = render("observability", "{{ _observability_grafana }}")
    assert grafana["kind"] == "Grafana" and grafana["metadata"]["labels"]["dashboards"] == "grafana"
    assert grafana["spec"]["disableDefaultAdminSecret"] is True
    env = grafana["spec"]["deployment"]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {e["name"]: e["valueFrom"]["secretKeyRef"] for e in env} == {
        "GF_SECURITY_ADMIN_USER": {"name": "grafana-admin", "key": "admin-user"},
        "GF_SECURITY_ADMIN_PASSWORD": {"name": "grafana-admin", "key": "admin-password"}}
    operator = next(r for r in releases("observability") if r["chart"] == "grafana-operator")
    assert operator["secrets"] == [{"name": "grafana-admin", "namespace": "openova-observability",
                                    "data": {"admin-user": "admin", "admin-password": "{password}"}}]


PASSWORD_KEY = re.compile(r"^(?!existingSecret)(?!.*secret(name|key)$).*(password|passwd|masterkey)$", re.I)


def walk(node, path=""):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from walk(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, f"{path}[{i}]")
    else:
        yield path, node


@pytest.mark.parametrize("role", COMPONENTS)
def test_no_values_carry_a_literal_password(role):
    for release in releases(role):
        for path, value in walk(release["values"]):
            key = path.rsplit(".", 1)[-1]
            assert not (PASSWORD_KEY.search(key) and isinstance(value, str) and value), (
                f"{role}/{release['name']}: {path} holds a literal credential")


def test_database_credentials_are_generated_and_copied():
    secrets = render("postgresql", "{{ _postgresql_secrets }}")
    assert [s["name"] for s in secrets] == ["harbor-db", "litellm-db"]
    assert all(s["data"]["password"] == "{password}" and s["namespace"] == "openova-data" for s in secrets)
    cluster = render("postgresql", "{{ _postgresql_objects }}")[0]
    assert cluster["spec"]["enableSuperuserAccess"] is False
    assert {"name": "harbor", "ensure": "present", "login": True,
            "passwordSecret": {"name": "harbor-db"}} in cluster["spec"]["managed"]["roles"]
    harbor = releases("harbor")[0]
    assert {"name": "harbor-db", "namespace": "harbor",
            "copy_from": {"namespace": "openova-data", "name": "harbor-db"}} in harbor["secrets"]


# --- shape shared by every component ------------------------------------------------------

@pytest.mark.parametrize("role", COMPONENTS)
def test_every_release_pins_chart_version_and_namespace(role):
    for release in releases(role):
        assert release["chart"] and release["namespace"] and release["repo"]
        assert re.match(r"^v?\d+\.\d+\.\d+$", str(release["version"])), release
        assert release["repo"].startswith(("https://", "oci://"))


@pytest.mark.parametrize("role", ["redis", "cilium", "kyverno", "harbor", "cert_manager", "llm_gateway"])
def test_values_overrides_merge_recursively(role):
    merged = values_of(role, **{f"{role}_values_overrides": {"extra": {"a": 1}}})
    assert merged["extra"] == {"a": 1}
    assert set(render(role, "{{ %s_values }}" % role)) <= set(merged) - {"extra"}
