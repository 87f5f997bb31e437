"""Pure parts of the local cluster tool: pinned versions, node manifests,
named clusters and their port blocks, profiles, component command lines, the
egress registration API, the loopback report, and the pid-file rule that
`down` never signals a process it did not start."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tools"))

import devcluster  # noqa: E402
import localcontrollers  # noqa: E402
import toolchain  # noqa: E402


def test_staging_modules_follow_the_kubernetes_release():
    assert toolchain._k8s_staging("v1.36.3") == "v0.36.3"
    apiserver = toolchain.BINARIES["kube-apiserver"]
    assert apiserver.staging_replace == "v0.36.3"
    assert "-X k8s.io/component-base/version.gitVersion=v1.36.3" in apiserver.ldflags


def test_binaries_are_cached_by_version(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENOVA_CACHE_DIR", str(tmp_path))
    path = toolchain.BINARIES["etcd"].path
    assert path == tmp_path / "bin" / f"etcd-{toolchain.ETCD_VERSION}" / "etcd"
    path.parent.mkdir(parents=True)
    path.write_text("cached")
    (path.parent / "recipe.json").write_text(toolchain.BINARIES["etcd"].recipe)
    # A cached binary is returned as is: nothing is built, `go` is never called.
    monkeypatch.setattr(toolchain, "_go", lambda: pytest.fail("go must not run for a cached binary"))
    assert toolchain.build(toolchain.BINARIES["etcd"]) == path


def test_a_binary_from_another_recipe_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENOVA_CACHE_DIR", str(tmp_path))
    binary = toolchain.BINARIES["kube-apiserver"]
    binary.path.parent.mkdir(parents=True)
    binary.path.write_text("built without the version stamp")
    (binary.path.parent / "recipe.json").write_text("[]")
    assert not binary.cached()
    (binary.path.parent / "recipe.json").write_text(binary.recipe)
    assert binary.cached()


def test_helm_is_stamped_like_the_upstream_release():
    flags = toolchain.BINARIES["helm"].ldflags
    assert "-X helm.sh/helm/v3/internal/version.version=v3.19.5" in flags
    assert f"-X helm.sh/helm/v3/internal/version.gitCommit={toolchain.HELM_GIT_COMMIT}" in flags
    assert "-X helm.sh/helm/v3/internal/version.gitTreeState=clean" in flags
    for pkg in ("chartutil", "lint/rules"):
        assert f"-X helm.sh/helm/v3/pkg/{pkg}.k8sVersionMajor=1" in flags
        assert f"-X helm.sh/helm/v3/pkg/{pkg}.k8sVersionMinor=34" in flags


def test_nodes_span_three_zones_with_hostname_and_allocatable():
    items = [json.loads(doc) for doc in devcluster._nodes_manifest(3).split("\n---\n")]
    nodes = [i for i in items if i["kind"] == "Node"]
    assert len(nodes) == 3
    assert {n["metadata"]["labels"]["topology.kubernetes.io/zone"] for n in nodes} == {"zone-a", "zone-b", "zone-c"}
    for node in nodes:
        assert node["metadata"]["labels"]["kubernetes.io/hostname"] == node["metadata"]["name"]
        assert node["metadata"]["annotations"]["kwok.x-k8s.io/node"] == "fake"
        assert {"cpu", "memory", "pods"} <= set(node["status"]["allocatable"])
    default_sc = [i for i in items if i["kind"] == "StorageClass"]
    assert default_sc[0]["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"
    assert default_sc[0]["provisioner"] != "kubernetes.io/no-provisioner"


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENOVA_CACHE_DIR", str(tmp_path))
    for var in [v for v in os.environ if v.startswith("OPENOVA_") and v.endswith(("_PORT", "_PORT_BASE"))]:
        monkeypatch.delenv(var)
    monkeypatch.delenv("OPENOVA_CLUSTER", raising=False)
    return tmp_path


def test_default_cluster_keeps_its_ports_state_and_variables(cache, monkeypatch):
    cluster = devcluster.get_cluster()
    assert cluster.name == "default" and cluster.profile.name == "default"
    assert cluster.state == cache / "cluster"
    assert cluster.kubeconfig == cache / "cluster" / "admin.kubeconfig"
    assert {k: cluster.ports[k] for k in devcluster.LEGACY_PORTS} == {
        "etcd": 12379, "etcd-peer": 12380, "kube-apiserver": 16443, "kube-controller-manager": 20257,
        "kube-scheduler": 20259, "kwok": 20247}
    assert cluster.ports["egress-cluster"] == 16453 and cluster.ports["egress-controlplane"] == 16454
    monkeypatch.setenv("OPENOVA_APISERVER_PORT", "16543")
    monkeypatch.setenv("OPENOVA_EGRESS_CONTROLPLANE_PORT", "31000")
    moved = devcluster.get_cluster()
    assert moved.ports["kube-apiserver"] == 16543 and moved.ports["egress-cluster"] == 16553
    assert moved.ports["egress-controlplane"] == 31000
    monkeypatch.setenv("OPENOVA_ETCD_PORT", "http")
    with pytest.raises(devcluster.ClusterError, match="OPENOVA_ETCD_PORT"):
        devcluster.get_cluster()


def test_named_clusters_get_their_own_state_profile_and_port_block(cache, monkeypatch):
    monkeypatch.setenv("OPENOVA_APISERVER_PORT", "16543")  # a helper's port block
    platform = devcluster.get_cluster("platform", allocate=True)
    admission = devcluster.get_cluster("admission", allocate=True)
    assert platform.profile.name == "platform" and admission.profile.name == "admission"
    assert platform.state == cache / "clusters" / "platform"
    assert (platform.slot, admission.slot) == (1, 2)
    default = devcluster.get_cluster()
    blocks = [set(c.ports.values()) for c in (default, platform, admission)]
    assert not blocks[0] & blocks[1] and not blocks[1] & blocks[2] and not blocks[0] & blocks[2]
    # Everything stays inside the 100 ports of the block (16443 + 100 here), clear of the next one.
    for ports in blocks[1:]:
        assert all(16543 < p < 16643 for p in ports)
    assert len(platform.ports) == len(set(platform.ports.values()))
    # The slot is remembered; a named cluster may run another profile; env still wins.
    assert devcluster.get_cluster("platform").ports == platform.ports
    assert devcluster.get_cluster("scratch", "platform", allocate=True).profile.name == "platform"
    with pytest.raises(devcluster.ClusterError, match="port slots"):
        devcluster.get_cluster("fourth", allocate=True)
    monkeypatch.setenv("OPENOVA_FOURTH_PORT_BASE", "40000")
    fourth = devcluster.get_cluster("fourth")
    assert fourth.ports["etcd"] == 40000 and fourth.ports["kube-apiserver"] == 40002


def test_unknown_names_and_profiles_are_refused(cache):
    with pytest.raises(devcluster.ClusterError, match="cluster name"):
        devcluster.get_cluster("Platform_1")
    with pytest.raises(devcluster.ClusterError, match="unknown profile"):
        devcluster.get_cluster("default", "prod")
    with pytest.raises(devcluster.ClusterError, match="no cluster 'never'"):
        devcluster.get_cluster("never")


def test_profiles_say_what_they_simulate_and_differ_as_documented():
    default, platform, admission = (devcluster.PROFILES[n] for n in ("default", "platform", "admission"))
    assert default.allows_crds and not platform.allows_crds and admission.allows_crds
    assert not default.crds and not platform.crds and {"kyverno", "istio"} <= set(admission.crds)
    assert default.webhook_admission and not platform.webhook_admission and admission.webhook_admission
    for profile in (default, platform, admission):
        assert profile.simulates
        assert {"egress-proxy", "apiserver-sockets"} <= set(profile.components)
    assert {"lb-controller", "volume-provisioner", "kwok-stages"} <= set(platform.components)
    assert set(platform.components) <= set(admission.components)
    assert not {"lb-controller", "volume-provisioner", "kwok-stages"} & set(default.components)


def _cluster(profile, cache_dir):
    return devcluster.Cluster("t", devcluster.PROFILES[profile], devcluster.block_ports(30000),
                              cache_dir / "clusters" / "t", 1)


def test_components_listen_on_loopback_only_and_the_api_server_uses_the_egress_proxy(cache):
    cluster = _cluster("default", cache)
    args = {name: devcluster.COMPONENTS[name].argv(cluster) for name in devcluster.components_of(cluster)}
    joined = " ".join(a for flags in args.values() for a in flags)
    assert "--bind-address=127.0.0.1" in args["kube-apiserver"]
    assert "--authorization-mode=Node,RBAC" in args["kube-apiserver"]
    assert "0.0.0.0" not in joined
    for flag in ("--listen-client-urls=", "--listen-peer-urls="):
        value = next(a for a in args["etcd"] if a.startswith(flag))
        assert value.startswith(flag + "https://127.0.0.1:")
    assert f"--egress-selector-config-file={cluster.egress_dir / 'egress-selector.json'}" in args["kube-apiserver"]
    assert not any(a.startswith("--disable-admission-plugins") for a in args["kube-apiserver"])
    assert f"--config={cluster.state / 'kwok.yaml'}" in args["kwok"]
    proxy = args["egress-proxy"]
    assert proxy[proxy.index("--cluster-port") + 1] == str(cluster.ports["egress-cluster"])


def test_the_platform_profile_turns_webhook_admission_off_and_kwok_stages_into_objects(cache):
    cluster = _cluster("platform", cache)
    apiserver = devcluster.COMPONENTS["kube-apiserver"].argv(cluster)
    assert "--disable-admission-plugins=MutatingAdmissionWebhook,ValidatingAdmissionWebhook" in apiserver
    kwok = devcluster.COMPONENTS["kwok"].argv(cluster)
    assert "--enable-crds=Stage" in kwok and not any(a.startswith("--config") for a in kwok)
    assert devcluster.components_of(cluster)[-4:] == ["lb-controller", "volume-provisioner", "kwok-stages",
                                                      "job-standins"]


def test_pid_file_only_matches_the_process_that_was_started(cache):
    cluster = _cluster("default", cache)
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        pidfile = cluster.pidfile("etcd")
        pidfile.parent.mkdir(parents=True)
        # A pid file whose pid now belongs to another program is ignored ...
        pidfile.write_text(f"{sleeper.pid}\n/nonexistent/etcd\n")
        assert devcluster._running_pid(cluster, "etcd") is None
        assert devcluster._stop(cluster, "etcd") is False
        assert sleeper.poll() is None  # ... and that program is never signalled
        # A Python component is recognised by its script, not only by the interpreter.
        exe = os.readlink(f"/proc/{sleeper.pid}/exe")
        pidfile.write_text(f"{sleeper.pid}\n{exe}\nhash\n/repo/tools/egress.py\n")
        assert devcluster._running_pid(cluster, "etcd") is None
        # ... while the recorded binary is recognised and stopped.
        pidfile.write_text(f"{sleeper.pid}\n{exe}\nhash\n\n")
        assert devcluster._running_pid(cluster, "etcd") == sleeper.pid
        assert devcluster._stop(cluster, "etcd") is True
        assert sleeper.wait(timeout=10) is not None
    finally:
        if sleeper.poll() is None:
            sleeper.kill()


def test_egress_registrations_through_the_devcluster_api(cache):
    cluster = _cluster("default", cache)
    reg = devcluster.register_egress("istio-system/istiod:443", "127.0.0.1:15017", "istiod", cluster=cluster)
    assert reg["target"] == "istio-system/istiod:443" and reg["local"] == "127.0.0.1:15017"
    assert [r["target"] for r in devcluster.egress_registrations(cluster=cluster)] == ["istio-system/istiod:443"]
    with pytest.raises(devcluster.ClusterError, match="connects only to 127.0.0.1"):
        devcluster.register_egress("a/b:443", "10.0.0.1:443", cluster=cluster)
    assert devcluster.unregister_egress("istio-system/istiod:443", cluster=cluster) is True
    assert devcluster.egress_registrations(cluster=cluster) == []


def test_the_loopback_report_fails_without_a_running_sampler_and_on_any_outside_address(cache):
    cluster = _cluster("default", cache)
    report = devcluster.loopback_report(cluster=cluster)
    assert not report["ok"] and "sampler is not running" in report["summary"]
    cluster.sockets_file.parent.mkdir(parents=True)
    cluster.sockets_file.write_text(json.dumps({"samples": 5, "last_sample": devcluster.now(), "remotes": {
        "tcp out 203.0.113.9:443": {"proto": "tcp", "address": "203.0.113.9", "port": 443, "direction": "out",
                                    "loopback": False, "first_seen": "a", "last_seen": devcluster.now(),
                                    "sightings": 1}}}))
    report = devcluster.loopback_report(cluster=cluster)
    assert "203.0.113.9:443" in report["summary"] and not report["ok"]
    with pytest.raises(devcluster.LoopbackViolation):
        devcluster.assert_loopback_only(cluster=cluster)


def test_the_admission_profile_adds_its_controllers_and_ports_without_moving_the_others(cache):
    names = devcluster.port_names()
    assert len(names) <= devcluster.BLOCK_SIZE
    assert names[:len(devcluster.BASE_PORTS)] == list(devcluster.BASE_PORTS)
    assert names[len(devcluster.BASE_PORTS):] == list(localcontrollers.PORT_NAMES)
    default = devcluster.default_ports()
    assert [default[n] for n in ("kube-apiserver", "egress-cluster", "egress-controlplane")] == [16443, 16453, 16454]
    cluster = _cluster("admission", cache)
    assert devcluster.components_of(cluster)[-3:] == list(localcontrollers.ORDER)
    assert not set(localcontrollers.ORDER) & set(devcluster.components_of(_cluster("platform", cache)))
    for name in localcontrollers.ORDER:
        comp = devcluster.COMPONENTS[name]
        assert comp.ready is not None and comp.port in localcontrollers.PORT_NAMES and comp.env and comp.cwd
        # Not prepared yet: a ClusterError that says how to prepare, no traceback.
        with pytest.raises(devcluster.ClusterError, match="not prepared"):
            comp.argv(cluster)


def test_a_local_controller_runs_with_its_environment_in_its_working_directory(cache):
    cluster = _cluster("admission", cache)
    folder = localcontrollers.admission_dir(cluster.state)
    folder.mkdir(parents=True)
    container = {"name": "kyverno", "args": ["--sleep"], "env": [{"name": "FROM_CHART", "value": "yes"}]}
    deployment = {"metadata": {"name": "kyverno-admission-controller", "namespace": "kyverno"},
                  "spec": {"template": {"spec": {"containers": [container]}}}}
    (folder / "deployments.json").write_text(json.dumps({"kyverno-admission-controller": deployment}))
    comp = devcluster.COMPONENTS["kyverno-admission"]
    argv, env = comp.argv(cluster), comp.env(cluster)
    assert f"--webhookServerPort={cluster.ports['kyverno-webhook']}" in argv
    assert env["FROM_CHART"] == "yes" and env["TUF_ROOT"].startswith(str(folder))
    assert comp.cwd(cluster) == localcontrollers.workdir("kyverno-admission", cluster.state)
    # The hash of a component without an environment is what it always was; an environment counts.
    assert devcluster._argv_hash(argv, {}) == devcluster._argv_hash(argv)
    assert devcluster._argv_hash(argv, env) != devcluster._argv_hash(argv)
    assert devcluster._argv_hash(argv, env) != devcluster._argv_hash(argv, dict(env, FROM_CHART="no"))


def test_start_passes_the_environment_and_working_directory(cache):
    cluster = _cluster("admission", cache)
    work = cache / "work"
    comp = devcluster.Component("probe", lambda c: [], "test", env=lambda c: {"PROBE": "1"}, cwd=lambda c: work)
    argv = ["/bin/sh", "-c", 'echo "$PROBE $PWD"']
    pid = devcluster._start(cluster, comp, argv, comp.env(cluster))
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and not devcluster._is_zombie(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert cluster.logfile("probe").read_text().strip() == f"1 {work}"
    assert devcluster._read_pidfile(cluster, "probe")["hash"] == devcluster._argv_hash(argv, {"PROBE": "1"})
