"""Value contract, part two: what the README promises about each component shows up in the
manifests `helm template` renders from the real upstream chart (../shared/charts) with the
role's values. No cluster; helm renders for Kubernetes 1.36.3.

The Redpanda cluster itself is rendered by the operator at run time from the Redpanda
resource, so its promises are checked on that resource (whose fields the CRD schema test in
test_chart_values.py checks against the operator chart's CRD)."""

import base64
import json
import re

import pytest
import yaml

from . import charts
from .rendering import COMPONENTS, render

pytestmark = [pytest.mark.skipif(not charts.available(), reason=charts.SKIP_REASON),
              pytest.mark.skipif(not charts.helm_binary(), reason="no helm in .cache/bin (python3 tools/toolchain.py helm)")]

WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod", "ReplicaSet"}


def release(role, name):
    return next(r for r in charts.role_releases(role) if r["name"] == name)


# helm template cannot look up the cluster-info ConfigMap that Cilium's default k8sServiceHost
# "auto" reads, so Cilium is rendered with the API server address an inventory would give.
RENDER_VARS = {"cilium": {"cilium_values_overrides": {"k8sServiceHost": "api.example.com", "k8sServicePort": 6443}}}


def manifests(role, name=None):
    """The rendered manifests of one release of `role`, or of all its releases."""
    rels = charts.role_releases(role, **RENDER_VARS.get(role, {}))
    return [doc for rel in rels if name in (None, rel["name"]) for doc in charts.template(rel)]


def find(docs, kind, name=None):
    out = [d for d in docs if d.get("kind") == kind and (name is None or d["metadata"]["name"] == name)]
    assert out, f"no {kind} {name or ''} rendered"
    return out


def is_test_hook(doc):
    return "test" in ((doc.get("metadata") or {}).get("annotations") or {}).get("helm.sh/hook", "").split(",")


def pod_spec(doc):
    spec = doc.get("spec") or {}
    if doc["kind"] == "CronJob":
        return spec["jobTemplate"]["spec"]["template"]["spec"]
    if doc["kind"] == "Pod":
        return spec
    return spec["template"]["spec"]


def containers(docs):
    """(workload, container) for every container and init container the release runs."""
    for doc in docs:
        if doc.get("kind") in WORKLOAD_KINDS and not is_test_hook(doc):
            spec = pod_spec(doc)
            for c in (spec.get("initContainers") or []) + (spec.get("containers") or []):
                yield f"{doc['kind']}/{doc['metadata']['name']}", c


def config_text(docs, kind, name, key):
    obj = find(docs, kind, name)[0]
    if "data" in obj and kind == "Secret":
        return base64.b64decode(obj["data"][key]).decode()
    return (obj.get("data") or obj.get("stringData"))[key]


# --- mesh: strict mTLS and the ingress gateway --------------------------------------------------

def platform_objects():
    """The configure phase as the platform_config module renders it from the platform facts."""
    from ansible_collections.openova.platform.plugins.module_utils.platform import config, render as platform

    return platform.render_platform(config.normalize({"phase": "configure"}), "configure")


def test_mesh_wide_mtls_is_strict_in_the_root_namespace_istiod_uses():
    mesh = yaml.safe_load(config_text(manifests("istio", "istiod"), "ConfigMap", "istio", "mesh"))
    assert mesh["enableAutoMtls"] is True and mesh["outboundTrafficPolicy"] == {"mode": "REGISTRY_ONLY"}
    root = mesh.get("rootNamespace", "istio-system")
    pa = [o for o in platform_objects() if o["kind"] == "PeerAuthentication"]
    assert [(o["metadata"]["namespace"], o["metadata"]["name"], o["spec"]["mtls"]["mode"]) for o in pa] == [
        (root, "default", "STRICT")]


