# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure validation of tenant specs: fills defaults from schema.py, checks every
rule with the validation kit (validation.py) and raises one SpecError listing
every problem with its field path. No I/O; what the cluster says (namespace
owners) comes in as plain data."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.openova.platform.plugins.module_utils import facts
from ansible_collections.openova.platform.plugins.module_utils import validation as kit
from ansible_collections.openova.platform.plugins.module_utils.tenant import schema

TENANT_NAME_MAX = 40
TOPIC_NAME_MAX = 249
POSTGRES_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def platform_namespace_names(platform):
    """The platform namespaces a tenant spec refers to (as configured), plus every
    namespace the platform installs."""
    names = {platform["istio_namespace"], platform["ingress_namespace"], platform["llm_gateway_namespace"],
             platform["redpanda_namespace"], platform["postgres_namespace"], platform["grafana_namespace"]}
    names.update(platform["telemetry_namespaces"])
    names.update(platform["data_namespaces"])
    names.update(facts.PLATFORM_NAMESPACES)
    return names


def normalize_platform(platform):
    problems = kit.Problems()
    out = kit.normalize(platform or {}, schema.PLATFORM_OPTIONS, "platform", problems)
    problems.raise_if_any()
    if not out.get("postgres_host"):
        out["postgres_host"] = "%s-rw.%s.svc" % (out["postgres_cluster"], out["postgres_namespace"])
    return out


def _check_names(tenant, path, platform, problems):
    """The tenant name and its namespaces; False when the name itself is unusable."""
    name = tenant["name"]
    platform_ns = platform_namespace_names(platform)
    if not kit.check_name(problems, "%s.name" % path, name, max_len=TENANT_NAME_MAX):
        return False
    if facts.is_reserved(name, platform_ns):
        problems.add("%s.name" % path, "%r collides with a platform namespace name (default, kube-*, istio-*, "
                     "openova-* and the platform's namespaces); choose another name" % name)
    for i, ns in enumerate(tenant["namespaces"]):
        field = "%s.namespaces[%d]" % (path, i)
        if not isinstance(ns, str):
            continue
        if not kit.check_name(problems, field, ns):
            continue
        if facts.is_reserved(ns, platform_ns):
            problems.add(field, "%r collides with a platform namespace; choose another name" % ns)
        elif ns != name and not ns.startswith(name + "-"):
            problems.add(field, "%r must be %r or start with %r" % (ns, name, name + "-"))
    if len(set(tenant["namespaces"])) != len(tenant["namespaces"]):
        problems.add("%s.namespaces" % path, "lists a namespace twice")
    return True


def _check_owners(tenant, path, problems):
    owners = tenant["owners"]
    if not owners or not owners.get("admin"):
        problems.add("%s.owners.admin" % path, "needs at least one group; the tenant must have an admin")
    for role in ("admin", "developer", "viewer"):
        for i, group in enumerate((owners or {}).get(role) or []):
            if not isinstance(group, str) or not group.strip():
                problems.add("%s.owners.%s[%d]" % (path, role, i), "is empty; give a group name")


def _check_quota(tenant, path, problems):
    for key in schema.QUOTA_QUANTITIES:
        value = tenant["quota"].get(key)
        if value is not None:
            kit.check_quantity(problems, "%s.quota.%s" % (path, key), value)
    for key in schema.QUOTA_COUNTS:
        value = tenant["quota"].get(key)
        if kit.is_int(value) and value < 0:
            problems.add("%s.quota.%s" % (path, key), "%d is negative; use 0 or more" % value)


def _check_limits(tenant, path, problems):
    limits = tenant["limits"]
    ok = dict((key, kit.check_quantity(problems, "%s.limits.%s" % (path, key), limits[key]))
              for key in schema.LIMIT_QUANTITIES)
    # A container given the defaults must be admitted by the maximums: request <= limit <= max.
    for smaller, larger in (("default_cpu", "max_cpu"), ("default_memory", "max_memory"),
                            ("default_request_cpu", "default_cpu"), ("default_request_memory", "default_memory")):
        if ok[smaller] and ok[larger]:
            kit.check_not_above(problems, "%s.limits.%s" % (path, smaller), limits[smaller], larger, limits[larger])


def _check_network(tenant, path, problems):
    network = tenant["network"]
    for key in ("ingress_from_namespaces", "egress_to_namespaces"):
        for i, ns in enumerate(network[key]):
            if isinstance(ns, str) and not kit.is_dns1123_label(ns):
                problems.add("%s.network.%s[%d]" % (path, key, i), "%r is not a namespace name" % ns)
    for i, cidr in enumerate(network["egress_cidrs"]):
        kit.check_cidr(problems, "%s.network.egress_cidrs[%d]" % (path, i), cidr)


