# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tenant's observability identity in Grafana: a GrafanaFolder and Loki,
Mimir and Tempo GrafanaDatasources that send ``X-Scope-OrgID: <tenant>``.
They live in the Grafana namespace, where grafana-operator picks them up. Pure."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.openova.platform.plugins.module_utils import objects
from ansible_collections.openova.platform.plugins.module_utils.tenant.render import meta

API = objects.GRAFANA_API
DATASOURCES = (("loki", "loki", "loki_url"), ("mimir", "prometheus", "mimir_url"), ("tempo", "tempo", "tempo_url"))


def render_observability(tenant, platform):
    """GrafanaFolder ``tenant-<name>`` and GrafanaDatasources ``tenant-<name>-{loki,mimir,tempo}``."""
    name = tenant["name"]
    ns = platform["grafana_namespace"]
    selector = {"matchLabels": dict(platform["grafana_instance_labels"])}
    out = [meta.obj(API, "GrafanaFolder", meta.tenant_object_name(name), ns, name, spec={
        "instanceSelector": selector, "title": tenant["display_name"], "uid": meta.tenant_object_name(name)})]
    for suffix, ds_type, url_key in DATASOURCES:
        uid = meta.tenant_object_name(name, suffix)
        out.append(objects.grafana_datasource(uid, ns, meta.labels(name), uid, "%s %s" % (
            tenant["display_name"], suffix.capitalize()), ds_type, platform[url_key], name,
            platform["grafana_instance_labels"]))
    return out
