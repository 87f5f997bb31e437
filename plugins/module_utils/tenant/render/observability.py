# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tenant's own Grafana: grafana-operator has no organisations in its CRDs,
so each tenant gets a Grafana instance of its own (a ``Grafana`` resource in the
Grafana namespace), and its GrafanaFolder and Loki, Mimir and Tempo
GrafanaDatasources select that instance alone (label
``openova.io/grafana-instance: tenant-<name>``). The datasources send
``X-Scope-OrgID: <tenant>`` and are not editable; the tenant's groups get at most
the Editor role there, which cannot add or change datasources, so no tenant user
can query with another org id. Nothing the platform's instance selects
(``dashboards: grafana``) lands in a tenant instance, nor the other way round.
Pure."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.openova.platform.plugins.module_utils import facts
from ansible_collections.openova.platform.plugins.module_utils import objects
from ansible_collections.openova.platform.plugins.module_utils.tenant.render import meta

API = objects.GRAFANA_API
DATASOURCES = (("loki", "loki", "loki_url"), ("mimir", "prometheus", "mimir_url"), ("tempo", "tempo", "tempo_url"))
GRAFANA_PORT = 3000


def instance_name(tenant_name):
    return meta.tenant_object_name(tenant_name)


def instance_labels(tenant_name):
    """The labels of the tenant's Grafana instance; nothing else carries them."""
    return {facts.GRAFANA_TENANT_LABEL: instance_name(tenant_name)}


def instance_selector(tenant_name):
    """``instanceSelector`` for every Grafana object of the tenant (folders, datasources, dashboards)."""
    return {"matchLabels": instance_labels(tenant_name)}


def grafana_host(tenant_name, domain_name=None):
    """Where the tenant's Grafana is served: ``<tenant>.grafana.<domain>``, below the platform's
    host ``grafana.<domain>``, so outside every tenant's host space."""
    return "%s.grafana.%s" % (tenant_name, facts.domain(domain_name))


def _role_path(owners):
    """grafana.ini ``role_attribute_path``: admins and developers are Editors, viewers Viewers;
    anybody else gets no role (with ``role_attribute_strict``), and nobody gets Admin."""
    editors = sorted(set(owners["admin"]) | set(owners["developer"]))
    viewers = sorted(set(owners["viewer"]))
    terms = ["contains(groups[*], '%s') && 'Editor'" % g for g in editors]
    terms += ["contains(groups[*], '%s') && 'Viewer'" % g for g in viewers]
    return " || ".join(terms + ["''"])


def _ini(value):
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def render_grafana(tenant, platform):
    """The tenant's Grafana instance and the VirtualService that exposes it on the platform Gateway."""
    name = tenant["name"]
    ns = platform["grafana_namespace"]
    owners = tenant["owners"]
    groups = sorted(set(owners["admin"]) | set(owners["developer"]) | set(owners["viewer"]))
    config = {
        "server": {"root_url": "https://%s/" % grafana_host(name, platform["domain"])},
        "users": {"allow_sign_up": "false", "auto_assign_org": "true", "auto_assign_org_role": "Viewer",
                  "editors_can_admin": "false", "viewers_can_edit": "false"},
        "auth": {"disable_signout_menu": "false"},
        "auth.anonymous": {"enabled": "false"},
        "auth.basic": {"enabled": "false"},
        "auth.generic_oauth": {"allowed_groups": " ".join(groups), "role_attribute_path": _role_path(owners),
                               "role_attribute_strict": "true", "allow_assign_grafana_admin": "false",
                               "skip_org_role_sync": "false"},
        "log": {"mode": "console"},
    }
    for section, values in sorted((platform.get("grafana_config") or {}).items()):
        config.setdefault(section, {}).update(dict((k, _ini(v)) for k, v in values.items()))
    grafana = meta.obj(API, "Grafana", instance_name(name), ns, name, extra_labels=instance_labels(name), spec={
        "config": config,
        "deployment": {"spec": {"replicas": 1, "template": {"spec": {
            "priorityClassName": facts.PRIORITY_PLATFORM}}}},
    })
    service = "%s-service.%s.svc.cluster.local" % (instance_name(name), ns)
    route = meta.obj("networking.istio.io/v1", "VirtualService", instance_name(name) + "-grafana", ns, name, spec={
        "hosts": [grafana_host(name, platform["domain"])], "gateways": [facts.INGRESS_GATEWAY],
        "http": [{"name": "grafana", "route": [{"destination": {"host": service, "port": {"number": GRAFANA_PORT}}}]}]})
    return [grafana, route]


def render_observability(tenant, platform):
    """Grafana ``tenant-<name>`` with its VirtualService, GrafanaFolder ``tenant-<name>-folder``
    and GrafanaDatasources ``tenant-<name>-datasource-{loki,mimir,tempo}``, all selecting that instance."""
    name = tenant["name"]
    ns = platform["grafana_namespace"]
    selector = instance_selector(name)
    out = render_grafana(tenant, platform)
    out.append(meta.obj(API, "GrafanaFolder", meta.tenant_object_name(name, "folder"), ns, name, spec={
        "instanceSelector": selector, "title": tenant["display_name"], "uid": meta.tenant_object_name(name)}))
    for suffix, ds_type, url_key in DATASOURCES:
        uid = meta.tenant_object_name(name, suffix)
        json_data = {}
        if suffix == "loki":  # a trace id in a log line opens the trace in the tenant's own Tempo
            json_data["derivedFields"] = [{"name": "TraceID", "matcherType": "label", "matcherRegex": "trace_id",
                                           "datasourceUid": meta.tenant_object_name(name, "tempo"),
                                           "url": "${__value.raw}"}]
        out.append(objects.grafana_datasource(
            meta.tenant_object_name(name, "datasource-" + suffix), ns, meta.labels(name), uid,
            "%s %s" % (tenant["display_name"], suffix.capitalize()), ds_type, platform[url_key], name,
            instance_labels(name), json_data=json_data))
    return out
