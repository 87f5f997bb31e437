#!/usr/bin/env python3
"""The admission profile's real controllers, run as local processes.

Kyverno's admission controller and background controller and istiod run on
127.0.0.1 against the local API server, the way their own developers run
them out of cluster:

- The objects their charts give them (namespace objects, ServiceAccounts, RBAC,
  ConfigMaps such as Kyverno's ``kyverno`` configuration and istiod's mesh
  configuration and injection templates, Services, istiod's webhook
  configurations) are rendered with ``helm template`` from the real charts in
  ../shared/charts with the values the ``kyverno`` and ``istio`` roles install,
  and applied. Their workloads (Deployments, autoscalers, disruption budgets,
  hook Jobs) are not: the controllers run here instead.
- Each controller runs with the arguments and environment of its container in
  the chart's Deployment, plus overrides that bind every socket to 127.0.0.1 on
  the cluster's ports and point it at the API server with a token of the
  chart's ServiceAccount (TokenRequest), so RBAC is the chart's.
- Kyverno registers its webhooks by address (``--serverIP=127.0.0.1:<port>``,
  its documented out-of-cluster mode). istiod's webhooks keep the chart's
  Service reference ``istio-system/istiod:443``. The API server reaches both
  only through devcluster's egress proxy, which maps them to the local ports.

Pure parts (chart objects in, objects to apply and process arguments out) are
separate from the I/O so that unit tests run without a cluster.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

import toolchain  # noqa: E402

HOST = "127.0.0.1"
CHART_DIR = Path(os.environ.get("OPENOVA_CHART_DIR") or toolchain.REPO_ROOT.parent / "shared" / "charts")
ROLES = toolchain.REPO_ROOT / "roles"
# The ports the admission profile adds to a cluster's port block.
PORT_NAMES = ("kyverno-webhook", "kyverno-metrics", "kyverno-background-metrics",
              "istiod-https", "istiod-http", "istiod-xds", "istiod-ctrlz")
# Kinds of a chart that are not applied: the workloads (the controllers run as
# local processes instead), and CRDs, which come from ../shared/crds.
NOT_APPLIED = ("CustomResourceDefinition", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Pod", "Job",
               "CronJob", "HorizontalPodAutoscaler", "PodDisruptionBudget")
FIELD_MANAGER = "devcluster"
# libyaml when PyYAML has it: the kyverno chart renders megabytes of CRDs.
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LocalControllerError(RuntimeError):
    """Something the user has to fix; the message says what."""


# --------------------------------------------------------------------------- charts

@dataclass(frozen=True)
class Release:
    """One chart rendered with a role's values (the role's release name and namespace)."""

    name: str
    chart: str  # <chart>-<version>.tgz in CHART_DIR
    namespace: str
    role: str
    values_key: str


RELEASES = (
    Release("istio-base", "base-1.30.3.tgz", "istio-system", "istio", "istio_base_values"),
    Release("istiod", "istiod-1.30.3.tgz", "istio-system", "istio", "istio_istiod_values"),
    Release("kyverno", "kyverno-3.9.0.tgz", "kyverno", "kyverno", "kyverno_values"),
)


def role_values(role: str, key: str) -> dict:
    """A chart's values as the role's defaults give them."""
    path = ROLES / role / "defaults" / "main.yml"
    values = yaml.safe_load(path.read_text()).get(key)
    if not isinstance(values, dict):
        raise LocalControllerError(f"{path} has no mapping {key!r}")
    if "{{" in json.dumps(values):
        raise LocalControllerError(f"{path}: {key} uses a Jinja expression, which a local render cannot resolve")
    return values


def split_chart(objects: list[dict]) -> tuple[list[dict], dict[str, dict]]:
    """(objects to apply, the chart's Deployments by name). Pure. Helm test hooks are dropped."""
    apply, deployments = [], {}
    for obj in objects:
        if not isinstance(obj, dict) or not obj.get("kind"):
            continue
        hook = (obj.get("metadata", {}).get("annotations") or {}).get("helm.sh/hook", "")
        if "test" in hook.split(","):
            continue
        if obj["kind"] == "Deployment":
            deployments[obj["metadata"]["name"]] = obj
        if obj["kind"] not in NOT_APPLIED:
            apply.append(obj)
    return apply, deployments


# --------------------------------------------------------------------------- controllers

@dataclass(frozen=True)
class Controller:
    """A chart Deployment's container, run as a local process."""

    name: str  # the devcluster component
    binary: str  # toolchain.BINARIES key
    command: str  # the command inside that build
    release: str
    deployment: str
    container: str
    what: str


CONTROLLERS = {c.name: c for c in (
    Controller("istiod", "istio", "pilot-discovery", "istiod", "istiod", "discovery",
               "istiod: Istio's sidecar injection and config validation webhooks, mesh configuration"),
    Controller("kyverno-admission", "kyverno-controllers", "kyverno", "kyverno", "kyverno-admission-controller",
               "kyverno", "Kyverno's admission controller: the guard-rail policies at admission"),
    Controller("kyverno-background", "kyverno-controllers", "background-controller", "kyverno",
               "kyverno-background-controller", "controller",
               "Kyverno's background controller: generate rules (the PodDisruptionBudgets)"),
)}
# Start order: istiod first (Kyverno judges the pods after injection).
ORDER = ("istiod", "kyverno-admission", "kyverno-background")


def _container(deployment: dict, name: str) -> dict:
    for container in deployment["spec"]["template"]["spec"]["containers"]:
        if container["name"] == name:
            return container
    raise LocalControllerError(f"Deployment {deployment['metadata']['name']} has no container {name!r}")


def container_env(deployment: dict, container: dict, local_name: str) -> dict[str, str]:
    """The container's environment with the values a pod would get resolved for a local
    process. Pure. Resource field references (GOMAXPROCS, GOMEMLIMIT) are left to the runtime."""
    pod = deployment["spec"]["template"]["spec"]
    fields = {"metadata.name": local_name, "metadata.namespace": deployment["metadata"]["namespace"],
              "spec.serviceAccountName": pod.get("serviceAccountName", "default"),
              "spec.nodeName": "local", "status.podIP": HOST, "status.hostIP": HOST}
    env = {}
    for item in container.get("env") or []:
        if "value" in item:
            env[item["name"]] = str(item["value"])
        elif "fieldRef" in (item.get("valueFrom") or {}):
            path = item["valueFrom"]["fieldRef"]["fieldPath"]
            if path not in fields:
                raise LocalControllerError(f"{local_name}: env {item['name']} needs field {path}, unknown locally")
            env[item["name"]] = fields[path]
    return env


def service_account(deployment: dict) -> str:
    return deployment["spec"]["template"]["spec"].get("serviceAccountName", "default")


def overrides(name: str, ports: dict[str, int], kubeconfig: Path, state: Path) -> tuple[list[str], dict[str, str]]:
    """(arguments appended after the chart's, environment set over the chart's): every socket
    on 127.0.0.1 and the cluster's ports, the local kubeconfig, files under ``state``. Both Go's
    flag package and cobra keep the last value of a repeated flag, so appending overrides."""
    if name == "istiod":
        return [
            f"--kubeconfig={kubeconfig}",
            f"--httpsAddr={HOST}:{ports['istiod-https']}",  # the injection and validation webhooks
            f"--httpAddr={HOST}:{ports['istiod-http']}",  # readiness and debug
            "--grpcAddr=", "--monitoringAddr=",  # both multiplexed on httpAddr
            f"--secureGRPCAddr={HOST}:{ports['istiod-xds']}",
            f"--ctrlz_address={HOST}", f"--ctrlz_port={ports['istiod-ctrlz']}",
        ], {"KUBECONFIG": str(kubeconfig), "GOMAXPROCS": "2"}
    common = [f"--kubeconfig={kubeconfig}", f"--metricsHost={HOST}", "--controllerRuntimeMetricsAddress=0",
              "--profile=false", "--registryCredentialHelpers="]
    if name == "kyverno-admission":
        port = ports["kyverno-webhook"]
        return common + [
            f"--serverIP={HOST}:{port}",  # webhooks registered by URL, certificate for 127.0.0.1
            f"--webhookServerHost={HOST}", f"--webhookServerPort={port}",
            f"--metricsPort={ports['kyverno-metrics']}",
        ], {"TUF_ROOT": str(state / "sigstore")}
    if name == "kyverno-background":
        return common + [f"--metricsPort={ports['kyverno-background-metrics']}"], {
            "TUF_ROOT": str(state / "sigstore")}
    raise KeyError(name)


def process(name: str, deployment: dict, binary: Path, ports: dict[str, int], kubeconfig: Path,
            state: Path) -> tuple[list[str], dict[str, str]]:
    """(argv, extra environment) of one controller. Pure."""
    ctl = CONTROLLERS[name]
    container = _container(deployment, ctl.container)
    env = container_env(deployment, container, f"{ctl.deployment}-local")
    extra_args, extra_env = overrides(name, ports, kubeconfig, state)
    env.update(extra_env)
    return [str(binary), *(str(a) for a in container.get("args") or []), *extra_args], env


def registrations(ports: dict[str, int]) -> list[tuple[str, str, str]]:
    """(target, local address, note) for the egress proxy: the only ways the API server
    reaches the controllers."""
    kyverno = f"{HOST}:{ports['kyverno-webhook']}"
    return [
        (kyverno, kyverno, "Kyverno admission webhooks (registered by URL, --serverIP)"),
        ("istio-system/istiod:443", f"{HOST}:{ports['istiod-https']}",
         "istiod sidecar injection and validation webhooks (the chart's Service)"),
    ]


# --------------------------------------------------------------------------- I/O: render, apply, credentials

def render_release(release: Release, helm: Path) -> list[dict]:
    """``helm template`` of the release's chart with the role's values (no cluster needed)."""
    chart = CHART_DIR / release.chart
    if not chart.exists():
        raise LocalControllerError(f"the chart {chart} is missing (set OPENOVA_CHART_DIR to the folder of the "
                                   "upstream charts)")
    values = json.dumps(role_values(release.role, release.values_key))
    proc = subprocess.run([str(helm), "template", release.name, str(chart), "--namespace", release.namespace,
                           "--kube-version", toolchain.KUBERNETES_VERSION, "--values", "-"],
                          input=values, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise LocalControllerError(f"helm template {release.name} ({chart.name}) failed: {proc.stderr.strip()}")
    return [doc for doc in yaml.load_all(proc.stdout, Loader=LOADER) if doc]


def _namespace(name: str) -> dict:
    # The label the helm_release role puts on every platform namespace.
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": {"openova.io/platform": "true"}}}


def render_all(helm: Path) -> tuple[list[dict], dict[str, dict]]:
    """Every object to apply (namespaces first) and every chart Deployment by name."""
    objects, deployments = [], {}
    for namespace in sorted({r.namespace for r in RELEASES}):
        objects.append(_namespace(namespace))
    for release in RELEASES:
        applied, found = split_chart(render_release(release, helm))
        for obj in applied:
            obj.setdefault("metadata", {})
            if obj["kind"] not in ("Namespace",) and not _cluster_scoped(obj["kind"]):
                obj["metadata"].setdefault("namespace", release.namespace)
        objects += applied
        deployments.update(found)
    return objects, deployments


_CLUSTER_SCOPED = ("Namespace", "ClusterRole", "ClusterRoleBinding", "MutatingWebhookConfiguration",
                   "ValidatingWebhookConfiguration", "ValidatingAdmissionPolicy",
                   "ValidatingAdmissionPolicyBinding", "PriorityLevelConfiguration", "FlowSchema",
                   "CustomResourceDefinition", "APIService", "PriorityClass", "StorageClass")


def _cluster_scoped(kind: str) -> bool:
    return kind in _CLUSTER_SCOPED


def token_kubeconfig(server: str, ca: Path, token: str, user: str) -> str:
    return yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": "local", "cluster": {"server": server, "certificate-authority": str(ca)}}],
        "users": [{"name": user, "user": {"token": token}}],
        "contexts": [{"name": "local", "context": {"cluster": "local", "user": user}}],
        "current-context": "local",
    }, sort_keys=False)


