# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every object of a tenant, from its validated spec. Pure: no kubernetes
import, no I/O, no clock; the same input gives the same list in the same order."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.openova.platform.plugins.module_utils.tenant.render.admission import (
    render_admission_policies,
)
from ansible_collections.openova.platform.plugins.module_utils.tenant.render.dashboards import render_dashboards
from ansible_collections.openova.platform.plugins.module_utils.tenant.render.data import render_postgres
from ansible_collections.openova.platform.plugins.module_utils.tenant.render.istio import render_istio
from ansible_collections.openova.platform.plugins.module_utils.tenant.render.namespaces import (
    render_namespaces,
    render_quota,
    render_service_accounts,
)
from ansible_collections.openova.platform.plugins.module_utils.tenant.render.network import render_network_policies
from ansible_collections.openova.platform.plugins.module_utils.tenant.render.observability import (
    render_observability,
)
from ansible_collections.openova.platform.plugins.module_utils.tenant.render.rbac import (
    render_cluster_roles,
    render_role_bindings,
)
from ansible_collections.openova.platform.plugins.module_utils.tenant.render.redpanda import render_redpanda


def render_tenant(tenant, platform, passwords):
    """All objects of one tenant; ``passwords`` holds ``redpanda`` and ``postgres``."""
    return (render_namespaces(tenant, platform) + render_service_accounts(tenant, platform)
            + render_quota(tenant, platform) + render_network_policies(tenant, platform)
            + render_role_bindings(tenant, platform) + render_istio(tenant, platform)
            + render_redpanda(tenant, platform, passwords["redpanda"])
            + render_postgres(tenant, platform, passwords["postgres"])
            + render_observability(tenant, platform) + render_dashboards(tenant, platform))


def render_shared(platform):
    """What every tenant shares: the tenant ClusterRoles and the admission policy that keeps
    tenant users off the objects onboarding writes."""
    return render_cluster_roles(platform) + render_admission_policies(platform)


__all__ = ["render_tenant", "render_cluster_roles", "render_shared"]