def test_ingress_gateway_is_a_load_balancer_whose_pods_the_platform_gateway_selects():
    docs = manifests("istio", render("istio", "{{ istio_gateway_release_name }}"))
    (svc,) = find(docs, "Service")
    assert svc["spec"]["type"] == "LoadBalancer"
    assert {p["port"] for p in svc["spec"]["ports"]} >= {80, 443}
    (deploy,) = find(docs, "Deployment")
    gateway = next(o for o in platform_objects() if o["kind"] == "Gateway")
    labels = deploy["spec"]["template"]["metadata"]["labels"]
    assert gateway["spec"]["selector"].items() <= labels.items(), (gateway["spec"]["selector"], labels)
    assert gateway["metadata"]["namespace"] == deploy["metadata"]["namespace"]
    # the Gateway's servers listen on the ports the Service sends 80 and 443 to, and the platform's
    # network policy for the gateway namespace lets that traffic in
    targets = {p["port"]: p["targetPort"] for p in svc["spec"]["ports"]}
    assert {s["port"]["number"] for s in gateway["spec"]["servers"]} == {targets[80], targets[443]}
    policy = next(o for o in platform_objects() if o["kind"] == "NetworkPolicy"
                  and o["metadata"]["namespace"] == deploy["metadata"]["namespace"])
    opened = {p["port"] for rule in policy["spec"]["ingress"] for p in rule.get("ports") or []}
    assert {targets[80], targets[443]} <= opened, opened


def test_istiod_injects_for_istio_cni():
    """With pilot.cni.enabled in the injector's values, injection adds the unprivileged
    istio-validation init container instead of istio-init (NET_ADMIN, NET_RAW, root), so
    injected pods pass Pod Security "restricted"."""
    docs = manifests("istio", "istiod")
    values = json.loads(config_text(docs, "ConfigMap", "istio-sidecar-injector", "values"))
    assert values["pilot"]["cni"]["enabled"] is True
    template = yaml.safe_load(config_text(docs, "ConfigMap", "istio-sidecar-injector", "config"))["templates"]["sidecar"]
    assert "istio-validation" in template and "{{ if .Values.pilot.cni.enabled -}}" in template


def test_istio_base_owns_the_istio_crds():
    crds = {d["metadata"]["name"] for d in manifests("istio", "istio-base") if d["kind"] == "CustomResourceDefinition"}
    assert {"peerauthentications.security.istio.io", "gateways.networking.istio.io",
            "virtualservices.networking.istio.io", "envoyfilters.networking.istio.io"} <= crds


# --- policy and certificates --------------------------------------------------------------------

def test_kyverno_runs_three_admission_replicas_with_a_disruption_budget():
    docs = manifests("kyverno")
    (admission,) = find(docs, "Deployment", "kyverno-admission-controller")
    assert admission["spec"]["replicas"] == 3
    pdbs = [d for d in docs if d["kind"] == "PodDisruptionBudget" and "admission" in d["metadata"]["name"]]
    assert pdbs and pdbs[0]["spec"]["minAvailable"] == 2


@pytest.mark.parametrize("role,crd", [("kyverno", "clusterpolicies.kyverno.io"),
                                      ("cert_manager", "certificates.cert-manager.io"),
                                      ("postgresql", "clusters.postgresql.cnpg.io"),
                                      ("observability", "grafanas.grafana.integreatly.org")])
def test_the_chart_installs_the_crds_the_platform_uses(role, crd):
    names = {d["metadata"]["name"] for d in manifests(role) if d["kind"] == "CustomResourceDefinition"}
    assert crd in names


def test_the_redpanda_operator_chart_installs_its_crds():
    """The operator chart installs its CRDs with a pre-install Job running `redpanda-operator crd`."""
    jobs = [d for d in manifests("redpanda") if d["kind"] == "Job"]
    crd_jobs = [j for j in jobs if pod_spec(j)["containers"][0].get("args", [None])[0] == "crd"]
    assert crd_jobs, "crds.enabled is off: the operator chart would install no CRD"
    assert "pre-install" in crd_jobs[0]["metadata"]["annotations"]["helm.sh/hook"]


# --- Redpanda -----------------------------------------------------------------------------------

def test_redpanda_has_sasl_scram_authorization_and_tls():
    spec = render("redpanda", "{{ _redpanda_cluster }}")["spec"]["clusterSpec"]
    assert spec["auth"]["sasl"]["enabled"] is True and spec["auth"]["sasl"]["mechanism"] == "SCRAM-SHA-512"
    assert spec["config"]["cluster"]["kafka_enable_authorization"] is True
    assert spec["tls"]["enabled"] is True


# --- multi-tenant telemetry ---------------------------------------------------------------------

def test_loki_requires_a_tenant():
    config = yaml.safe_load(config_text(manifests("observability", "loki"), "ConfigMap", "loki", "config.yaml"))
    assert config["auth_enabled"] is True


def test_mimir_requires_a_tenant():
    config = yaml.safe_load(config_text(manifests("observability", "mimir"), "ConfigMap", "mimir-config", "mimir.yaml"))
    assert config["multitenancy_enabled"] is True


