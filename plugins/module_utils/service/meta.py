# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The single place that builds the names and ownership labels of a tenant
service's objects (workloads and traffic). Pure; no I/O."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.openova.platform.plugins.module_utils import facts

SERVICE_LABEL = "openova.io/service"
PART_LABEL = "openova.io/part"


def owner_labels(tenant, service, part):
    """Labels that mark an object as owned by a service; ``part`` is
    ``workload`` or ``traffic`` so each module prunes only its own objects.

    >>> owner_labels("acme", "shop", "traffic")["openova.io/part"]
    'traffic'
    """
    return facts.managed_labels(tenant=tenant, **{facts.NAME_LABEL: service, SERVICE_LABEL: service, PART_LABEL: part})


def owner_selector(service, part):
    """The label selector that finds what ``owner_labels`` marked."""
    return facts.selector(facts.managed_labels(**{SERVICE_LABEL: service, PART_LABEL: part}))


def metadata(name, namespace, tenant, service, part, extra_labels=None):
    labels = owner_labels(tenant, service, part)
    labels.update(extra_labels or {})
    return {"name": name, "namespace": namespace, "labels": labels}
