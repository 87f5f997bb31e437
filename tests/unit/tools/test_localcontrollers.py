"""The admission profile's local controllers (tools/localcontrollers.py): what is applied from
the charts, and the command line and environment each controller runs with. No cluster."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tools"))

import localcontrollers as lc  # noqa: E402
import toolchain  # noqa: E402

PORTS = {name: 30000 + i for i, name in enumerate(lc.PORT_NAMES)}
ADDRESS_FLAGS = ("--httpsAddr", "--httpAddr", "--grpcAddr", "--secureGRPCAddr", "--monitoringAddr",
                 "--ctrlz_address", "--webhookServerHost", "--metricsHost", "--serverIP",
                 "--controllerRuntimeMetricsAddress", "--profileAddress")


def deployment(name, container, args, env=(), namespace="kyverno", account="sa"):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": namespace},
            "spec": {"template": {"spec": {"serviceAccountName": account, "containers": [
                {"name": "other", "args": ["--wrong"]},
                {"name": container, "args": list(args), "env": list(env)}]}}}}


def effective(argv):
    """The last value of every --flag=value (Go's flag package and cobra keep the last)."""
    out = {}
    for arg in argv[1:]:
        if arg.startswith("--") and "=" in arg:
            key, value = arg.split("=", 1)
            out[key] = value
    return out


def test_workloads_crds_and_test_hooks_are_not_applied():
    objs = [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "istio"}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "istiod"}},
        {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "istiod"}},
        {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "istiod"}},
        {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": "x"}},
        {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "hook"}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "t", "annotations": {"helm.sh/hook": "test"}}},
        {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
         "metadata": {"name": "istio-sidecar-injector"}},
        None,
    ]
    applied, deployments = lc.split_chart(objs)
    assert [o["kind"] for o in applied] == ["ConfigMap", "MutatingWebhookConfiguration"]
    assert list(deployments) == ["istiod"]


