# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure renderers of a tenant service's workload objects: ServiceAccount,
Deployment (one per version), Service, PodDisruptionBudget and
HorizontalPodAutoscaler, plus the default traffic policy. The input is a spec
that validate.validate_service returned. No I/O, no clock, fixed order."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.openova.platform.plugins.module_utils import facts
from ansible_collections.openova.platform.plugins.module_utils.service.meta import metadata
from ansible_collections.openova.platform.plugins.module_utils.service.validate import CREDENTIALS_SECRET, ENV_PREFIX

PART = "workload"
ZONE = "topology.kubernetes.io/zone"
HOSTNAME = "kubernetes.io/hostname"
CREDENTIAL_ENV = (("BROKERS", "bootstrap_servers"), ("USERNAME", "username"), ("PASSWORD", "password"),
                  ("SASL_MECHANISM", "mechanism"))


def workload_name(spec):
    """Each version runs as its own Deployment: ``shop-v2``."""
    return "%s-%s" % (spec["name"], spec["version"])


def pod_labels(spec):
    """The labels Istio keys on: ``app`` (the service) and ``version`` (the subset)."""
    return {"app": spec["name"], "version": spec["version"]}


def _meta(spec, name, versioned=False):
    extra = pod_labels(spec) if versioned else {"app": spec["name"]}
    return metadata(name, spec["namespace"], spec["tenant"], spec["name"], PART, extra)


def event_env(spec):
    """Redpanda credentials from the tenant's Secret, topic names and the consumer group."""
    if not spec["produces"] and not spec["consumes"]:
        return []
    env = [{"name": ENV_PREFIX + name,
            "valueFrom": {"secretKeyRef": {"name": CREDENTIALS_SECRET, "key": key}}} for name, key in CREDENTIAL_ENV]
    if spec["produces"]:
        env.append({"name": ENV_PREFIX + "PRODUCE_TOPICS", "value": ",".join(spec["produces"])})
    if spec["consumes"]:
        env.append({"name": ENV_PREFIX + "CONSUME_TOPICS", "value": ",".join(spec["consumes"])})
        env.append({"name": ENV_PREFIX + "CONSUMER_GROUP", "value": spec["consumer_group"]})
    return env


def container_env(spec):
    env = [{"name": name, "value": str(value)} for name, value in sorted(spec["env"].items())]
    env += [{"name": ref["name"], "valueFrom": {"secretKeyRef": {"name": ref["secret"], "key": ref["key"]}}}
            for ref in spec["secret_env"]]
    return env + event_env(spec)


def _probe(probe, ports):
    port = probe.get("port") or ports[0]["name"]
    handler = {"tcpSocket": {"port": port}} if probe.get("tcp") else {"httpGet": {"path": probe["path"], "port": port}}
    for key, field in (("initial_delay_seconds", "initialDelaySeconds"), ("period_seconds", "periodSeconds"),
                       ("timeout_seconds", "timeoutSeconds"), ("failure_threshold", "failureThreshold")):
        if probe.get(key) is not None:
            handler[field] = probe[key]
    return handler


def container_security_context():
    """What PSA ``restricted`` and the platform's guard rails require of every container."""
    return {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}


def render_deployment(spec):
    labels = pod_labels(spec)
    spread = [{"maxSkew": 1, "topologyKey": key, "whenUnsatisfiable": when,
               "labelSelector": {"matchLabels": dict(labels)}, "matchLabelKeys": ["pod-template-hash"]}
              for key, when in ((ZONE, "DoNotSchedule"), (HOSTNAME, "ScheduleAnyway"))]
    container = {
        "name": spec["name"],
        "image": spec["image"],
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": p["name"], "containerPort": p["port"], "protocol": p.get("protocol", "TCP")}
                  for p in spec["ports"]],
        "resources": {"requests": dict(spec["resources"]["requests"]), "limits": dict(spec["resources"]["limits"])},
        "livenessProbe": _probe(spec["probes"]["liveness"], spec["ports"]),
        "readinessProbe": _probe(spec["probes"]["readiness"], spec["ports"]),
        "securityContext": container_security_context(),
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }
    env = container_env(spec)
    if env:
        container["env"] = env
    pod_meta_labels = dict(labels, **{facts.NAME_LABEL: spec["name"], facts.TENANT_LABEL: spec["tenant"]})
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": _meta(spec, workload_name(spec), versioned=True),
        "spec": {
            "replicas": spec["replicas"],
            "selector": {"matchLabels": dict(labels)},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": {
                "metadata": {"labels": pod_meta_labels},
                "spec": {
                    "serviceAccountName": spec["name"],
                    "automountServiceAccountToken": False,
                    "securityContext": {"runAsNonRoot": True, "runAsUser": spec["run_as_user"],
                                        "runAsGroup": spec["run_as_user"], "fsGroup": spec["run_as_user"],
                                        "seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [container],
                    "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}],
                    "topologySpreadConstraints": spread,
                },
            },
        },
    }


def render_workload(spec):
    """Every workload object, in a fixed order: ServiceAccount, Service,
    Deployment, PodDisruptionBudget, then the HorizontalPodAutoscaler (when on)."""
    name, versioned = spec["name"], workload_name(spec)
    objects = [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(spec, name),
         "automountServiceAccountToken": False},
        {"apiVersion": "v1", "kind": "Service", "metadata": _meta(spec, name),
         "spec": {"selector": {"app": name},
                  "ports": [{"name": p["name"], "port": p["port"], "targetPort": p["name"],
                             "protocol": p.get("protocol", "TCP")} for p in spec["ports"]]}},
        render_deployment(spec),
        {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": _meta(spec, versioned, True),
         "spec": {"maxUnavailable": 1, "selector": {"matchLabels": pod_labels(spec)}}},
    ]
    auto = spec["autoscaling"]
    if auto.get("enabled"):
        objects.append({
            "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": _meta(spec, versioned, True),
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": versioned},
                     "minReplicas": auto["min_replicas"], "maxReplicas": auto["max_replicas"],
                     "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                         "type": "Utilization", "averageUtilization": auto["cpu_utilization"]}}}]}})
    return objects


def default_traffic(spec):
    """The traffic_policy options of a freshly deployed version: the stable
    version takes all traffic, the deployed one (when different) none."""
    versions = [spec["stable_version"]] + ([spec["version"]] if spec["version"] != spec["stable_version"] else [])
    weights = dict((v, 100 if v == spec["stable_version"] else 0) for v in versions)
    return {"name": spec["name"], "namespace": spec["namespace"], "tenant": spec["tenant"],
            "port": spec["ports"][0]["port"], "subsets": [{"name": v} for v in versions], "weights": weights}
