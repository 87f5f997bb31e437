"""site.yml with the real upstream charts (../shared/charts) on a bare local cluster of the
`platform` profile: no CRDs preinstalled (the charts install them), webhook admission off, the
API server's webhook and aggregated-API traffic through the loopback-only egress proxy,
LoadBalancer addresses, a volume provisioner, and kwok Stages that set the status an operator
would (reason SimulatedByKwok).

The test starts its own named cluster (OPENOVA_SITE_CLUSTER, default `site-it`) and stops it at
the end. The tests run in file order and share the cluster: a full install, a full re-run
(changed=0), a full check mode run with a changed value (nothing written), a version bump of one
chart (repackaged at test time into a temporary folder) that upgrades exactly that release, the
removal of one component through openova_components, fast named failures for unreachable chart
sources, and the loopback check over everything the API server connected to. The repeated runs
that only concern one component use its tag."""

import json
import os
import re
import subprocess
import tarfile
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from harness import CACHE, REPO, run_playbook

CHARTS = Path(os.environ.get("OPENOVA_CHART_DIR") or REPO.parent / "shared" / "charts")
CLUSTER = os.environ.get("OPENOVA_SITE_CLUSTER", "site-it")
SITE = REPO / "site.yml"
LOCAL = REPO / "inventories" / "local" / "hosts.yml"
ALL = ["cilium", "istio", "cert_manager", "kyverno", "redpanda", "postgresql", "redis", "observability",
       "llm_gateway", "harbor"]
# The releases site.yml installs, in its order (operators and CRD-bearing charts before their users).
RELEASES = ["kube-system/cilium", "istio-system/istio-base", "istio-system/istiod", "istio-ingress/istio-ingressgateway",
            "cert-manager/cert-manager", "kyverno/kyverno", "openova-redpanda/redpanda-operator", "cnpg-system/cnpg",
            "openova-data/valkey", "openova-observability/loki", "openova-observability/mimir",
            "openova-observability/tempo", "openova-observability/grafana-operator", "openova-observability/otel",
            "openova-llm-gateway/litellm", "harbor/harbor"]
TIMINGS = {}

pytestmark = pytest.mark.skipif(not any(CHARTS.glob("*.tgz")), reason=f"no upstream charts in {CHARTS}")


def devcluster(*args, check=True):
    proc = subprocess.run([str(REPO / ".venv" / "bin" / "python"), "tools/devcluster.py", "--name", CLUSTER, *args],
                          cwd=REPO, capture_output=True, text=True, check=False)
    if check:
        assert proc.returncode == 0, f"devcluster {' '.join(args)}: {proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def cluster():
    """A fresh `platform` cluster of its own; stopped (state kept for a look) at the end."""
    devcluster("down", "--purge", check=False)
    start = time.monotonic()
    devcluster("up", "--profile", "platform")
    TIMINGS["cluster up"] = time.monotonic() - start
    env = devcluster("env").stdout
    kubeconfig = re.search(r"KUBECONFIG=(\S+)", env).group(1).strip("'\"")
    since = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    yield {"kubeconfig": kubeconfig, "since": since}
    print("\n".join(f"{k}: {v:.0f}s" for k, v in TIMINGS.items()))
    devcluster("down", check=False)


def site(cluster, extra=None, tags=None, **kw):
    """site.yml with the local inventory (every chart from CHARTS); `tags` as with --tags."""
    saved = os.environ.pop("ANSIBLE_RUN_TAGS", None)
    os.environ["OPENOVA_CHART_DIR"] = str(CHARTS)
    if tags:
        os.environ["ANSIBLE_RUN_TAGS"] = tags
    try:
        return run_playbook(SITE, cluster["kubeconfig"], extra_vars=extra, inventory=LOCAL, **kw)
    finally:
        os.environ.pop("ANSIBLE_RUN_TAGS", None)
        if saved is not None:
            os.environ["ANSIBLE_RUN_TAGS"] = saved


def tasks(out):
    for play in out.get("plays", []):
        for task in play["tasks"]:
            if "localhost" in task["hosts"]:
                yield task["task"]["name"].split(" : ", 1)[-1], task["hosts"]["localhost"]


def changed_tasks(out):
    return [name for name, res in tasks(out) if res.get("changed")]


def helm_releases(cluster):
    helm = next((CACHE / "bin").glob("helm-*/helm"))
    proc = subprocess.run([str(helm), "list", "-A", "-a", "-o", "json"], capture_output=True, text=True, check=True,
                          env=dict(os.environ, KUBECONFIG=cluster["kubeconfig"]))
    return {f"{r['namespace']}/{r['name']}": r for r in json.loads(proc.stdout)}