def _check_topics(tenant, path, problems):
    name = tenant["name"]
    topic_re = re.compile(r"^%s\.[a-z0-9]([-a-z0-9.]*[a-z0-9])?$" % re.escape(name))
    seen = set()
    for i, topic in enumerate(tenant["topics"]):
        field = "%s.topics[%d]" % (path, i)
        tname = topic.get("name")
        if not isinstance(tname, str):
            continue
        if not topic_re.match(tname) or len(tname) > TOPIC_NAME_MAX:
            problems.add(field + ".name", "%r is outside the tenant's prefix; topic names must be '%s.<name>' "
                         "with lower-case letters, digits, '-' and '.'" % (tname, name))
        if tname in seen:
            problems.add(field + ".name", "%r is listed twice" % tname)
        seen.add(tname)
        if kit.is_int(topic.get("partitions")) and topic["partitions"] < 1:
            problems.add(field + ".partitions", "must be 1 or more")
        rf = topic.get("replication_factor")
        if kit.is_int(rf) and (rf < 1 or rf % 2 == 0):
            problems.add(field + ".replication_factor", "must be an odd number of 1 or more, got %d" % rf)


def _check_postgres(tenant, path, problems):
    db = tenant["postgres"].get("database")
    if db is not None and not POSTGRES_IDENTIFIER.match(db):
        problems.add("%s.postgres.database" % path, "%r is not a plain PostgreSQL identifier "
                     "(lower-case letters, digits, '_')" % db)


def _check_tenant(tenant, path, platform, problems, state):
    """Every rule for one normalized tenant, section by section."""
    if not _check_names(tenant, path, platform, problems) or state == "absent":
        return
    _check_owners(tenant, path, problems)
    _check_quota(tenant, path, problems)
    _check_limits(tenant, path, problems)
    _check_network(tenant, path, problems)
    _check_topics(tenant, path, problems)
    _check_postgres(tenant, path, problems)


def validate(tenants, platform, state="present", namespace_owners=None):
    """Normalized tenant specs, or SpecError with every problem.

    ``namespace_owners`` maps existing namespace names to their labels (from
    the cluster); a namespace of another tenant or not managed by us is refused.

    >>> [t["namespaces"] for t in validate([{"name": "acme", "owners": {"admin": ["g"]}}], platform)]
    [['acme']]
    """
    problems = kit.Problems()
    if not isinstance(tenants, list) or not tenants:
        problems.add("tenants", "give at least one tenant")
        problems.raise_if_any()
    out = []
    for i, raw in enumerate(tenants):
        path = "tenants[%d]" % i
        if isinstance(raw, dict) and isinstance(raw.get("name"), str):
            path = "tenants[%d] (%s)" % (i, raw["name"])
        tenant = kit.normalize(raw, schema.TENANT_OPTIONS, path, problems)
        if not isinstance(tenant.get("name"), str):
            continue
        name = tenant["name"]
        tenant["display_name"] = tenant.get("display_name") or name
        tenant["namespaces"] = tenant.get("namespaces") or [name]
        tenant["harbor_project"] = tenant.get("harbor_project") or name
        tenant["allowed_registries"] = tenant.get("allowed_registries") or [
            "%s/%s" % (facts.registry_host(platform["domain"]), tenant["harbor_project"])]
        tier = dict(facts.TIERS[tenant["tier"]])
        tier.update(dict((k, v) for k, v in (tenant.get("quota") or {}).items() if v is not None))
        tenant["quota"] = tier
        if not tenant["postgres"].get("database"):
            tenant["postgres"]["database"] = name.replace("-", "_")
        _check_tenant(tenant, path, platform, problems, state)
        out.append((path, tenant))
    names = {}
    claimed = {}
    for path, tenant in out:
        if tenant["name"] in names:
            problems.add("%s.name" % path, "tenant %r is listed twice (also %s)" % (tenant["name"], names[tenant["name"]]))
        names[tenant["name"]] = path
        for i, ns in enumerate(tenant["namespaces"]):
            field = "%s.namespaces[%d]" % (path, i)
            if ns in claimed and claimed[ns][0] != tenant["name"]:
                problems.add(field, "namespace %r is claimed by two tenants: %r and %r" % (
                    ns, claimed[ns][0], tenant["name"]))
            claimed.setdefault(ns, (tenant["name"], path))
            labels = (namespace_owners or {}).get(ns)
            if labels is None:
                continue
            owner = labels.get(facts.TENANT_LABEL)
            if labels.get(facts.MANAGED_BY_LABEL) != facts.MANAGED_BY or not owner:
                problems.add(field, "namespace %r exists and is not managed by %s (no %s=%s and %s labels); refusing "
                             "to touch it" % (ns, facts.MANAGED_BY, facts.MANAGED_BY_LABEL, facts.MANAGED_BY,
                                              facts.TENANT_LABEL))
            elif owner != tenant["name"]:
                problems.add(field, "namespace %r already belongs to tenant %r on the cluster" % (ns, owner))
    problems.raise_if_any()
    return [tenant for _path, tenant in out]
