# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Redpanda objects of a tenant: Topic CRs with the tenant prefix, a SCRAM
User CR with PREFIXED ACLs, its password Secret in the Redpanda namespace and
the ``redpanda-credentials`` Secret in every tenant namespace. The password
comes in as an argument (the caller reuses the live one); pure."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.openova.platform.plugins.module_utils import objects
from ansible_collections.openova.platform.plugins.module_utils.tenant.render import meta

API = "cluster.redpanda.com/v1alpha2"
MECHANISM = "SCRAM-SHA-512"
CREDENTIALS_SECRET = "redpanda-credentials"


def secret(name, namespace, tenant_name, values, secret_type="Opaque"):
    """A Secret of the tenant (objects.secret with the tenant's labels)."""
    return objects.secret(name, namespace, values, meta.labels(tenant_name), secret_type)


def password_secret_name(tenant_name):
    return meta.tenant_object_name(tenant_name, "redpanda")


def render_redpanda(tenant, platform, password):
    """Topics, the User, the password Secret and the per-namespace credentials."""
    name = tenant["name"]
    rp_ns = platform["redpanda_namespace"]
    cluster = {"clusterRef": {"name": platform["redpanda_cluster"]}}
    prefix = name + "."
    out = []
    for topic in sorted(tenant["topics"], key=lambda t: t["name"]):
        spec = {"cluster": cluster, "partitions": topic["partitions"],
                "replicationFactor": topic["replication_factor"]}
        if topic["config"]:
            spec["additionalConfig"] = dict((k, str(v)) for k, v in sorted(topic["config"].items()))
        out.append(meta.obj(API, "Topic", topic["name"], rp_ns, name, spec=spec))
    username = meta.redpanda_username(name)
    out.append(secret(password_secret_name(name), rp_ns, name, {"password": password}))
    out.append(meta.obj(API, "User", username, rp_ns, name, spec={
        "cluster": cluster,
        "authentication": {"type": MECHANISM, "password": {"noGenerate": True, "valueFrom": {
            "secretKeyRef": {"name": password_secret_name(name), "key": "password"}}}},
        "authorization": {"type": "simple", "acls": [
            {"type": "allow", "host": "*", "resource": {"type": "topic", "name": prefix, "patternType": "prefixed"},
             "operations": ["Read", "Write", "Describe", "DescribeConfigs"]},
            {"type": "allow", "host": "*", "resource": {"type": "group", "name": prefix, "patternType": "prefixed"},
             "operations": ["Read", "Describe"]},
        ]},
    }))
    values = {"username": username, "password": password, "mechanism": MECHANISM,
              "bootstrap_servers": platform["redpanda_bootstrap_servers"]}
    out.extend(secret(CREDENTIALS_SECRET, ns, name, values) for ns in tenant["namespaces"])
    return out
