"""The guard-rail fixture corpus as data: compliant workloads of every pod kind, and
variants that each break exactly ONE rule. `generate.py` writes them to fixtures/ and
builds the Kyverno CLI suites whose expected results come from these labels alone."""

import copy

NAMESPACE = "acme-dev"
TENANT = "acme"
EXPECT = "guardrails.openova.io/expect"  # compliant | exempt | <rule id>
REG = "harbor.openova.io/acme"
# The namespaces the Kyverno CLI suite's API responses describe: two of the tenant's, another tenant's, a platform one.
CLUSTER_NAMESPACES = {
    "acme-dev": {"openova.io/tenant": TENANT}, "acme-prod": {"openova.io/tenant": TENANT},
    "globex": {"openova.io/tenant": "globex"}, "openova-observability": {"openova.io/platform": "true"},
}
TENANT_NAMESPACES = sorted(n for n, labels in CLUSTER_NAMESPACES.items() if labels.get("openova.io/tenant") == TENANT)


def container(name, image=None, **extra):
    c = {
        "name": name,
        "image": image or "%s/%s:1.0.0" % (REG, name),
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                      "limits": {"cpu": "500m", "memory": "512Mi"}},
        "livenessProbe": {"httpGet": {"path": "/health", "port": 8080}},
        "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}},
        "securityContext": {"runAsNonRoot": True, "readOnlyRootFilesystem": True,
                            "allowPrivilegeEscalation": False},
    }
    c.update(extra)
    return c


def init_container(name, **extra):
    c = container(name, **extra)
    del c["livenessProbe"], c["readinessProbe"]
    return c