def test_tempo_requires_a_tenant():
    docs = manifests("observability", "tempo")
    cm = next(d for d in docs if d["kind"] in ("ConfigMap", "Secret") and d["metadata"]["name"] == "tempo-config")
    text = base64.b64decode(cm["data"]["tempo.yaml"]).decode() if cm["kind"] == "Secret" else cm["data"]["tempo.yaml"]
    assert yaml.safe_load(text)["multitenancy_enabled"] is True


# --- credentials --------------------------------------------------------------------------------

SECRET_NAME = re.compile(r"pass|secret|key|token|credential|htpasswd", re.I)


def secret_literals(docs):
    """Every literal a rendered manifest gives a credential-looking key: Secret data and
    stringData, and env values (not file paths) whose name looks like a credential."""
    out = set()
    for doc in docs:
        if doc.get("kind") == "Secret":
            for key, value in (doc.get("data") or {}).items():
                if SECRET_NAME.search(key):
                    out.add(base64.b64decode(value).decode(errors="replace"))
            out.update(str(v) for k, v in (doc.get("stringData") or {}).items() if SECRET_NAME.search(k))
    for _where, c in containers(docs):
        for env in c.get("env") or []:
            if "value" in env and SECRET_NAME.search(env["name"]) and not env["name"].endswith("_FILE"):
                out.add(str(env["value"]))
    return {v for v in out if len(v) >= 6}


@pytest.mark.parametrize("role,name", [("harbor", "harbor"), ("llm_gateway", "litellm"), ("redis", "valkey")])
def test_no_chart_default_credential_survives(role, name):
    """A credential the chart renders with its default values (Harbor12345, not-a-secure-key,
    harbor_registry_password, ...) must not appear with the role's values; random ones the
    chart generates differ per render and do not count."""
    rel = release(role, name)
    first, second = secret_literals(charts.template(rel, values={})), secret_literals(charts.template(rel, values={"_": 1}))
    fixed = first & second
    assert fixed or role == "redis", f"{role}: the chart renders no fixed default credential; the check is empty"
    leaked = fixed & secret_literals(charts.template(rel))
    assert not leaked, f"{role}: chart-default credentials still rendered: {sorted(leaked)}"


def test_harbor_takes_every_key_from_a_generated_secret():
    values = release("harbor", "harbor")["values"]
    generated = {s["name"] for s in release("harbor", "harbor")["secrets"]}
    refs = [values["existingSecretAdminPassword"], values["existingSecretSecretKey"], values["core"]["existingSecret"],
            values["core"]["existingXsrfSecret"], values["jobservice"]["existingSecret"],
            values["registry"]["existingSecret"], values["registry"]["credentials"]["existingSecret"]]
    assert all(refs) and set(refs) <= generated