def kubectl_json(cluster, *args):
    kubectl = next((CACHE / "bin").glob("kubectl-*/kubectl"))
    proc = subprocess.run([str(kubectl), "--kubeconfig", cluster["kubeconfig"], *args, "-o", "json"],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def summary(out):
    (result,) = [res for name, res in tasks(out) if name == "Summarise the platform"]
    return result["msg"]


def test_the_cluster_has_no_crds_before_the_install(cluster):
    assert kubectl_json(cluster, "get", "crd")["items"] == [] or all(
        c["metadata"]["name"].endswith(".kwok.x-k8s.io") for c in kubectl_json(cluster, "get", "crd")["items"])


def test_install_the_whole_platform_from_the_real_charts(cluster):
    start = time.monotonic()
    _rc, out, _stdout = site(cluster)
    TIMINGS["install"] = time.monotonic() - start
    installs = [res for name, res in tasks(out) if name.startswith("Install the releases of ")]
    order = [f"{item['__helm_release']['namespace']}/{item['__helm_release']['name']}"
             for res in installs for item in res["results"]]
    assert order == RELEASES
    live = helm_releases(cluster)
    assert {r: live[r]["status"] for r in RELEASES} == dict.fromkeys(RELEASES, "deployed")
    # every workload of every release is Ready (the summary counted them from the live objects)
    lines = summary(out)
    rows = [line for line in lines if line.startswith(tuple(ALL))]
    releases = [line for line in rows if " release " in line]
    assert len(releases) == len(RELEASES)
    # istio-base installs CRDs and webhooks only; every other release runs workloads
    without = [line for line in releases if " release istio-system/istio-base " in line]
    assert len(without) == 1 and re.search(r"deployed\s+none", without[0]), without
    for line in releases:
        if line in without:
            continue
        ready, desired = re.search(r"(\d+)/(\d+) in \d+", line).groups()
        assert ready == desired and int(desired) > 0, line
        # what was simulated is said: pods on kwok nodes
        assert "kwok pods" in line, line
    # and operator status by kwok Stages
    for kind in ("Redpanda openova-redpanda/redpanda", "Cluster openova-data/platform-pg",
                 "Grafana openova-observability/grafana"):
        row = next(line for line in rows if kind in line)
        assert "SimulatedByKwok" in row and "=True" in row, row
    assert any("no operator runs there" in line for line in lines)


def test_the_crds_came_from_the_charts(cluster):
    crds = {c["metadata"]["name"]: c for c in kubectl_json(cluster, "get", "crd")["items"]}
    owner = {name: (c["metadata"].get("annotations") or {}).get("meta.helm.sh/release-name") for name, c in crds.items()}
    assert owner["peerauthentications.security.istio.io"] == "istio-base"
    assert owner["clusterpolicies.kyverno.io"] == "kyverno"
    assert owner["certificates.cert-manager.io"] == "cert-manager"
    assert owner["clusters.postgresql.cnpg.io"] == "cnpg"
    # Helm installs a chart's crds/ folder without ownership annotations: grafana-operator's
    assert "grafanas.grafana.integreatly.org" in crds
    # the Redpanda operator chart's pre-install Job applies the operator's CRDs
    assert "redpandas.cluster.redpanda.com" in crds


def test_the_ingress_gateway_got_a_load_balancer_address(cluster):
    svc = kubectl_json(cluster, "get", "service", "-n", "istio-ingress", "istio-ingressgateway")
    assert svc["spec"]["type"] == "LoadBalancer"
    assert svc["status"]["loadBalancer"]["ingress"][0].get("ip")


def test_a_rerun_changes_nothing(cluster):
    start = time.monotonic()
    _rc, out, _stdout = site(cluster)
    TIMINGS["re-run"] = time.monotonic() - start
    assert out["stats"]["localhost"]["changed"] == 0, changed_tasks(out)


def test_check_mode_writes_nothing(cluster):
    before = {k: v["revision"] for k, v in helm_releases(cluster).items()}
    secrets = {s["metadata"]["name"]: s["metadata"]["resourceVersion"]
               for s in kubectl_json(cluster, "get", "secrets", "-n", "harbor")["items"]}
    start = time.monotonic()
    _rc, out, _stdout = site(cluster, {"redis_values_overrides": {"replica": {"replicaCount": 4}}}, check=True)
    TIMINGS["check mode"] = time.monotonic() - start
    # it reports the change it would make ...
    changed = [res for name, res in tasks(out) if name == "Install the releases of redis" and res.get("changed")]
    assert changed
    # ... and makes none
    assert {k: v["revision"] for k, v in helm_releases(cluster).items()} == before
    assert {s["metadata"]["name"]: s["metadata"]["resourceVersion"]
            for s in kubectl_json(cluster, "get", "secrets", "-n", "harbor")["items"]} == secrets


@pytest.fixture()
def bumped_chart(tmp_path):
    """valkey repackaged with its version bumped, in a temporary folder (never in the repository)."""
    src = tmp_path / "src"
    with tarfile.open(CHARTS / "valkey-3.0.31.tgz") as tar:
        tar.extractall(src, filter="data")
    meta = src / "valkey" / "Chart.yaml"
    chart = yaml.safe_load(meta.read_text())
    chart["version"] = "3.0.31-openova.1"
    meta.write_text(yaml.safe_dump(chart, sort_keys=False))
    out = tmp_path / "charts"
    out.mkdir()
    helm = next((CACHE / "bin").glob("helm-*/helm"))
    subprocess.run([str(helm), "package", str(src / "valkey"), "-d", str(out)], check=True, capture_output=True)
    return out, chart["version"]


def test_a_version_bump_upgrades_exactly_one_release(cluster, bumped_chart):
    folder, version = bumped_chart
    before = {k: v["revision"] for k, v in helm_releases(cluster).items()}
    start = time.monotonic()
    _rc, out, _stdout = site(cluster, {"redis_chart_dir": str(folder), "redis_chart_version": version}, tags="redis")
    TIMINGS["version bump (--tags redis)"] = time.monotonic() - start
    after = helm_releases(cluster)
    assert after["openova-data/valkey"]["chart"] == f"valkey-{version}"
    assert {k for k, v in after.items() if v["revision"] != before.get(k)} == {"openova-data/valkey"}
    assert "Install the releases of redis" in changed_tasks(out)


def test_pruning_removes_exactly_the_component_left_out(cluster):
    keep = [c for c in ALL if c != "harbor"]
    before = set(helm_releases(cluster))
    # without openova_prune_components nothing is removed
    site(cluster, {"openova_components": keep}, tags="harbor")
    assert set(helm_releases(cluster)) == before
    start = time.monotonic()
    _rc, out, _stdout = site(cluster, {"openova_components": keep, "openova_prune_components": True}, tags="harbor")
    TIMINGS["prune (--tags harbor)"] = time.monotonic() - start
    assert "Remove the releases of harbor" in changed_tasks(out)
    assert set(helm_releases(cluster)) == before - {"harbor/harbor"}


@pytest.mark.parametrize("extra,source", [
    ({"openova_chart_source": "oci", "openova_chart_mirror": "oci://127.0.0.1:9/openova-charts"},
     "OCI mirror oci://127.0.0.1:9/openova-charts"),
    ({"openova_chart_source": "upstream", "redis_chart_repo": "https://127.0.0.1:9/charts"},
     "upstream https://127.0.0.1:9/charts"),
    ({"openova_chart_dir": "/nonexistent/charts"}, "local directory /nonexistent/charts"),
])
def test_an_unreachable_source_fails_fast_naming_component_source_and_variable(cluster, extra, source):
    start = time.monotonic()
    rc, out, _stdout = site(cluster, dict(extra, openova_components=["redis"]), tags="redis", expect_rc=None)
    assert rc != 0 and time.monotonic() - start < 120
    msg = next(res["msg"] for _name, res in tasks(out) if res.get("failed"))
    assert msg.startswith("component 'redis': chart 'valkey' 3.0.31 from " + source + " is unreachable")
    assert "redis_chart_source" in msg and "openova_chart_unreachable=skip" in msg


def test_an_unreachable_source_is_skipped_with_a_report_when_asked(cluster):
    before = helm_releases(cluster)["openova-data/valkey"]["revision"]
    _rc, out, _stdout = site(cluster, {"openova_components": ["redis"], "openova_chart_unreachable": "skip",
                                       "openova_chart_source": "upstream",
                                       "redis_chart_repo": "https://127.0.0.1:9/charts"}, tags="redis")
    skipped = [res["msg"] for name, res in tasks(out) if name == "Report the skipped component redis"]
    assert skipped[0].startswith("SKIPPED component 'redis': chart 'valkey' 3.0.31 from upstream https://127.0.0.1:9/charts")
    assert helm_releases(cluster)["openova-data/valkey"]["revision"] == before  # skipping never removes


def test_the_api_server_connected_to_nothing_beyond_loopback(cluster):
    proc = devcluster("loopback-check", "--since", cluster["since"], check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