def test_env_resolves_pod_fields_for_a_local_process():
    dep = deployment("kyverno-admission-controller", "kyverno", [], env=[
        {"name": "INIT_CONFIG", "value": "kyverno"},
        {"name": "KYVERNO_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
        {"name": "KYVERNO_POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "SA", "valueFrom": {"fieldRef": {"fieldPath": "spec.serviceAccountName"}}},
        {"name": "GOMAXPROCS", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu"}}},
    ], account="kyverno-admission-controller")
    env = lc.container_env(dep, dep["spec"]["template"]["spec"]["containers"][1], "x-local")
    assert env == {"INIT_CONFIG": "kyverno", "KYVERNO_NAMESPACE": "kyverno", "KYVERNO_POD_NAME": "x-local",
                   "SA": "kyverno-admission-controller"}
    bad = deployment("d", "c", [], env=[{"name": "X", "valueFrom": {"fieldRef": {"fieldPath": "metadata.uid"}}}])
    with pytest.raises(lc.LocalControllerError, match="metadata.uid"):
        lc.container_env(bad, bad["spec"]["template"]["spec"]["containers"][1], "x")


@pytest.mark.parametrize("name, chart_args", [
    ("istiod", ["discovery", "--monitoringAddr=:15014", "--domain", "cluster.local"]),
    ("kyverno-admission", ["--webhookServerPort=9443", "--metricsPort=8000",
                           "--controllerRuntimeMetricsAddress=:8080", "--servicePort=443"]),
    ("kyverno-background", ["--metricsPort=8000", "--disableMetrics=false"]),
])
def test_every_socket_binds_loopback_on_the_cluster_ports(name, chart_args, tmp_path):
    ctl = lc.CONTROLLERS[name]
    dep = deployment(ctl.deployment, ctl.container, chart_args)
    argv, env = lc.process(name, dep, Path("/bin/x"), PORTS, tmp_path / "k", tmp_path)
    assert argv[0] == "/bin/x" and argv[1:1 + len(chart_args)] == chart_args  # the chart's own arguments first
    flags = effective(argv)
    assert flags["--kubeconfig"] == str(tmp_path / "k")
    for flag in ADDRESS_FLAGS:
        if flag in flags and flags[flag] not in ("", "0"):
            assert flags[flag].startswith("127.0.0.1"), (flag, flags[flag])
    assert "0.0.0.0" not in " ".join(argv[1 + len(chart_args):])
    ports = {int(v.rsplit(":", 1)[1]) for k, v in flags.items() if k in ADDRESS_FLAGS and ":" in v}
    ports |= {int(flags[k]) for k in ("--metricsPort", "--webhookServerPort", "--ctrlz_port") if k in flags}
    assert ports <= set(PORTS.values())
    if name == "istiod":
        assert flags["--monitoringAddr"] == "" and flags["--grpcAddr"] == ""  # multiplexed on httpAddr
        assert env["KUBECONFIG"] == str(tmp_path / "k")
    if name == "kyverno-admission":
        assert flags["--serverIP"] == f"127.0.0.1:{PORTS['kyverno-webhook']}"
        assert flags["--webhookServerPort"] == str(PORTS["kyverno-webhook"])
        assert flags["--controllerRuntimeMetricsAddress"] == "0"


def test_the_api_server_reaches_the_webhooks_only_through_registered_loopback_targets():
    regs = lc.registrations(PORTS)
    assert all(local.startswith("127.0.0.1:") for _target, local, _note in regs)
    targets = {target for target, _local, _note in regs}
    assert targets == {f"127.0.0.1:{PORTS['kyverno-webhook']}", "istio-system/istiod:443"}


def test_values_come_from_the_roles_and_must_be_literal(tmp_path, monkeypatch):
    assert lc.role_values("kyverno", "kyverno_values")["admissionController"]["replicas"] == 3
    assert "meshConfig" in lc.role_values("istio", "istio_istiod_values")
    role = tmp_path / "demo" / "defaults"
    role.mkdir(parents=True)
    (role / "main.yml").write_text("demo_values:\n  x: \"{{ other }}\"\n")
    monkeypatch.setattr(lc, "ROLES", tmp_path)
    with pytest.raises(lc.LocalControllerError, match="Jinja"):
        lc.role_values("demo", "demo_values")
    with pytest.raises(lc.LocalControllerError, match="no mapping"):
        lc.role_values("demo", "missing_values")


def test_controllers_are_built_in_two_go_builds_cached_by_version(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENOVA_CACHE_DIR", str(tmp_path))
    kyverno = toolchain.BINARIES["kyverno-controllers"]
    istio = toolchain.BINARIES["istio"]
    assert kyverno.commands == ("kyverno", "background-controller")
    assert istio.commands == ("pilot-discovery", "istioctl")
    assert kyverno.path == tmp_path / "bin" / f"kyverno-controllers-{toolchain.KYVERNO_VERSION}" / "kyverno"
    assert istio.command("istioctl").parent.name == f"istio-{toolchain.ISTIO_VERSION}"
    assert "-X istio.io/istio/pkg/version.buildVersion=1.31-dev" in istio.ldflags
    # The Kyverno CLI keeps its own folder: its binary is also called kyverno.
    assert toolchain.BINARIES["kyverno"].path.parent != kyverno.path.parent
    for binary in (kyverno, istio):
        for command in binary.commands:
            binary.command(command).parent.mkdir(parents=True, exist_ok=True)
            binary.command(command).write_text("built")
        assert not binary.cached()  # no recipe yet
        (binary.path.parent / "recipe.json").write_text(binary.recipe)
        assert binary.cached()
        binary.command(binary.commands[-1]).unlink()
        assert not binary.cached()  # every command of the build must be there
    with pytest.raises(KeyError):
        istio.command("kubectl")


@pytest.mark.skipif(not toolchain.BINARIES["helm"].cached() or not lc.CHART_DIR.is_dir(),
                    reason="needs helm (python tools/toolchain.py helm) and ../shared/charts")
def test_the_real_charts_give_every_controller_its_deployment_and_the_webhook_configurations():
    objects, deployments = lc.render_all(toolchain.BINARIES["helm"].path)
    for ctl in lc.CONTROLLERS.values():
        assert ctl.deployment in deployments
    kinds = {(o["kind"], o["metadata"]["name"]) for o in objects}
    assert ("ConfigMap", "istio-sidecar-injector") in kinds and ("ConfigMap", "istio") in kinds
    assert ("ConfigMap", "kyverno") in kinds
    assert ("MutatingWebhookConfiguration", "istio-sidecar-injector") in kinds
    assert not {kind for kind, _name in kinds} & set(lc.NOT_APPLIED)
    for name in lc.CONTROLLERS:
        argv, _env = lc.process(name, deployments[lc.CONTROLLERS[name].deployment], Path("/bin/x"), PORTS,
                                Path("/k"), Path("/s"))
        flags = effective(argv)
        for flag in ADDRESS_FLAGS:
            if flags.get(flag) not in (None, "", "0"):
                assert flags[flag].startswith("127.0.0.1"), (name, flag, flags[flag])
