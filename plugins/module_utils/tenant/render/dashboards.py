# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tenant's Grafana dashboards as GrafanaDashboard resources in its folder:
service overview (Istio RED metrics), workload health, logs with links to
traces, and Redpanda consumer lag. Each dashboard is a JSON model built as data;
every panel uses one of the tenant's own datasources and every query is scoped
to the tenant's namespaces or consumer groups. Pure."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json

from ansible_collections.openova.platform.plugins.module_utils.tenant.render import meta
from ansible_collections.openova.platform.plugins.module_utils.tenant.render.observability import instance_selector

API = "grafana.integreatly.org/v1beta1"
UID_MAX = 40  # Grafana's limit for a dashboard uid
DS_TYPES = {"loki": "loki", "mimir": "prometheus", "tempo": "tempo"}


def datasource(tenant_name, store):
    """The reference to one of the tenant's datasources (uid as written by observability.py)."""
    return {"type": DS_TYPES[store], "uid": meta.tenant_object_name(tenant_name, store)}


def dashboard_uid(tenant_name, suffix):
    uid = "t-%s-%s" % (tenant_name, suffix)
    if len(uid) <= UID_MAX:
        return uid
    digest = hashlib.sha256(uid.encode("utf-8")).hexdigest()[:8]
    return "%s-%s" % (uid[:UID_MAX - 9].rstrip("-"), digest)


def namespace_regex(tenant):
    """Alternatives of the tenant's namespaces (DNS labels need no escaping)."""
    return "|".join(sorted(tenant["namespaces"]))


def group_regex(tenant):
    """The tenant's consumer groups: ``<tenant>.`` prefixed (PREFIXED ACLs), as a PromQL string."""
    return "%s\\\\..+" % tenant["name"]


def _panel(pid, title, ds, targets, x, y, w=12, h=8, kind="timeseries", unit=None, **extra):
    panel = {"id": pid, "type": kind, "title": title, "datasource": ds,
             "gridPos": {"x": x, "y": y, "w": w, "h": h},
             "targets": [dict(t, refId=chr(ord("A") + i), datasource=ds) for i, t in enumerate(targets)]}
    if unit:
        panel["fieldConfig"] = {"defaults": {"unit": unit}, "overrides": []}
    panel.update(extra)
    return panel


def _prom(expr, legend):
    return {"expr": expr, "legendFormat": legend}


def _model(tenant, suffix, title, panels):
    return {
        "uid": dashboard_uid(tenant["name"], suffix), "title": "%s: %s" % (tenant["display_name"], title),
        "tags": ["openova", "tenant:%s" % tenant["name"]], "editable": False, "schemaVersion": 39,
        "time": {"from": "now-6h", "to": "now"}, "refresh": "1m", "timezone": "browser",
        "templating": {"list": []}, "annotations": {"list": []}, "panels": panels,
    }


def services_dashboard(tenant):
    """RED metrics per service from Istio's telemetry (server-side reporter)."""
    ds = datasource(tenant["name"], "mimir")
    sel = 'reporter="destination", destination_workload_namespace=~"%s"' % namespace_regex(tenant)
    by = "destination_workload_namespace, destination_service_name"
    legend = "{{destination_workload_namespace}}/{{destination_service_name}}"
    rate = 'sum by (%s) (rate(istio_requests_total{%s}[$__rate_interval]))' % (by, sel)
    errors = ('sum by (%s) (rate(istio_requests_total{%s, response_code=~"5.."}[$__rate_interval]))'
              ' / %s' % (by, sel, rate))
    quantile = ('histogram_quantile(%s, sum by (le, %s) '
                '(rate(istio_request_duration_milliseconds_bucket{%s}[$__rate_interval])))')
    return _model(tenant, "services", "Service overview", [
        _panel(1, "Requests per second", ds, [_prom(rate, legend)], 0, 0, unit="reqps"),
        _panel(2, "Error ratio (5xx)", ds, [_prom(errors, legend)], 12, 0, unit="percentunit"),
        _panel(3, "Duration p50 / p95 / p99", ds, [
            _prom(quantile % ("0.50", by, sel), "p50 " + legend),
            _prom(quantile % ("0.95", by, sel), "p95 " + legend),
            _prom(quantile % ("0.99", by, sel), "p99 " + legend)], 0, 8, w=24, unit="ms"),
    ])


