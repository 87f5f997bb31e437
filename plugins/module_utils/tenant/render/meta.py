# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place that builds names, labels and metadata of tenant objects.
Every renderer uses it; no renderer types a label key itself (the keys and
values come from facts.py). Pure."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.openova.platform.plugins.module_utils import facts, objects
from ansible_collections.openova.platform.plugins.module_utils.facts import TENANT_LABEL

PART_OF = facts.PART_OF_TENANT
HARBOR_ANNOTATION = "openova.io/harbor-project"
SCOPE_ORGID_ANNOTATION = "openova.io/scope-orgid"
REGISTRIES_ANNOTATION = "openova.io/allowed-registries"
DISPLAY_NAME_ANNOTATION = "openova.io/display-name"
CLUSTER_ROLES = ("admin", "developer", "viewer")
# Objects that carry a service's credentials (Harbor robots, the LLM gateway key) are
# written by their own modules (tenant_registry, tenant_llm) and carry this label with
# the service's name; the tenant module neither prunes nor deletes them.
CREDENTIALS_LABEL = "openova.io/credentials-for"
# The image pull Secret in every tenant namespace, referenced by the default ServiceAccount.
REGISTRY_PULL_SECRET = "harbor-pull"
# The LLM gateway URL and virtual key in every tenant namespace.
LLM_SECRET = "llm-gateway-credentials"
PREFIX = "openova-"


def labels(tenant_name=None):
    """Ownership labels; ``tenant_name`` None gives the shared (platform) labels.

    >>> labels("acme")["openova.io/tenant"]
    'acme'
    """
    return facts.managed_labels(part_of=PART_OF, tenant=tenant_name)


def owned_selector(tenant_names, credentials_for=None):
    """The label selector that finds every object onboarding wrote for these tenants (not the
    objects other modules write for a tenant, such as a service's VirtualService), or, with
    ``credentials_for``, the objects that carry that service's credentials (see CREDENTIALS_LABEL)."""
    base = "%s=%s,%s=%s,%s in (%s)" % (facts.MANAGED_BY_LABEL, facts.MANAGED_BY, facts.PART_OF_LABEL, PART_OF,
                                       TENANT_LABEL, ",".join(sorted(tenant_names)))
    if credentials_for:
        return "%s,%s=%s" % (base, CREDENTIALS_LABEL, credentials_for)
    return "%s,!%s" % (base, CREDENTIALS_LABEL)


def all_tenants_selector():
    """The label selector that finds the objects onboarding wrote for any tenant."""
    return "%s=%s,%s=%s,%s" % (facts.MANAGED_BY_LABEL, facts.MANAGED_BY, facts.PART_OF_LABEL, PART_OF, TENANT_LABEL)


def is_managed(obj, tenant_name=None):
    if not facts.is_managed(obj):
        return False
    return tenant_name is None or (obj["metadata"].get("labels") or {}).get(TENANT_LABEL) == tenant_name


def obj(api_version, kind, name, namespace=None, tenant_name=None, extra_labels=None, annotations=None, **body):
    """A Kubernetes object with the tenant's ownership labels (objects.obj); ``body``
    holds the top-level fields (spec, data, rules, ...)."""
    return objects.obj(api_version, kind, name, namespace, dict(labels(tenant_name), **(extra_labels or {})),
                       annotations, **body)


def cluster_role_name(role):
    return "%stenant-%s" % (PREFIX, role)


def tenant_object_name(tenant_name, suffix=""):
    """Name of a tenant object in a shared platform namespace: ``tenant-acme[-suffix]``."""
    return "tenant-%s%s" % (tenant_name, "-" + suffix if suffix else "")


def redpanda_username(tenant_name):
    return tenant_object_name(tenant_name)


def postgres_role(tenant):
    """The tenant's PostgreSQL role: derived from the tenant name alone, so no two tenants share
    one whatever databases they ask for (tenant names are DNS labels: the mapping is one to one)."""
    return "tenant_" + tenant["name"].replace("-", "_")