def admission_dir(state: Path) -> Path:
    return state / "admission"


def kubeconfig_for(state: Path, name: str) -> Path:
    return admission_dir(state) / f"{name}.kubeconfig"


def prepare(state: Path, server: str, ca: Path, kubectl) -> dict[str, dict]:
    """Render the charts, apply what the controllers need, write a kubeconfig with a token of
    each controller's ServiceAccount; returns the chart Deployments (also kept in the state)."""
    bins = toolchain.ensure(["helm"])
    objects, deployments = render_all(bins["helm"])
    folder = admission_dir(state)
    folder.mkdir(parents=True, exist_ok=True)
    kubectl("apply", "--server-side", "--force-conflicts", f"--field-manager={FIELD_MANAGER}", "-f", "-",
            stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}))
    for name, ctl in CONTROLLERS.items():
        deployment = deployments.get(ctl.deployment)
        if deployment is None:
            raise LocalControllerError(f"the {ctl.release} chart rendered no Deployment {ctl.deployment}")
        namespace, account = deployment["metadata"]["namespace"], service_account(deployment)
        token = kubectl("create", "token", account, "-n", namespace, "--duration=8760h").stdout.strip()
        path = kubeconfig_for(state, name)
        path.write_text(token_kubeconfig(server, ca, token, f"system:serviceaccount:{namespace}:{account}"))
        path.chmod(0o600)
    (folder / "deployments.json").write_text(json.dumps(deployments, indent=1, sort_keys=True))
    return deployments


