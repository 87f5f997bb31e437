# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The custom resources the component roles apply next to their Helm releases,
rendered in Python: the Redpanda cluster, the shared CloudNativePG cluster with
the platform services' databases, the Grafana instance, and generated Secrets.
The platform_objects module applies them (run.py). Pure: no I/O; passwords
and live Secret data come in as arguments."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.openova.platform.plugins.module_utils import facts
from ansible_collections.openova.platform.plugins.module_utils import objects as o
from ansible_collections.openova.platform.plugins.module_utils import validation as kit

REDPANDA_API = "cluster.redpanda.com/v1alpha2"
CNPG_API = "postgresql.cnpg.io/v1"
PASSWORD_PLACEHOLDER = "{password}"


def labels(component):
    """Ownership labels of a component's objects (what platform_objects prunes by)."""
    return facts.managed_labels(part_of=facts.PART_OF_PLATFORM, **{facts.COMPONENT_LABEL: component})


def owned_selector(component):
    return facts.selector(labels(component))


def database_secret_name(database):
    """The Secret with a platform database's owner credentials: ``<database>-db``."""
    return "%s-db" % database


def render_redpanda_cluster(component, resource):
    """A Redpanda resource (the operator's cluster) with ``spec`` as its clusterSpec."""
    return [o.obj(REDPANDA_API, "Redpanda", resource["name"], resource["namespace"], labels(component),
                  spec={"clusterSpec": copy.deepcopy(resource["spec"])})]


def render_cnpg_cluster(component, resource):
    """A CloudNativePG Cluster whose managed roles are the ``databases``' owners (passwords in
    ``<database>-db`` Secrets), then one Database per database, owned by its role."""
    spec = copy.deepcopy(resource["spec"])
    roles = [{"name": db, "ensure": "present", "login": True, "passwordSecret": {"name": database_secret_name(db)}}
             for db in resource.get("databases") or []]
    if roles:
        spec.setdefault("managed", {})["roles"] = roles
    out = [o.obj(CNPG_API, "Cluster", resource["name"], resource["namespace"], labels(component), spec=spec)]
    out += [o.obj(CNPG_API, "Database", "%s-%s" % (resource["name"], db), resource["namespace"], labels(component),
                  spec={"name": db, "owner": db, "cluster": {"name": resource["name"]}})
            for db in resource.get("databases") or []]
    return out


def render_grafana(component, resource):
    """A Grafana instance (grafana-operator) carrying ``instance_labels``, which GrafanaFolder and
    GrafanaDatasource resources select it by."""
    instance_labels = dict(resource.get("instance_labels") or facts.GRAFANA_INSTANCE_LABELS)
    return [o.obj(o.GRAFANA_API, "Grafana", resource["name"], resource["namespace"],
                  dict(instance_labels, **labels(component)), spec=copy.deepcopy(resource["spec"]))]


RENDERERS = {
    "redpanda_cluster": render_redpanda_cluster,
    "cnpg_cluster": render_cnpg_cluster,
    "grafana": render_grafana,
}
# Every kind a renderer makes, so that pruning finds what an earlier run applied.
KINDS = ((REDPANDA_API, "Redpanda"), (CNPG_API, "Cluster"), (CNPG_API, "Database"), (o.GRAFANA_API, "Grafana"),
         ("v1", "Secret"))


def render_secret(component, secret, data):
    """A generated Secret; ``data`` is its base64 data (kept from the live Secret, generated or copied)."""
    out = o.obj("v1", "Secret", secret["name"], secret["namespace"], labels(component),
                type=secret.get("type") or "Opaque")
    out["data"] = dict(sorted(data.items()))
    return out


def generated_values(secret, password):
    """A generated Secret's values: ``{password}`` in each value replaced by ``password``."""
    return dict((k, str(v).replace(PASSWORD_PLACEHOLDER, password)) for k, v in secret["data"].items())


def render_resources(component, resources):
    """The objects of ``resources`` (each ``{type, name, namespace, ...}``), in order."""
    out = []
    for resource in resources:
        out.extend(RENDERERS[resource["type"]](component, resource))
    return out


def check(params):
    """Problems of the platform_objects options that the argument spec cannot see; SpecError."""
    p = kit.Problems(subject="platform_objects")
    kit.check_name(p, "component", params.get("component"))
    for i, ns in enumerate(params.get("namespaces") or []):
        kit.check_name(p, "namespaces[%d]" % i, ns)
    seen = set()
    for i, resource in enumerate(params.get("resources") or []):
        field = "resources[%d]" % i
        kit.check_name(p, field + ".name", resource.get("name"), max_len=kit.SUBDOMAIN_MAX, kind="DNS-1123 subdomain")
        kit.check_name(p, field + ".namespace", resource.get("namespace"))
        if not isinstance(resource.get("spec"), dict):
            p.add(field + ".spec", "must be a mapping (the resource's spec)")
        for j, db in enumerate(resource.get("databases") or []):
            if not isinstance(db, str) or not db.replace("_", "").isalnum() or db != db.lower():
                p.add("%s.databases[%d]" % (field, j), "%r is not a plain PostgreSQL identifier" % (db,))
        key = (resource.get("type"), resource.get("namespace"), resource.get("name"))
        if key in seen:
            p.add(field, "is listed twice")
        seen.add(key)
    for i, secret in enumerate(params.get("secrets") or []):
        field = "secrets[%d]" % i
        kit.check_name(p, field + ".name", secret.get("name"), max_len=kit.SUBDOMAIN_MAX, kind="DNS-1123 subdomain")
        kit.check_name(p, field + ".namespace", secret.get("namespace"))
        if bool(secret.get("data")) == bool(secret.get("copy_from")):
            p.add(field, "give exactly one of data (values, {password} replaced by a generated password) and "
                  "copy_from (namespace and name of a Secret to copy)")
        source = secret.get("copy_from") or {}
        if secret.get("copy_from"):
            kit.check_name(p, field + ".copy_from.namespace", source.get("namespace"))
            kit.check_name(p, field + ".copy_from.name", source.get("name"), max_len=kit.SUBDOMAIN_MAX,
                           kind="DNS-1123 subdomain")
    p.raise_if_any()