def test_grafana_admin_is_not_the_operator_default():
    grafana = render("observability", "{{ _observability_grafana }}")
    assert grafana["spec"]["disableDefaultAdminSecret"] is True
    env = {e["name"]: e for e in grafana["spec"]["deployment"]["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert "value" not in env["GF_SECURITY_ADMIN_PASSWORD"] and env["GF_SECURITY_ADMIN_PASSWORD"]["valueFrom"]["secretKeyRef"]


# --- images and resources -----------------------------------------------------------------------

# Istio's gateway chart asks the sidecar injector for its image ("auto"): istiod replaces it with
# the proxy image of its own pinned hub and tag (global.hub, global.tag) when the pod is created.
INJECTED = {("istio", "istio-proxy"): "auto"}


def pinned(image):
    name, tag = image.rpartition(":")[::2] if "@" not in image else (image, "")
    if "@sha256:" in image:
        return True
    return bool(name) and "/" not in tag and tag not in ("", "latest")


@pytest.mark.parametrize("role", COMPONENTS)
def test_every_image_is_pinned(role):
    unpinned = [(where, c["name"], c["image"]) for where, c in containers(manifests(role))
                if not pinned(c["image"]) and INJECTED.get((role, c["name"])) != c["image"]]
    assert not unpinned, f"{role}: images without a tag or digest (or :latest): {unpinned}"


@pytest.mark.parametrize("role,chart", sorted(charts.NOT_SHARED), ids=[f"{r}-{c}" for r, c in sorted(charts.NOT_SHARED)])
def test_images_and_resources_of_a_chart_not_shared(role, chart):
    """What the two tests above check, for a release left out while its chart is absent
    (charts.NOT_SHARED): skipped with the named reason unless the chart is given."""
    docs = charts.template(charts.not_shared_release(role, chart))
    unpinned = [(where, c["name"], c["image"]) for where, c in containers(docs) if not pinned(c["image"])]
    assert not unpinned, f"{role}/{chart}: images without a tag or digest (or :latest): {unpinned}"
    lacking = [f"{where}/{c['name']} {part}" for where, c in containers(docs) for part in ("requests", "limits")
               if {"cpu", "memory"} - set((c.get("resources") or {}).get(part) or {})]
    assert not lacking, f"{role}/{chart}: containers without requests and limits: {lacking}"


def test_custom_resource_images_are_pinned():
    assert pinned(render("postgresql", "{{ _postgresql_cluster_spec.imageName }}"))
    grafana = render("observability", "{{ _observability_grafana }}")["spec"]
    assert re.match(r"^\d+\.\d+\.\d+$", str(grafana["version"]))
    image = render("redpanda", "{{ _redpanda_cluster_spec.image }}")
    assert image["repository"] and re.match(r"^v\d+\.\d+\.\d+$", image["tag"])


# Containers whose chart offers no value for their resources: litellm-helm 0.4.3's migration Job
# template has no resources field (newer upstream charts add migrationJob.resources).
NO_RESOURCES_KNOB = {("llm_gateway", "Job/litellm-migrations")}


@pytest.mark.parametrize("role", COMPONENTS)
def test_platform_workloads_have_requests_and_limits(role):
    missing = []
    for where, c in containers(manifests(role)):
        if (role, where) in NO_RESOURCES_KNOB:
            continue
        res = c.get("resources") or {}
        for part in ("requests", "limits"):
            lacking = {"cpu", "memory"} - set(res.get(part) or {})
            if lacking:
                missing.append(f"{where}/{c['name']} {part}: {sorted(lacking)}")
    assert not missing, f"{role}: containers without requests and limits: {missing}"


def test_custom_resources_set_requests_and_limits():
    pg = render("postgresql", "{{ _postgresql_cluster_spec.resources }}")
    assert set(pg["requests"]) == set(pg["limits"]) == {"cpu", "memory"}
    container = render("observability", "{{ _observability_grafana }}")["spec"]["deployment"]["spec"]["template"]["spec"]["containers"][0]
    assert set(container["resources"]["requests"]) == set(container["resources"]["limits"]) == {"cpu", "memory"}
    rp = render("redpanda", "{{ _redpanda_cluster_spec.resources }}")
    assert rp["cpu"]["cores"] and rp["memory"]["container"]["max"]


def test_a_container_without_limits_fails_the_check():
    docs = [{"kind": "Deployment", "metadata": {"name": "x"},
             "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "a/b:1.0",
                                                            "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}]}}}}]
    (where, c), = list(containers(docs))
    assert where == "Deployment/x" and "limits" not in c["resources"]
    assert not pinned("nginx") and not pinned("nginx:latest") and pinned("a/b:1.0") and pinned("r:5000/a/b:1.0")
    assert pinned("a/b@sha256:" + "0" * 64) and not pinned("r:5000/a/b")


def test_values_json_round_trips():
    # what helm receives is what the role rendered (no Jinja left over)
    for role in COMPONENTS:
        for rel in charts.role_releases(role):
            assert "{{" not in json.dumps(rel["values"]), role


@pytest.mark.parametrize("role", COMPONENTS)
def test_the_crds_a_release_waits_for_are_its_charts_own(role):
    """_helm_release waits for the CRDs a release lists; each must be one its chart installs
    (the Redpanda operator's come from its CRD Job, so ../shared/crds stands in for them)."""
    for rel in charts.role_releases(role, **RENDER_VARS.get(role, {})):
        if not rel["crds"]:
            continue
        if rel["chart"] == "operator":
            folder = charts.CHART_DIR.parent / "crds" / "redpanda-operator"
            docs = [d for f in sorted(folder.glob("*.yaml")) for d in yaml.safe_load_all(f.read_text()) if d]
        else:
            docs = charts.template(rel)
        names = {d["metadata"]["name"] for d in docs if d.get("kind") == "CustomResourceDefinition"}
        assert set(rel["crds"]) <= names, f"{role}/{rel['name']}: {sorted(set(rel['crds']) - names)} not in the chart"