def command(name: str, state: Path, ports: dict[str, int]) -> tuple[list[str], dict[str, str]]:
    """(argv, extra environment) of a prepared controller."""
    path = admission_dir(state) / "deployments.json"
    if not path.exists():
        raise LocalControllerError(f"{name}: the admission profile is not prepared ({path} is missing)")
    ctl = CONTROLLERS[name]
    deployment = json.loads(path.read_text())[ctl.deployment]
    binary = toolchain.BINARIES[ctl.binary].command(ctl.command)
    work = admission_dir(state) / name
    work.mkdir(parents=True, exist_ok=True)
    return process(name, deployment, binary, ports, kubeconfig_for(state, name), work)


def workdir(name: str, state: Path) -> Path:
    """The controller's working directory: istiod reads ./etc/istio/config/mesh and
    ./var/lib/istio/inject when they exist (they do not here, so it reads the ConfigMaps)
    and writes its DNS certificate under ./var/run/secrets."""
    return admission_dir(state) / name


# --------------------------------------------------------------------------- readiness

def _get(url: str, timeout: float = 2) -> int:
    import ssl  # noqa: PLC0415
    import urllib.error  # noqa: PLC0415
    import urllib.request  # noqa: PLC0415

    ctx = ssl._create_unverified_context()  # noqa: S323 - a self-signed webhook certificate on loopback
    try:
        with urllib.request.urlopen(url, context=ctx, timeout=timeout) as resp:  # noqa: S310
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError, ssl.SSLError):
        return 0


def ready(name: str, ports: dict[str, int]) -> bool:
    """The controller's own readiness endpoint answers 200 on 127.0.0.1."""
    if name == "istiod":
        return _get(f"http://{HOST}:{ports['istiod-http']}/ready") == 200
    if name == "kyverno-admission":
        return _get(f"https://{HOST}:{ports['kyverno-webhook']}/health/readiness") == 200
    if name == "kyverno-background":
        return _get(f"http://{HOST}:{ports['kyverno-background-metrics']}/metrics") == 200
    raise KeyError(name)
