"""Table-driven cases for each rule's offline check (plugins/module_utils/guardrails/rules.py)."""

import copy

import pytest

from ansible_collections.openova.platform.plugins.module_utils.guardrails import rules
from ansible_collections.openova.platform.plugins.module_utils.guardrails.rules import Params


def c(name="app", **over):
    base = {
        "name": name, "image": "harbor.openova.io/acme/%s:1" % name,
        "resources": {"requests": {"cpu": "1", "memory": "1Mi"}, "limits": {"cpu": "1", "memory": "1Mi"}},
        "livenessProbe": {"exec": {"command": ["true"]}}, "readinessProbe": {"exec": {"command": ["true"]}},
        "securityContext": {"runAsNonRoot": True, "readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False},
    }
    base.update(over)
    return base


def spec(*containers, **extra):
    out = {"containers": list(containers) or [c()],
           "topologySpreadConstraints": [{"topologyKey": "kubernetes.io/hostname", "maxSkew": 1}]}
    out.update(extra)
    return out


P = Params(tenant="acme")
DROP = {"capabilities": {"drop": ["ALL"]}}
ADD_NET_ADMIN = {"capabilities": {"drop": ["ALL"], "add": ["NET_ADMIN"]}}
PSA_OK = spec(c(securityContext=DROP), securityContext={"seccompProfile": {"type": "RuntimeDefault"}})

CASES = [
    # (rule check, pod spec, pod metadata, params, expected violation paths)
    ("check_requests_limits", spec(), {}, P, []),
    ("check_requests_limits", spec(c(resources={"requests": {"cpu": "1", "memory": "1Mi"}})), {}, P,
     ["spec.containers[0].resources"]),
    ("check_requests_limits", spec(c(), initContainers=[c("init", resources={})]), {}, P,
     ["spec.initContainers[0].resources"]),
    ("check_requests_limits", spec(c(resources={"requests": {"cpu": 0, "memory": "1Mi"},
                                                "limits": {"cpu": "1", "memory": "1Mi"}})), {}, P, []),
    ("check_requests_limits", spec(c(resources={"requests": {"cpu": "", "memory": "1Mi"},
                                                "limits": {"cpu": "1", "memory": "1Mi"}})), {}, P,
     ["spec.containers[0].resources"]),
    ("check_probes", spec(c(), c("side", readinessProbe=None)), {}, P, ["spec.containers[1].readinessProbe"]),
    ("check_probes", spec(c(livenessProbe={})), {}, P, ["spec.containers[0].livenessProbe"]),
    ("check_probes", spec(c(), c("istio-proxy", livenessProbe=None)), {}, P, []),
    ("check_probes", spec(c(), initContainers=[c("init", livenessProbe=None, readinessProbe=None)]), {}, P, []),
    ("check_topology_spread", spec(topologySpreadConstraints=None), {}, P, ["spec.topologySpreadConstraints"]),
    ("check_topology_spread", spec(), {}, Params(tenant="acme", zone_spread=True), ["spec.topologySpreadConstraints"]),
    ("check_topology_spread", spec(topologySpreadConstraints=[{"topologyKey": "kubernetes.io/hostname"},
                                                              {"topologyKey": "topology.kubernetes.io/zone"}]),
     {}, Params(tenant="acme", zone_spread=True), []),
    ("check_security_context", spec(), {}, P, []),
    ("check_security_context", spec(c(securityContext={"readOnlyRootFilesystem": True}),
                                    securityContext={"runAsNonRoot": True}), {}, P, []),
    ("check_security_context", spec(c(securityContext={"readOnlyRootFilesystem": True, "runAsNonRoot": False}),
                                    securityContext={"runAsNonRoot": True}), {}, P,
     ["spec.containers[0].securityContext.runAsNonRoot"]),
    ("check_security_context", spec(c(securityContext={"runAsNonRoot": True})), {}, P,
     ["spec.containers[0].securityContext.readOnlyRootFilesystem"]),
    ("check_security_context", spec(c(securityContext={"runAsNonRoot": True, "readOnlyRootFilesystem": True,
                                                       "allowPrivilegeEscalation": True})), {}, P,
     ["spec.containers[0].securityContext.allowPrivilegeEscalation"]),
    ("check_images", spec(c(image="harbor.openova.io/acme/x@sha256:abc")), {}, P, []),
    ("check_images", spec(c(image="harbor.openova.io/acmex/x:1")), {}, P, ["spec.containers[0].image"]),
    ("check_images", spec(c(image="nginx")), {}, P, ["spec.containers[0].image"]),
    ("check_images", spec(c(image=None)), {}, P, ["spec.containers[0].image"]),
    ("check_images", spec(c(), c("istio-proxy", image="docker.io/istio/proxyv2:1.28.0")), {}, P, []),
    ("check_images", spec(c(image="registry.example/acme/x:1")), {}, Params(tenant="acme", registry="registry.example"),
     []),
    ("check_host_access", spec(hostNetwork=True, hostPID=True), {}, P, ["spec.hostNetwork", "spec.hostPID"]),
    ("check_host_access", spec(volumes=[{"name": "a", "emptyDir": {}}, {"name": "h", "hostPath": {"path": "/"}}]),
     {}, P, ["spec.volumes[1].hostPath"]),
    ("check_host_access", spec(c(securityContext={"privileged": True})), {}, P,
     ["spec.containers[0].securityContext.privileged"]),
    ("check_host_access", spec(hostNetwork=False), {}, P, []),
    ("check_sidecar_injection", spec(), {"annotations": {"sidecar.istio.io/inject": "false"}}, P,
     ["metadata.annotations[sidecar.istio.io/inject]"]),
    ("check_sidecar_injection", spec(), {"labels": {"sidecar.istio.io/inject": "Off"}}, P,
     ["metadata.labels[sidecar.istio.io/inject]"]),
    ("check_sidecar_injection", spec(), {"annotations": {"sidecar.istio.io/inject": "TRUE"}}, P, []),
    ("check_sidecar_injection", spec(), {"annotations": {"sidecar.istio.io/inject": ""}}, P, []),
    # pod-security-restricted judges the defaulted pod (seccomp and drop ALL already set)
    ("check_pod_security", PSA_OK, {}, P, []),
    ("check_pod_security", dict(PSA_OK, securityContext={"seccompProfile": {"type": "Unconfined"}}), {}, P,
     ["spec.securityContext.seccompProfile.type"]),
    ("check_pod_security", dict(PSA_OK, securityContext={"seccompProfile": {"type": "RuntimeDefault"},
                                                         "runAsUser": 0}), {}, P, ["spec.securityContext.runAsUser"]),
    ("check_pod_security", dict(PSA_OK, securityContext={"seccompProfile": {"type": "RuntimeDefault"},
                                                         "runAsUser": False}), {}, P, []),
    ("check_pod_security", dict(PSA_OK, volumes=[{"name": "a", "emptyDir": {}}, {"name": "b", "nfs": {}}]), {}, P,
     ["spec.volumes[1]"]),
    ("check_pod_security", dict(PSA_OK, volumes=[{"name": "h", "hostPath": {"path": "/"}}]), {}, P, []),
    ("check_pod_security", dict(PSA_OK, containers=[c(securityContext=ADD_NET_ADMIN)]),
     {}, P, ["spec.containers[0].securityContext.capabilities.add"]),
    ("check_pod_security", dict(PSA_OK, containers=[c(securityContext={"capabilities": {"drop": ["NET_RAW"]}})]),
     {}, P, ["spec.containers[0].securityContext.capabilities.drop"]),
    ("check_pod_security", dict(PSA_OK, containers=[c(securityContext=dict(DROP, runAsUser=0))]), {}, P,
     ["spec.containers[0].securityContext.runAsUser"]),
    ("check_pod_security", dict(PSA_OK, containers=[c(securityContext=DROP, ports=[{"hostPort": 0},
                                                                                   {"hostPort": 80}])]), {}, P,
     ["spec.containers[0].ports[1].hostPort"]),
    ("check_pod_security", dict(PSA_OK, containers=[c(securityContext=dict(DROP, procMount="Unmasked"))]), {}, P,
     ["spec.containers[0].securityContext.procMount"]),
    ("check_pod_security", dict(PSA_OK, securityContext={"seccompProfile": {"type": "Localhost"},
                                                         "sysctls": [{"name": "net.ipv4.tcp_syncookies"},
                                                                     {"name": "kernel.msgmax"}]}), {}, P,
     ["spec.securityContext.sysctls[1]"]),
]


@pytest.mark.parametrize("check, pod_spec, meta, params, paths", CASES)
def test_rule_checks(check, pod_spec, meta, params, paths):
    found = getattr(rules, check)(copy.deepcopy(pod_spec), meta, "spec", params, params.tenant)
    assert [v[0] for v in found] == paths
    assert all(v[1] for v in found)


def test_template_paths_use_the_prefix():
    found = rules.check_sidecar_injection({}, {"annotations": {"sidecar.istio.io/inject": "false"}},
                                          "spec.jobTemplate.spec.template.spec", P, "acme")
    assert found[0][0] == "spec.jobTemplate.spec.template.metadata.annotations[sidecar.istio.io/inject]"


@pytest.mark.parametrize("pattern, value, ok", [
    ("harbor.openova.io/acme/*", "harbor.openova.io/acme/a/b:1", True),
    ("harbor.openova.io/acme/*", "harbor.openova.io/acme", False),
    ("a?c", "abc", True),
    ("a.c", "abc", False),
])
def test_wildcard(pattern, value, ok):
    assert rules.wildcard_match(pattern, value) is ok


@pytest.mark.parametrize("obj, needed", [
    ({"kind": "Deployment", "spec": {"replicas": 2}}, True),
    ({"kind": "Deployment", "spec": {}}, False),
    ({"kind": "StatefulSet", "spec": {"replicas": 1}}, False),
    ({"kind": "DaemonSet", "spec": {"replicas": 5}}, False),
    ({"kind": "Deployment", "spec": {"replicas": "3"}}, False),
])
def test_needs_pdb(obj, needed):
    assert rules.needs_pdb(obj) is needed


def test_pdb_selects_same_namespace_and_subset_only():
    pdb = {"metadata": {"namespace": "a"}, "spec": {"selector": {"matchLabels": {"app": "x"}}}}
    assert rules.pdb_selects(pdb, "a", {"app": "x", "tier": "web"})
    assert not rules.pdb_selects(pdb, "b", {"app": "x"})
    assert not rules.pdb_selects(pdb, "a", {"app": "y"})
    empty = {"metadata": {"namespace": "a"}, "spec": {"selector": {"matchLabels": {}}}}
    assert not rules.pdb_selects(empty, "a", {"app": "x"})


def test_rule_ids_are_unique_and_numbered_like_the_issue():
    assert len(set(rules.RULE_IDS)) == len(rules.RULE_IDS) == 10
    assert sorted(r.number for r in rules.POD_RULES) == [1, 2, 4, 5, 6, 7, 8, 9, 10]  # 3 is require-pdb
    assert sorted(r.number for r in rules.OBJECT_RULES) == [11, 12]
    assert not set(rules.OBJECT_RULE_IDS) & set(rules.RULE_IDS)


@pytest.mark.parametrize("name, paths", [
    (None, []), ("", []), ("openova-tenant", []),
    ("system-node-critical", ["spec.priorityClassName"]), ("system-cluster-critical", ["spec.priorityClassName"]),
    ("openova-platform-critical", ["spec.priorityClassName"]), ("openova-platform", ["spec.priorityClassName"]),
])
def test_priority_class(name, paths):
    found = rules.check_priority_class(spec(priorityClassName=name), {}, "spec", P, "acme")
    assert [v[0] for v in found] == paths


def vs(hosts=("shop.acme.openova.io",), gateways=("istio-ingress/openova-ingress",), dest="shop", **extra):
    out = {"kind": "VirtualService", "spec": {"hosts": list(hosts), "http": [
        {"route": [{"destination": {"host": dest}}]}]}}
    if gateways is not None:
        out["spec"]["gateways"] = list(gateways)
    out["spec"].update(extra)
    return out


NS = ["acme-dev", "acme-prod"]
VS_CASES = [
    (vs(), []),
    (vs(hosts=["acme.openova.io", "*.acme.openova.io", "a.b.acme.openova.io"]), []),
    (vs(hosts=["shop", "shop.acme-prod", "shop.acme-dev.svc", "shop.acme-dev.svc.cluster.local"], gateways=None), []),
    (vs(gateways=["mesh", "istio-ingress/openova-ingress"]), []),
    (vs(gateways=["openova-ingress"]), ["spec.gateways[0]"]),
    (vs(gateways=["istio-ingress/other"]), ["spec.gateways[0]"]),
    (vs(hosts=["grafana.openova.io"]), ["spec.hosts[0]"]),
    (vs(hosts=["harbor.openova.io", "shop.acme.openova.io"]), ["spec.hosts[0]"]),
    (vs(hosts=["shop.globex.openova.io"]), ["spec.hosts[0]"]),
    (vs(hosts=["*.openova.io"]), ["spec.hosts[0]"]),
    (vs(hosts=["*"]), ["spec.hosts[0]"]),
    (vs(hosts=["acme.openova.io.evil.example"]), ["spec.hosts[0]"]),
    (vs(hosts=["db.globex.svc.cluster.local"]), ["spec.hosts[0]"]),
    (vs(dest="db.globex.svc.cluster.local"), ["spec.http[0].route[0].destination.host"]),
    (vs(dest="db.globex"), ["spec.http[0].route[0].destination.host"]),
    (vs(dest="shop.acme.openova.io"), ["spec.http[0].route[0].destination.host"]),  # a host name, not a service
    (vs(dest="api.acme-prod.svc.cluster.local"), []),
    (vs(tcp=[{"route": [{"destination": {"host": "x.globex.svc"}}]}]), ["spec.tcp[0].route[0].destination.host"]),
    (vs(tls=[{"route": [{"destination": {"host": "x.acme-dev"}}]}]), []),
    (vs(http=[{"route": [{"destination": {"host": "shop"}}], "mirror": {"host": "spy.globex"}}]),
     ["spec.http[0].mirror.host"]),
    (vs(http=[{"route": [{"destination": {"host": "shop"}}], "mirrors": [{"destination": {"host": "spy.globex"}}]}]),
     ["spec.http[0].mirrors[0].destination.host"]),
    (vs(http=[{"delegate": {"name": "r", "namespace": "globex"}}]), ["spec.http[0].delegate.namespace"]),
    (vs(http=[{"delegate": {"name": "r", "namespace": "acme-prod"}}]), []),
]


@pytest.mark.parametrize("obj, paths", VS_CASES)
def test_virtual_service(obj, paths):
    found = rules.check_virtual_service(obj, P, "acme", NS)
    assert [v[0] for v in found] == paths
    assert all(v[1] for v in found)


def test_virtual_service_follows_the_domain():
    params = Params(tenant="acme", domain="example.com")
    assert rules.check_virtual_service(vs(hosts=["shop.acme.example.com"]), params, "acme", NS) == []
    assert rules.check_virtual_service(vs(), params, "acme", NS)[0][0] == "spec.hosts[0]"


@pytest.mark.parametrize("body, paths", [
    ({"type": "ClusterIP", "ports": [{"port": 80}]}, []),
    ({"clusterIP": "None"}, []),
    ({"type": "LoadBalancer"}, []),  # counted by the namespace's ResourceQuota instead
    ({"externalIPs": ["203.0.113.1"]}, ["spec.externalIPs"]),
    ({"externalIPs": []}, []),
    ({"type": "ExternalName", "externalName": "grafana.openova.io"}, ["spec.type"]),
])
def test_service(body, paths):
    assert [v[0] for v in rules.check_service({"kind": "Service", "spec": body}, P, "acme", NS)] == paths


@pytest.mark.parametrize("restart_policy, long_running", [
    (None, True), ("", True), ("Always", True), ("Never", False), ("OnFailure", False), (0, False),
])
def test_long_running_follows_the_restart_policy_like_the_kyverno_precondition(restart_policy, long_running):
    pod_spec = spec() if restart_policy is None else spec(restartPolicy=restart_policy)
    assert rules.is_long_running(pod_spec) is long_running


def test_only_probes_and_topology_spread_are_for_long_running_pods():
    scoped = sorted(r.id for r in rules.POD_RULES if r.scope == rules.LONG_RUNNING)
    assert scoped == ["require-probes", "require-topology-spread"]
    job_pod = spec(restartPolicy="Never")
    assert [r.id for r in rules.POD_RULES if not r.applies_to("Job", job_pod)] == scoped
    assert all(r.applies_to("Deployment", spec()) for r in rules.POD_RULES)
    # require-pdb never applies to Jobs or CronJobs, whatever their parallelism.
    assert not rules.needs_pdb({"kind": "Job", "spec": {"parallelism": 3}})


def test_requests_and_limits_judge_templates_not_pods():
    """A Pod gets what it lacks from the namespace's LimitRange before any webhook sees it."""
    rule = [r for r in rules.POD_RULES if r.id == "require-requests-limits"][0]
    assert not rule.applies_to("Pod", spec())
    assert all(rule.applies_to(kind, spec()) for kind in rules.POD_KINDS if kind != "Pod")
    assert [r.id for r in rules.POD_RULES if not r.bare_pods] == ["require-requests-limits"]
