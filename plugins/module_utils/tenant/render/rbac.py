# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tenant RBAC: three shared ClusterRoles and per-namespace RoleBindings of the
tenant's groups. The roles deliberately grant no write on ResourceQuotas,
LimitRanges, NetworkPolicies, Namespaces, RBAC objects, Istio security and
Sidecar objects, Endpoints or EndpointSlices, so tenants cannot loosen their own
isolation or point a Service at another tenant's pods. Pure."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.openova.platform.plugins.module_utils.tenant.render import meta

READ = ["get", "list", "watch"]
WRITE = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"]

# (apiGroups, resources) tenants work with day to day. Not endpoints or endpointslices: the
# endpoints controller writes them from Service selectors, and hand-written ones could point a
# selector-less Service at any pod of any tenant.
WORKLOADS = [
    ([""], ["pods", "services", "configmaps", "persistentvolumeclaims", "serviceaccounts"]),
    (["apps"], ["deployments", "statefulsets", "daemonsets", "replicasets"]),
    (["batch"], ["jobs", "cronjobs"]),
    (["autoscaling"], ["horizontalpodautoscalers"]),
    (["policy"], ["poddisruptionbudgets"]),
    (["networking.istio.io"], ["virtualservices", "destinationrules"]),
]
# Platform-owned objects tenants may read but never write.
PLATFORM_OWNED = [
    ([""], ["resourcequotas", "limitranges", "events", "pods/log", "endpoints"]),
    (["discovery.k8s.io"], ["endpointslices"]),
    (["networking.k8s.io"], ["networkpolicies"]),
    (["security.istio.io"], ["peerauthentications", "authorizationpolicies", "requestauthentications"]),
    (["networking.istio.io"], ["sidecars"]),
    (["rbac.authorization.k8s.io"], ["roles", "rolebindings"]),
]


def _rules(pairs, verbs):
    return [{"apiGroups": groups, "resources": resources, "verbs": list(verbs)} for groups, resources in pairs]


def render_cluster_roles(platform=None):
    """``openova-tenant-admin``, ``-developer`` and ``-viewer``, shared by all tenants."""
    admin = _rules(WORKLOADS + [([""], ["secrets"])], WRITE) + _rules(PLATFORM_OWNED, READ) + [
        {"apiGroups": [""], "resources": ["pods/exec", "pods/portforward"], "verbs": ["create", "get"]}]
    developer = _rules(WORKLOADS, WRITE) + _rules(PLATFORM_OWNED, READ)
    viewer = _rules(WORKLOADS, READ) + _rules(PLATFORM_OWNED, READ)
    return [meta.obj("rbac.authorization.k8s.io/v1", "ClusterRole", meta.cluster_role_name(role), rules=rules)
            for role, rules in (("admin", admin), ("developer", developer), ("viewer", viewer))]


def render_role_bindings(tenant, platform):
    """RoleBinding ``openova-tenant-<role>`` per namespace and role that has groups."""
    out = []
    for ns in tenant["namespaces"]:
        for role in meta.CLUSTER_ROLES:
            groups = sorted(set(tenant["owners"][role]))
            if not groups:
                continue
            out.append(meta.obj(
                "rbac.authorization.k8s.io/v1", "RoleBinding", meta.cluster_role_name(role), ns, tenant["name"],
                roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                         "name": meta.cluster_role_name(role)},
                subjects=[{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": g} for g in groups]))
    return out