SPREAD = [{"maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "ScheduleAnyway"}]


def pod_spec(containers, init=None, **extra):
    spec = {"containers": containers, "topologySpreadConstraints": copy.deepcopy(SPREAD)}
    if init:
        spec["initContainers"] = init
    spec.update(extra)
    return spec


def workload(kind, name, spec, expect="compliant", replicas=None, annotations=None, labels=None,
             namespace=NAMESPACE):
    """A pod object of ``kind`` around a pod spec, labelled with what it should break."""
    pod_labels = {"app": name}
    pod_labels.update(labels or {})
    pod_meta = {"labels": pod_labels}
    if annotations:
        pod_meta["annotations"] = annotations
    meta = {"name": name, "namespace": namespace, "annotations": {EXPECT: expect}}
    if kind == "Pod":
        meta["labels"] = pod_meta["labels"]
        if annotations:
            meta["annotations"].update(annotations)
        return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}
    template = {"metadata": pod_meta, "spec": spec}
    if kind in ("Job", "CronJob"):
        spec.setdefault("restartPolicy", "Never")
        job = {"template": template}
        if kind == "Job":
            return {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": job}
        return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": meta,
                "spec": {"schedule": "*/15 * * * *", "jobTemplate": {"spec": job}}}
    body = {"selector": {"matchLabels": {"app": name}}, "template": template}
    if kind in ("Deployment", "StatefulSet"):
        body["replicas"] = 2 if replicas is None else replicas
    if kind == "StatefulSet":
        body["serviceName"] = name
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": meta, "spec": body}


def pdb(name, app, namespace=NAMESPACE):
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": app}}}}


def with_pdb(obj):
    """Deployments/StatefulSets with replicas > 1 ship their PDB in the same file."""
    if obj["kind"] in ("Deployment", "StatefulSet") and (obj["spec"].get("replicas") or 1) > 1:
        return [obj, pdb(obj["metadata"]["name"] + "-pdb", obj["metadata"]["name"])]
    return [obj]


def adr_example():
    """The ADR-001 example Deployment, as written, plus the selector and pod labels that
    apps/v1 requires and a PDB. It lacks allowPrivilegeEscalation, seccompProfile and the
    capability drop; the platform's mutate policy adds those."""
    c = container("my-service", image="%s/my-service:v1.0.0" % REG)
    c["securityContext"] = {"runAsNonRoot": True, "readOnlyRootFilesystem": True}
    obj = workload("Deployment", "my-service", {"containers": [c], "topologySpreadConstraints": copy.deepcopy(SPREAD)},
                   replicas=2)
    return [obj, pdb("my-service-pdb", "my-service")]


def _mod(obj, fn):
    fn(obj)
    return obj


def _c(spec, i=0, init=False):
    return spec["initContainers" if init else "containers"][i]


def fixtures():
    """name -> list of documents (the first is the object under test)."""
    C, I = container, init_container
    f = {}

    def add(name, *docs):
        assert name not in f, name
        f[name] = list(docs)

    # ------------------------------------------------------------ compliant
    add("adr-example", *adr_example())
    add("deploy-compliant", *with_pdb(workload("Deployment", "deploy-compliant", pod_spec([C("app")]))))
    add("deploy-single-replica", workload("Deployment", "deploy-single-replica", pod_spec([C("app")]), replicas=1))
    add("deploy-init-sidecar", *with_pdb(workload(
        "Deployment", "deploy-init-sidecar", pod_spec([C("app"), C("log-shipper")], init=[I("migrate")]))))
    add("sts-compliant", *with_pdb(workload("StatefulSet", "sts-compliant", pod_spec([C("db")]), replicas=3)))
    add("ds-compliant", workload("DaemonSet", "ds-compliant", pod_spec([C("agent")])))
    add("job-compliant", workload("Job", "job-compliant", pod_spec([C("batch")], init=[I("fetch")])))
    add("cronjob-compliant", workload("CronJob", "cronjob-compliant", pod_spec([C("report"), C("uploader")])))
    add("pod-compliant", workload("Pod", "pod-compliant", pod_spec([C("app")])))
    add("pod-level-nonroot", workload("Pod", "pod-level-nonroot", _mod(
        pod_spec([C("app"), C("helper")], securityContext={"runAsNonRoot": True}),
        lambda s: [c["securityContext"].pop("runAsNonRoot") for c in s["containers"]])))
    add("pod-native-sidecar", workload("Pod", "pod-native-sidecar", pod_spec(
        [C("app")], init=[I("proxy", restartPolicy="Always")])))
    add("deploy-inject-true", *with_pdb(workload("Deployment", "deploy-inject-true", pod_spec([C("app")]),
                                                 annotations={"sidecar.istio.io/inject": "true"})))
    add("deploy-zero-cpu-request", *with_pdb(workload("Deployment", "deploy-zero-cpu-request", _mod(
        pod_spec([C("app")]), lambda s: s["containers"][0]["resources"]["requests"].update(cpu=0)))))
    add("platform-ns-exempt", workload("Deployment", "platform-ns-exempt", pod_spec([C("x", image="docker.io/x:1")]),
                                       expect="exempt", replicas=1, namespace="istio-system"))
    # Run-to-completion pods need no probes and no topology spread (the rules skip them).
    add("job-no-probes", workload("Job", "job-no-probes", _mod(
        pod_spec([C("batch")]), lambda s: [s["containers"][0].pop(k) for k in ("livenessProbe", "readinessProbe")])))
    add("cronjob-no-readiness", workload("CronJob", "cronjob-no-readiness", _mod(
        pod_spec([C("report"), C("uploader")]), lambda s: s["containers"][0].pop("readinessProbe"))))
    add("job-no-spread", workload("Job", "job-no-spread", _mod(
        pod_spec([C("batch")]), lambda s: s.pop("topologySpreadConstraints"))))
    add("cronjob-empty-spread", workload("CronJob", "cronjob-empty-spread", _mod(
        pod_spec([C("report")]), lambda s: s.update(topologySpreadConstraints=[]))))
    add("pod-run-once", workload("Pod", "pod-run-once", _mod(
        pod_spec([C("task")], restartPolicy="OnFailure"),
        lambda s: [s.pop("topologySpreadConstraints")] + [s["containers"][0].pop(k)
                                                          for k in ("livenessProbe", "readinessProbe")])))

    # ------------------------------------------------------------ require-requests-limits
    r = "require-requests-limits"
    add("deploy-no-cpu-limit", *with_pdb(workload("Deployment", "deploy-no-cpu-limit", _mod(
        pod_spec([C("app")]), lambda s: s["containers"][0]["resources"]["limits"].pop("cpu")), expect=r)))
    add("sts-init-no-memory-request", *with_pdb(workload("StatefulSet", "sts-init-no-memory-request", _mod(
        pod_spec([C("db")], init=[I("init")]),
        lambda s: s["initContainers"][0]["resources"]["requests"].pop("memory")), expect=r)))
    add("cronjob-no-resources", workload("CronJob", "cronjob-no-resources", _mod(
        pod_spec([C("report")]), lambda s: s["containers"][0].pop("resources")), expect=r))
    add("rs-sidecar-no-limits", workload("ReplicaSet", "rs-sidecar-no-limits", _mod(
        pod_spec([C("app"), C("sidecar")]), lambda s: s["containers"][1]["resources"].pop("limits")), expect=r))
    # A Pod gets what it lacks from the namespace's LimitRange before admission: the rule skips it.
    add("pod-sidecar-no-limits", workload("Pod", "pod-sidecar-no-limits", _mod(
        pod_spec([C("app"), C("sidecar")]), lambda s: s["containers"][1]["resources"].pop("limits"))))
    add("ds-no-requests", workload("DaemonSet", "ds-no-requests", _mod(
        pod_spec([C("agent")]), lambda s: s["containers"][0]["resources"].pop("requests")), expect=r))

    # ------------------------------------------------------------ require-probes
    r = "require-probes"
    add("deploy-sidecar-no-readiness", *with_pdb(workload("Deployment", "deploy-sidecar-no-readiness", _mod(
        pod_spec([C("app"), C("sidecar")]), lambda s: s["containers"][1].pop("readinessProbe")), expect=r)))
    add("sts-no-liveness", *with_pdb(workload("StatefulSet", "sts-no-liveness", _mod(
        pod_spec([C("db")]), lambda s: s["containers"][0].pop("livenessProbe")), expect=r)))
    add("ds-no-probes", workload("DaemonSet", "ds-no-probes", _mod(
        pod_spec([C("agent")]), lambda s: [s["containers"][0].pop(k) for k in ("livenessProbe", "readinessProbe")]),
        expect=r))
    add("pod-liveness-only", workload("Pod", "pod-liveness-only", _mod(
        pod_spec([C("app")], init=[I("setup")]), lambda s: s["containers"][0].pop("readinessProbe")), expect=r))
    add("pod-restart-always-no-probes", workload("Pod", "pod-restart-always-no-probes", _mod(
        pod_spec([C("app")], restartPolicy="Always"),
        lambda s: [s["containers"][0].pop(k) for k in ("livenessProbe", "readinessProbe")]), expect=r))

    # ------------------------------------------------------------ require-pdb
    r = "require-pdb"
    add("deploy-no-pdb", workload("Deployment", "deploy-no-pdb", pod_spec([C("app")]), replicas=3, expect=r))
    add("sts-pdb-wrong-selector", workload("StatefulSet", "sts-pdb-wrong-selector", pod_spec([C("db")]),
                                           replicas=2, expect=r), pdb("sts-pdb-wrong-selector-pdb", "something-else"))
    add("deploy-sidecar-no-pdb", workload("Deployment", "deploy-sidecar-no-pdb",
                                          pod_spec([C("app"), C("envoy")], init=[I("init")]), replicas=4, expect=r))

    # ------------------------------------------------------------ require-topology-spread
    r = "require-topology-spread"
    add("deploy-no-spread", *with_pdb(workload("Deployment", "deploy-no-spread", _mod(
        pod_spec([C("app")]), lambda s: s.pop("topologySpreadConstraints")), expect=r)))
    add("pod-zone-spread-only", workload("Pod", "pod-zone-spread-only", _mod(
        pod_spec([C("app")]), lambda s: s["topologySpreadConstraints"][0].update(
            topologyKey="topology.kubernetes.io/zone")), expect=r))
    add("sts-empty-spread", *with_pdb(workload("StatefulSet", "sts-empty-spread", _mod(
        pod_spec([C("db")]), lambda s: s.update(topologySpreadConstraints=[])), expect=r)))
    add("ds-no-spread", workload("DaemonSet", "ds-no-spread", _mod(
        pod_spec([C("agent")]), lambda s: s.pop("topologySpreadConstraints")), expect=r))

    # ------------------------------------------------------------ require-security-context
    r = "require-security-context"
    add("deploy-runasnonroot-false", *with_pdb(workload("Deployment", "deploy-runasnonroot-false", _mod(
        pod_spec([C("app")]), lambda s: s["containers"][0]["securityContext"].update(runAsNonRoot=False)),
        expect=r)))
    add("pod-init-writable-root", workload("Pod", "pod-init-writable-root", _mod(
        pod_spec([C("app")], init=[I("setup")]),
        lambda s: s["initContainers"][0]["securityContext"].pop("readOnlyRootFilesystem")), expect=r))
    add("sts-privilege-escalation", *with_pdb(workload("StatefulSet", "sts-privilege-escalation", _mod(
        pod_spec([C("db")]), lambda s: s["containers"][0]["securityContext"].update(allowPrivilegeEscalation=True)),
        expect=r)))
    add("cronjob-no-runasnonroot", workload("CronJob", "cronjob-no-runasnonroot", _mod(
        pod_spec([C("report")]), lambda s: s["containers"][0]["securityContext"].pop("runAsNonRoot")), expect=r))
    add("deploy-pod-nonroot-container-false", *with_pdb(workload(
        "Deployment", "deploy-pod-nonroot-container-false", _mod(
            pod_spec([C("app"), C("sidecar")], securityContext={"runAsNonRoot": True}),
            lambda s: s["containers"][1]["securityContext"].update(runAsNonRoot=False)), expect=r)))
    add("job-no-security-context", workload("Job", "job-no-security-context", _mod(
        pod_spec([C("batch")]), lambda s: s["containers"][0].pop("securityContext")), expect=r))

    # ------------------------------------------------------------ restrict-image-registries
    r = "restrict-image-registries"
    add("deploy-dockerhub-image", *with_pdb(workload("Deployment", "deploy-dockerhub-image", pod_spec(
        [C("app", image="docker.io/library/nginx:1.27")]), expect=r)))
    add("sts-init-other-tenant", *with_pdb(workload("StatefulSet", "sts-init-other-tenant", pod_spec(
        [C("db")], init=[I("init", image="harbor.openova.io/other/init:1")]), expect=r)))
    add("cronjob-bare-image", workload("CronJob", "cronjob-bare-image", pod_spec([C("report", image="busybox")]),
                                       expect=r))
    add("pod-sidecar-ghcr", workload("Pod", "pod-sidecar-ghcr", pod_spec(
        [C("app"), C("sidecar", image="ghcr.io/acme/sidecar:1")]), expect=r))
    add("ds-prefix-lookalike", workload("DaemonSet", "ds-prefix-lookalike", pod_spec(
        [C("agent", image="harbor.openova.io/acme-evil/agent:1")]), expect=r))

    # ------------------------------------------------------------ disallow-host-access
    r = "disallow-host-access"
    add("deploy-host-network", *with_pdb(workload("Deployment", "deploy-host-network",
                                                  pod_spec([C("app")], hostNetwork=True), expect=r)))
    add("pod-hostpath", workload("Pod", "pod-hostpath", pod_spec(
        [C("app")], volumes=[{"name": "host", "hostPath": {"path": "/var/run"}}]), expect=r))
    add("ds-host-pid", workload("DaemonSet", "ds-host-pid", pod_spec([C("agent")], hostPID=True), expect=r))
    add("job-privileged", workload("Job", "job-privileged", _mod(
        pod_spec([C("batch")]), lambda s: s["containers"][0]["securityContext"].update(
            privileged=True) or s["containers"][0]["securityContext"].pop("allowPrivilegeEscalation")), expect=r))
    add("cronjob-init-privileged", workload("CronJob", "cronjob-init-privileged", _mod(
        pod_spec([C("report")], init=[I("sysctl")]), lambda s: s["initContainers"][0]["securityContext"].update(
            privileged=True) or s["initContainers"][0]["securityContext"].pop("allowPrivilegeEscalation")), expect=r))

    # ------------------------------------------------------------ require-sidecar-injection
    r = "require-sidecar-injection"
    add("deploy-inject-false", *with_pdb(workload("Deployment", "deploy-inject-false", pod_spec([C("app")]),
                                                  annotations={"sidecar.istio.io/inject": "false"}, expect=r)))
    add("pod-inject-label-false", workload("Pod", "pod-inject-label-false", pod_spec([C("app")]),
                                           labels={"sidecar.istio.io/inject": "false"}, expect=r))
    add("cronjob-inject-no", workload("CronJob", "cronjob-inject-no", pod_spec([C("report")]),
                                      annotations={"sidecar.istio.io/inject": "no"}, expect=r))
    add("sts-inject-false", *with_pdb(workload("StatefulSet", "sts-inject-false", pod_spec([C("db")]),
                                               annotations={"sidecar.istio.io/inject": "False"}, expect=r)))

    # ------------------------------------------------------------ pod-security-restricted (PSA, after defaults)
    r = "pod-security-restricted"
    add("deploy-cap-sys-admin", *with_pdb(workload("Deployment", "deploy-cap-sys-admin", _mod(
        pod_spec([C("app")]), lambda s: s["containers"][0]["securityContext"].update(
            capabilities={"add": ["SYS_ADMIN"]})), expect=r)))
    add("pod-seccomp-unconfined", workload("Pod", "pod-seccomp-unconfined", _mod(
        pod_spec([C("app"), C("helper")]), lambda s: s["containers"][1]["securityContext"].update(
            seccompProfile={"type": "Unconfined"})), expect=r))
    add("job-run-as-root-user", workload("Job", "job-run-as-root-user", pod_spec(
        [C("batch")], securityContext={"runAsUser": 0}), expect=r))
    add("pod-container-run-as-root-user", workload("Pod", "pod-container-run-as-root-user", _mod(
        pod_spec([C("app")]), lambda s: s["containers"][0]["securityContext"].update(runAsUser=0)), expect=r))
    add("ds-host-port", workload("DaemonSet", "ds-host-port", _mod(
        pod_spec([C("agent")]), lambda s: s["containers"][0].update(
            ports=[{"containerPort": 8080}, {"containerPort": 9100, "hostPort": 9100}])), expect=r))
    add("sts-nfs-volume", *with_pdb(workload("StatefulSet", "sts-nfs-volume", pod_spec(
        [C("db")], volumes=[{"name": "tmp", "emptyDir": {}}, {"name": "data", "nfs": {"server": "nfs", "path": "/"}}]),
        expect=r)))
    add("cronjob-drop-net-raw-only", workload("CronJob", "cronjob-drop-net-raw-only", _mod(
        pod_spec([C("report")], init=[I("prepare")]), lambda s: s["initContainers"][0]["securityContext"].update(
            capabilities={"drop": ["NET_RAW"]})), expect=r))
    add("pod-cap-net-bind-ok", workload("Pod", "pod-cap-net-bind-ok", _mod(
        pod_spec([C("app")], volumes=[{"name": "cache", "emptyDir": {}}, {"name": "cfg", "configMap": {"name": "x"}}]),
        lambda s: s["containers"][0]["securityContext"].update(capabilities={"add": ["NET_BIND_SERVICE"]}))))

    # ------------------------------------------------------------ restrict-priority-class
    r = "restrict-priority-class"
    add("pod-priority-tenant", workload("Pod", "pod-priority-tenant", pod_spec(
        [C("app")], priorityClassName="openova-tenant")))
    add("deploy-priority-system-node-critical", *with_pdb(workload(
        "Deployment", "deploy-priority-system-node-critical", pod_spec([C("app")], priorityClassName="system-node-critical"),
        expect=r)))
    add("pod-priority-platform-critical", workload("Pod", "pod-priority-platform-critical", pod_spec(
        [C("app")], priorityClassName="openova-platform-critical"), expect=r))
    add("cronjob-priority-cluster-critical", workload("CronJob", "cronjob-priority-cluster-critical", pod_spec(
        [C("report")], priorityClassName="system-cluster-critical"), expect=r))

    # ------------------------------------------------------------ restrict-virtual-service
    r = "restrict-virtual-service"
    add("vs-ingress-own-host", virtual_service("vs-ingress-own-host", ["shop.acme.openova.io", "acme.openova.io"],
                                               [INGRESS_GATEWAY], "shop"))
    add("vs-ingress-wildcard-own", virtual_service("vs-ingress-wildcard-own", ["*.acme.openova.io"],
                                                   [INGRESS_GATEWAY, "mesh"], "shop.acme-dev.svc.cluster.local"))
    add("vs-mesh-own-service", virtual_service("vs-mesh-own-service", ["shop.acme-dev.svc.cluster.local"], None,
                                               "shop.acme-dev.svc.cluster.local"))
    add("vs-mesh-sibling-namespace", virtual_service("vs-mesh-sibling-namespace", ["shop"], ["mesh"],
                                                     "api.acme-prod.svc.cluster.local"))
    add("vs-foreign-gateway", virtual_service("vs-foreign-gateway", ["shop.acme.openova.io"],
                                              ["istio-system/tenant-gw"], "shop", expect=r))
    add("vs-gateway-short-name", virtual_service("vs-gateway-short-name", ["shop.acme.openova.io"],
                                                 ["openova-ingress"], "shop", expect=r))
    add("vs-platform-host", virtual_service("vs-platform-host", ["grafana.openova.io"], [INGRESS_GATEWAY], "shop",
                                            expect=r))
    add("vs-harbor-host", virtual_service("vs-harbor-host", ["harbor.openova.io"], [INGRESS_GATEWAY], "shop",
                                          expect=r))
    add("vs-other-tenant-host", virtual_service("vs-other-tenant-host", ["shop.globex.openova.io"],
                                                [INGRESS_GATEWAY], "shop", expect=r))
    add("vs-domain-wildcard", virtual_service("vs-domain-wildcard", ["*.openova.io"], [INGRESS_GATEWAY], "shop",
                                              expect=r))
    # Every fixture is valid Istio config, so live admission shows Kyverno's verdict, not istiod's
    # validation: host "*" only on the ingress gateway (istiod refuses it for the mesh gateway).
    add("vs-star-host", virtual_service("vs-star-host", ["*"], [INGRESS_GATEWAY], "shop", expect=r))
    # istiod refuses any wildcard in a gateway reference (namespace and name must be DNS labels), so
    # the guard rail's wildcard-gateway condition is defence in depth that no valid object reaches;
    # this one binds the ingress gateway by its legacy FQDN spelling, valid for istiod, a gateway
    # reference that is not one of the two the rule allows (istio-ingress/openova-ingress, mesh).
    add("vs-gateway-wildcard", virtual_service("vs-gateway-wildcard", ["shop.acme.openova.io"],
                                               ["openova-ingress.istio-ingress.svc.cluster.local"], "shop", expect=r))
    add("vs-service-wildcard", virtual_service("vs-service-wildcard", ["*.acme-dev.svc.cluster.local"], ["mesh"],
                                               "shop", expect=r))
    add("vs-lookalike-host", virtual_service("vs-lookalike-host", ["evilacme.openova.io"], [INGRESS_GATEWAY], "shop",
                                             expect=r))
    add("vs-other-tenant-service-host", virtual_service("vs-other-tenant-service-host",
                                                        ["db.globex.svc.cluster.local"], ["mesh"], "shop", expect=r))
    add("vs-route-other-tenant", virtual_service("vs-route-other-tenant", ["shop.acme.openova.io"],
                                                 [INGRESS_GATEWAY], "db.globex.svc.cluster.local", expect=r))
    add("vs-route-platform", virtual_service("vs-route-platform", ["shop.acme.openova.io"], [INGRESS_GATEWAY],
                                             "grafana-service.openova-observability.svc.cluster.local", expect=r))
    add("vs-tcp-other-tenant", _mod(virtual_service("vs-tcp-other-tenant", ["shop"], ["mesh"], "shop", expect=r),
                                    lambda o: o["spec"].update(tcp=[{"route": [{"destination": {
                                        "host": "db.globex", "port": {"number": 5432}}}]}])))
    add("vs-mirror-other-tenant", _mod(virtual_service("vs-mirror-other-tenant", ["shop"], ["mesh"], "shop", expect=r),
                                       lambda o: o["spec"]["http"][0].update(mirror={"host": "spy.globex.svc"})))
    add("vs-delegate-other-tenant", virtual_service("vs-delegate-other-tenant", ["shop.acme.openova.io"],
                                                    [INGRESS_GATEWAY], None, delegate={"name": "root", "namespace": "globex"},
                                                    expect=r))

    # ------------------------------------------------------------ restrict-service
    r = "restrict-service"
    add("svc-cluster-ip", service("svc-cluster-ip"))
    add("svc-headless", service("svc-headless", clusterIP="None"))
    add("svc-external-ips", service("svc-external-ips", externalIPs=["203.0.113.10"], expect=r))
    add("svc-external-name", service("svc-external-name", type="ExternalName", externalName="grafana.openova.io",
                                     ports=None, selector=None, expect=r))
    return f


INGRESS_GATEWAY = "istio-ingress/openova-ingress"


def virtual_service(name, hosts, gateways, destination, expect="compliant", delegate=None):
    """A tenant VirtualService in acme-dev with one HTTP route (or a delegate)."""
    http = {"name": "main"}
    if delegate:
        http["delegate"] = delegate
    else:
        http["route"] = [{"destination": {"host": destination, "port": {"number": 8080}}}]
    spec = {"hosts": hosts, "http": [http]}
    if gateways is not None:
        spec["gateways"] = gateways
    return {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
            "metadata": {"name": name, "namespace": NAMESPACE, "annotations": {EXPECT: expect}}, "spec": spec}


def service(name, expect="compliant", ports=(8080,), selector=True, **spec):
    body = dict(spec)
    if ports:
        body["ports"] = [{"name": "http", "port": p, "targetPort": p} for p in ports]
    if selector:
        body["selector"] = {"app": name}
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": NAMESPACE, "annotations": {EXPECT: expect}}, "spec": body}
