# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The single place that builds the names and ownership labels of a tenant
service's objects (workloads and traffic). Pure; no I/O."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

MANAGED_BY = "openova-platform"
TENANT_LABEL = "openova.io/tenant"
SERVICE_LABEL = "openova.io/service"
PART_LABEL = "openova.io/part"


def owner_labels(tenant, service, part):
    """Labels that mark an object as owned by a service; ``part`` is
    ``workload`` or ``traffic`` so each module prunes only its own objects.

    >>> owner_labels("acme", "shop", "traffic")["openova.io/part"]
    'traffic'
    """
    return {
        "app.kubernetes.io/managed-by": MANAGED_BY,
        "app.kubernetes.io/name": service,
        TENANT_LABEL: tenant,
        SERVICE_LABEL: service,
        PART_LABEL: part,
    }


def owner_selector(service, part):
    """The label selector that finds what ``owner_labels`` marked."""
    return "app.kubernetes.io/managed-by=%s,%s=%s,%s=%s" % (MANAGED_BY, SERVICE_LABEL, service, PART_LABEL, part)


def metadata(name, namespace, tenant, service, part, extra_labels=None):
    labels = owner_labels(tenant, service, part)
    labels.update(extra_labels or {})
    return {"name": name, "namespace": namespace, "labels": labels}
