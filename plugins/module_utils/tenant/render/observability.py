# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tenant's observability identity in Grafana: a GrafanaFolder and Loki,
Mimir and Tempo GrafanaDatasources that send ``X-Scope-OrgID: <tenant>``.
They live in the Grafana namespace, where grafana-operator picks them up. Pure."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.openova.platform.plugins.module_utils.facts import SCOPE_HEADER
from ansible_collections.openova.platform.plugins.module_utils.tenant.render import meta

API = "grafana.integreatly.org/v1beta1"
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
        out.append(meta.obj(API, "GrafanaDatasource", uid, ns, name, spec={
            "instanceSelector": selector, "uid": uid,
            "datasource": {"name": "%s %s" % (tenant["display_name"], suffix.capitalize()), "type": ds_type,
                           "access": "proxy", "url": platform[url_key], "editable": False,
                           "jsonData": {"httpHeaderName1": SCOPE_HEADER},
                           "secureJsonData": {"httpHeaderValue1": name}}}))
    return out
