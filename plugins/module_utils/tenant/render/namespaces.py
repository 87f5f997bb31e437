# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Namespaces, ResourceQuota, LimitRange and the default ServiceAccount of a
tenant. Pure: spec in, objects out."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.openova.platform.plugins.module_utils.tenant.render import meta


def render_namespaces(tenant, platform):
    """One Namespace per tenant namespace, with ownership, mesh and PSA labels.

    >>> render_namespaces(acme, platform)[0]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"]
    'restricted'
    """
    extra = {"pod-security.kubernetes.io/enforce": "restricted",
             "pod-security.kubernetes.io/enforce-version": "latest"}
    if platform["istio_revision"]:
        extra["istio.io/rev"] = platform["istio_revision"]
    else:
        extra["istio-injection"] = "enabled"
    annotations = {
        meta.HARBOR_ANNOTATION: tenant["harbor_project"],
        meta.SCOPE_ORGID_ANNOTATION: tenant["name"],
        meta.REGISTRIES_ANNOTATION: ",".join(tenant["allowed_registries"]),
        meta.DISPLAY_NAME_ANNOTATION: tenant["display_name"],
    }
    return [meta.obj("v1", "Namespace", ns, tenant_name=tenant["name"], extra_labels=extra,
                     annotations=annotations) for ns in tenant["namespaces"]]


def quota_hard(quota):
    """ResourceQuota ``spec.hard`` from the spec's quota keys."""
    return {
        "requests.cpu": str(quota["requests_cpu"]),
        "requests.memory": str(quota["requests_memory"]),
        "limits.cpu": str(quota["limits_cpu"]),
        "limits.memory": str(quota["limits_memory"]),
        "pods": str(quota["pods"]),
        "services": str(quota["services"]),
        "persistentvolumeclaims": str(quota["pvcs"]),
        "requests.storage": str(quota["storage"]),
        "services.loadbalancers": str(quota["load_balancers"]),
        "services.nodeports": str(quota["node_ports"]),
    }


def render_quota(tenant, platform):
    """A ResourceQuota ``openova-quota`` and a LimitRange ``openova-limits`` per namespace."""
    limits = tenant["limits"]
    out = []
    for ns in tenant["namespaces"]:
        out.append(meta.obj("v1", "ResourceQuota", "openova-quota", ns, tenant["name"],
                            spec={"hard": quota_hard(tenant["quota"])}))
        out.append(meta.obj("v1", "LimitRange", "openova-limits", ns, tenant["name"], spec={"limits": [{
            "type": "Container",
            "default": {"cpu": limits["default_cpu"], "memory": limits["default_memory"]},
            "defaultRequest": {"cpu": limits["default_request_cpu"], "memory": limits["default_request_memory"]},
            "max": {"cpu": limits["max_cpu"], "memory": limits["max_memory"]},
        }]}))
    return out


def render_service_accounts(tenant, platform):
    """The ``default`` ServiceAccount of each namespace, without token automount.

    With the tenant's registry enabled it names the image pull Secret that
    openova.platform.tenant_registry writes into the namespace. The tenant
    module is the only writer of this ServiceAccount, so ``imagePullSecrets``
    (an atomic list under server-side apply) has one field manager.
    """
    extra = {}
    if (tenant.get("registry") or {}).get("enabled", True):
        extra["imagePullSecrets"] = [{"name": meta.REGISTRY_PULL_SECRET}]
    return [meta.obj("v1", "ServiceAccount", "default", ns, tenant["name"], automountServiceAccountToken=False,
                     **extra) for ns in tenant["namespaces"]]