def workloads_dashboard(tenant):
    """Restarts, CPU and memory against requests and limits, HPA replicas."""
    ds = datasource(tenant["name"], "mimir")
    ns = 'namespace=~"%s"' % namespace_regex(tenant)
    pod = "{{namespace}}/{{pod}}"

    def resource(res):
        return [_prom('sum by (namespace, pod) (kube_pod_container_resource_%s{%s, resource="%s"})'
                      % (kind, ns, res), "%s %s" % (kind, pod)) for kind in ("requests", "limits")]
    return _model(tenant, "workloads", "Workload health", [
        _panel(1, "Container restarts (1h)", ds, [_prom(
            'sum by (namespace, pod) (increase(kube_pod_container_status_restarts_total{%s}[1h]))' % ns, pod)],
            0, 0),
        _panel(2, "HPA replicas", ds, [
            _prom('kube_horizontalpodautoscaler_status_current_replicas{%s}' % ns,
                  "current {{namespace}}/{{horizontalpodautoscaler}}"),
            _prom('kube_horizontalpodautoscaler_status_desired_replicas{%s}' % ns,
                  "desired {{namespace}}/{{horizontalpodautoscaler}}"),
            _prom('kube_horizontalpodautoscaler_spec_max_replicas{%s}' % ns,
                  "max {{namespace}}/{{horizontalpodautoscaler}}")], 12, 0),
        _panel(3, "CPU against requests and limits", ds, [_prom(
            'sum by (namespace, pod) (rate(container_cpu_usage_seconds_total{%s, container!=""}[$__rate_interval]))'
            % ns, "used " + pod)] + resource("cpu"), 0, 8, unit="cores"),
        _panel(4, "Memory against requests and limits", ds, [_prom(
            'sum by (namespace, pod) (container_memory_working_set_bytes{%s, container!=""})' % ns,
            "used " + pod)] + resource("memory"), 12, 8, unit="bytes"),
    ])


def logs_dashboard(tenant):
    """The tenant's logs; a trace id opens the trace in the tenant's Tempo."""
    loki = datasource(tenant["name"], "loki")
    tempo = datasource(tenant["name"], "tempo")
    stream = '{k8s_namespace_name=~"%s"}' % namespace_regex(tenant)
    trace_link = {"title": "Open trace", "url": "/explore?left=" + json.dumps(
        {"datasource": tempo["uid"], "queries": [{"refId": "A", "datasource": tempo, "queryType": "traceql",
                                                  "query": "${__data.fields.trace_id}"}]},
        sort_keys=True, separators=(",", ":"))}
    return _model(tenant, "logs", "Logs and traces", [
        _panel(1, "Log volume by namespace", loki, [
            {"expr": 'sum by (k8s_namespace_name) (count_over_time(%s[$__auto]))' % stream,
             "legendFormat": "{{k8s_namespace_name}}", "queryType": "range"}], 0, 0, w=24, h=6),
        _panel(2, "Logs", loki, [{"expr": stream, "queryType": "range"}], 0, 6, w=24, h=14, kind="logs",
               options={"showTime": True, "wrapLogMessage": True, "sortOrder": "Descending"},
               fieldConfig={"defaults": {"links": [trace_link]}, "overrides": []}),
        _panel(3, "Recent traces", tempo, [{"queryType": "traceql", "limit": 20, "query": (
            '{ resource.k8s.namespace.name =~ "%s" }' % namespace_regex(tenant))}], 0, 20, w=24, h=10,
            kind="table"),
    ])


def redpanda_dashboard(tenant):
    """Consumer lag of the tenant's consumer groups (``<tenant>.*``)."""
    ds = datasource(tenant["name"], "mimir")
    groups = 'redpanda_group=~"%s"' % group_regex(tenant)
    return _model(tenant, "redpanda", "Redpanda consumer lag", [
        _panel(1, "Lag per consumer group (max over partitions)", ds, [_prom(
            'max by (redpanda_group, redpanda_topic) (redpanda_kafka_consumer_group_lag_max{%s})' % groups,
            "{{redpanda_group}} {{redpanda_topic}}")], 0, 0),
        _panel(2, "Total lag per consumer group", ds, [_prom(
            'sum by (redpanda_group) (redpanda_kafka_consumer_group_lag_sum{%s})' % groups,
            "{{redpanda_group}}")], 12, 0),
    ])


DASHBOARDS = (("services", services_dashboard), ("workloads", workloads_dashboard), ("logs", logs_dashboard),
              ("redpanda", redpanda_dashboard))


def dashboard_json(model):
    """The dashboard model as GrafanaDashboard ``spec.json``: sorted keys, one line. Without
    ``indent`` the json module encodes in C, several times faster; at 1,000 tenants (4,000
    dashboards) that is seconds of every run, no-op re-runs included."""
    return json.dumps(model, sort_keys=True)


def render_dashboards(tenant, platform):
    """GrafanaDashboard ``tenant-<name>-<kind>`` per dashboard, in the tenant's folder of the
    tenant's own Grafana instance."""
    name = tenant["name"]
    out = []
    for suffix, build in DASHBOARDS:
        model = build(tenant)
        out.append(meta.obj(API, "GrafanaDashboard", meta.tenant_object_name(name, suffix),
                            platform["grafana_namespace"], name, spec={
                                "instanceSelector": instance_selector(name),
                                "folderRef": meta.tenant_object_name(name, "folder"), "uid": model["uid"],
                                "json": dashboard_json(model)}))
    return out
