# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubernetes objects that carry a tenant's Harbor robot credentials. Pure:
spec and credentials in, objects out, in a fixed order.

- ``<harbor ns>/tenant-<t>-registry-pull``: the pull robot (the stored copy);
- ``<harbor ns>/tenant-<t>-registry-push``: the push robot for CI, readable
  only by the tenant's admin groups through the Role and RoleBinding of the
  same name. It is not put into tenant namespaces: whoever may create pods
  there (developers) could mount it;
- ``<tenant ns>/harbor-pull``: the image pull Secret of every tenant
  namespace, which the tenant's default ServiceAccount names.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json

from ansible_collections.openova.platform.plugins.module_utils.tenant.render import meta
from ansible_collections.openova.platform.plugins.module_utils.tenant.render.redpanda import secret

SERVICE = "harbor"
DOCKERCONFIGJSON = "kubernetes.io/dockerconfigjson"


def pull_store_name(tenant_name):
    return meta.tenant_object_name(tenant_name, "registry-pull")


def push_secret_name(tenant_name):
    return meta.tenant_object_name(tenant_name, "registry-push")


def dockerconfigjson(host, username, password):
    """The ``.dockerconfigjson`` document for one registry (deterministic)."""
    auth = base64.b64encode(("%s:%s" % (username, password)).encode("utf-8")).decode("ascii")
    return json.dumps({"auths": {host: {"username": username, "password": password, "auth": auth}}},
                      sort_keys=True, separators=(",", ":"))


def _labelled(obj):
    obj["metadata"]["labels"][meta.CREDENTIALS_LABEL] = SERVICE
    return obj


def _registry_secret(name, namespace, tenant_name, host, cred, with_fields):
    values = {".dockerconfigjson": dockerconfigjson(host, cred["username"], cred["password"])}
    if with_fields:
        values.update(username=cred["username"], password=cred["password"], registry=host)
    return _labelled(secret(name, namespace, tenant_name, values, secret_type=DOCKERCONFIGJSON))


def render_registry_objects(tenant, harbor_namespace, host, creds):
    """Every object of one tenant; ``creds`` maps ``pull`` and ``push`` to
    ``{"username", "password"}``."""
    name = tenant["name"]
    push = push_secret_name(name)
    out = [
        _registry_secret(pull_store_name(name), harbor_namespace, name, host, creds["pull"], True),
        _registry_secret(push, harbor_namespace, name, host, creds["push"], True),
    ]
    admins = sorted(set(tenant["owners"]["admin"]))
    out.append(_labelled(meta.obj(
        "rbac.authorization.k8s.io/v1", "Role", push, harbor_namespace, name,
        rules=[{"apiGroups": [""], "resources": ["secrets"], "resourceNames": [push], "verbs": ["get"]}])))
    if admins:
        out.append(_labelled(meta.obj(
            "rbac.authorization.k8s.io/v1", "RoleBinding", push, harbor_namespace, name,
            roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": push},
            subjects=[{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": g} for g in admins])))
    for ns in tenant["namespaces"]:
        out.append(_registry_secret(meta.REGISTRY_PULL_SECRET, ns, name, host, creds["pull"], False))
    return out


OWNED_KINDS = (("v1", "Secret"), ("rbac.authorization.k8s.io/v1", "Role"),
               ("rbac.authorization.k8s.io/v1", "RoleBinding"))
