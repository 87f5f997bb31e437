# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure validation of tenant specs: fills defaults from schema.py, checks every
rule with the validation kit (validation.py) and raises one SpecError listing
every problem with its field path. No I/O; what the cluster says (namespace
owners) comes in as plain data."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

from ansible_collections.openova.platform.plugins.module_utils import facts
from ansible_collections.openova.platform.plugins.module_utils import validation as kit
from ansible_collections.openova.platform.plugins.module_utils.tenant import schema

TENANT_NAME_MAX = 40
TOPIC_NAME_MAX = 249
POSTGRES_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# Bounds that keep one spec from becoming an unbounded number of objects or an
# object the API server refuses (an annotation is at most 256 KiB in all).
MAX_NAMESPACES = 50
MAX_GROUPS = 50
MAX_TOPICS = 500
MAX_LIST = 50            # network namespaces, egress CIDRs, allowed registries
DISPLAY_NAME_MAX = 253   # the Namespace annotation and the Grafana folder title
GROUP_NAME_MAX = 253
TEXT_MAX = 253           # registries, Harbor project
PARTITIONS_MAX = 1000
REPLICATION_MAX = 9
TOPIC_CONFIG_KEY = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*$")
TOPIC_CONFIG_VALUE_MAX = 1024
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
HARBOR_PROJECT = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$")
REGISTRY = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?(/[a-z0-9]+(?:[._-][a-z0-9]+)*)*/?$")
# PostgreSQL and CloudNativePG reserve these names (the DatabaseRole CRD's CEL rules,
# and the databases every cluster has).
POSTGRES_RESERVED_ROLES = ("postgres", "streaming_replica")
POSTGRES_RESERVED_ROLE_PREFIXES = ("pg_", "cnpg_")
POSTGRES_RESERVED_DATABASES = ("postgres", "template0", "template1")
# Egress no tenant gets without a platform allowance (platform.allowed_egress_cidrs):
# link-local (cloud metadata services live at 169.254.169.254 and fd00:ec2::254),
# loopback and "this network", and anything as wide as a /8 (IPv4) or /16 (IPv6).
BLOCKED_EGRESS = ("169.254.0.0/16", "127.0.0.0/8", "0.0.0.0/8", "fe80::/10", "::1/128", "fd00:ec2::254/128")
WIDEST_EGRESS = {4: 8, 6: 16}


def platform_namespace_names(platform):
    """The platform namespaces a tenant spec refers to (as configured), plus every
    namespace the platform installs."""
    names = {platform["istio_namespace"], platform["ingress_namespace"], platform["llm_gateway_namespace"],
             platform["redpanda_namespace"], platform["postgres_namespace"], platform["grafana_namespace"]}
    names.update(platform["telemetry_namespaces"])
    names.update(platform["data_namespaces"])
    names.update(facts.PLATFORM_NAMESPACES)
    return names


PLATFORM_NAMESPACE_KEYS = ("istio_namespace", "ingress_namespace", "llm_gateway_namespace", "redpanda_namespace",
                           "postgres_namespace", "grafana_namespace")
PLATFORM_NAMESPACE_LISTS = ("telemetry_namespaces", "data_namespaces")
HOST_PORT = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?:[0-9]{1,5}$")
HTTP_URL = re.compile(r"^https?://[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?(/[^\s]*)?$")
LABEL_KEY_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")


def _check_platform_namespace(problems, field, value):
    """A platform namespace option: a namespace name that is not a Kubernetes system
    namespace (tenant objects are written there)."""
    if not kit.check_name(problems, field, value):
        return
    if value in facts.SYSTEM_NAMESPACES or value == "default":
        problems.add(field, "%r is a Kubernetes system namespace; tenant Secrets and custom resources are written "
                     "into the platform namespaces, so name the namespace the platform installed" % value)


def _check_label_key(problems, field, key):
    prefix, name = key.rpartition("/")[::2] if isinstance(key, str) else ("", None)
    if (not isinstance(name, str) or len(name) > 63 or not LABEL_KEY_NAME.match(name)
            or (prefix and not kit.is_dns1123_subdomain(prefix))):
        problems.add(field, "%r is not a label key ([prefix/]name, name at most 63 characters)" % (key,))
        return False
    return True


def _check_platform(out, problems):
    """The platform options: names the API server would refuse, system namespaces,
    malformed URLs, ports and CIDRs."""
    for key in PLATFORM_NAMESPACE_KEYS:
        _check_platform_namespace(problems, "platform.%s" % key, out[key])
    for key in PLATFORM_NAMESPACE_LISTS:
        kit.check_length(problems, "platform.%s" % key, out[key], MAX_LIST, min_len=1)
        for i, ns in enumerate(out[key]):
            _check_platform_namespace(problems, "platform.%s[%d]" % (key, i), ns)
    kit.check_name(problems, "platform.domain", out["domain"], max_len=200, kind="DNS-1123 subdomain")
    for key in ("redpanda_cluster", "postgres_cluster"):
        kit.check_name(problems, "platform.%s" % key, out[key], kind="DNS-1123 subdomain", max_len=253)
    if out["istio_revision"]:
        kit.check_label_value(problems, "platform.istio_revision", out["istio_revision"])
    kit.check_int(problems, "platform.postgres_port", out["postgres_port"], minimum=1, maximum=65535)
    if out.get("postgres_host") is not None:
        kit.check_name(problems, "platform.postgres_host", out["postgres_host"], kind="DNS-1123 subdomain",
                       max_len=253)
    servers = out["redpanda_bootstrap_servers"]
    if not servers or any(not HOST_PORT.match(s) for s in servers.split(",")):
        problems.add("platform.redpanda_bootstrap_servers", "%r is not a comma-separated list of host:port"
                     % (servers,))
    for key in ("loki_url", "mimir_url", "tempo_url"):
        if not HTTP_URL.match(out[key] or ""):
            problems.add("platform.%s" % key, "%r is not an http:// or https:// URL" % (out[key],))
    labels = out["grafana_instance_labels"] or {}
    if not labels:
        problems.add("platform.grafana_instance_labels", "give at least one label that selects the Grafana instance")
    for key, value in labels.items():
        field = "platform.grafana_instance_labels.%s" % key
        if _check_label_key(problems, field, key):
            kit.check_label_value(problems, field, value if isinstance(value, str) else repr(value))
    kit.check_length(problems, "platform.allowed_egress_cidrs", out["allowed_egress_cidrs"], MAX_LIST)
    for i, cidr in enumerate(out["allowed_egress_cidrs"]):
        kit.check_cidr(problems, "platform.allowed_egress_cidrs[%d]" % i, cidr)


def normalize_platform(platform):
    problems = kit.Problems()
    out = kit.normalize(platform or {}, schema.PLATFORM_OPTIONS, "platform", problems)
    problems.raise_if_any()
    _check_platform(out, problems)
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
        problems.add("%s.name" % path, "%r is reserved: it collides with a platform namespace or component name, "
                     "a platform host (%s) or a reserved prefix (kube-*, istio-*, openova-*); choose another name"
                     % (name, ", ".join(facts.platform_hosts(platform["domain"])[2:4])))
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
    if len(tenant["namespaces"]) > MAX_NAMESPACES:
        problems.add("%s.namespaces" % path, "lists %d namespaces; a tenant has at most %d (each one is about 15 "
                     "objects)" % (len(tenant["namespaces"]), MAX_NAMESPACES))
    return True


def _check_text(problems, field, value, max_len):
    """Free text that ends up in annotations, titles and names: bounded, one line."""
    if not isinstance(value, str):
        return False
    if not value.strip():
        problems.add(field, "is empty")
        return False
    if len(value) > max_len:
        problems.add(field, "is %d characters long; at most %d are allowed" % (len(value), max_len))
        return False
    if CONTROL.search(value):
        problems.add(field, "contains a control character (a line break, tab or NUL); use one line of text")
        return False
    return True


def _check_identity(tenant, path, problems):
    """display_name, harbor_project and allowed_registries: annotations and titles."""
    _check_text(problems, "%s.display_name" % path, tenant["display_name"], DISPLAY_NAME_MAX)
    project = tenant["harbor_project"]
    if _check_text(problems, "%s.harbor_project" % path, project, TEXT_MAX) and not HARBOR_PROJECT.match(project):
        problems.add("%s.harbor_project" % path, "%r is not a Harbor project name (lower-case letters and digits, "
                     "separated by single '.', '_' or '-')" % project)
    registries = tenant["allowed_registries"]
    kit.check_length(problems, "%s.allowed_registries" % path, registries, MAX_LIST)
    for i, registry in enumerate(registries):
        field = "%s.allowed_registries[%d]" % (path, i)
        if _check_text(problems, field, registry, TEXT_MAX) and not REGISTRY.match(registry):
            problems.add(field, "%r is not a registry prefix such as 'harbor.example.com/acme' (lower-case host, "
                         "optional port and path; no scheme, commas or spaces)" % registry)


def owner_groups(tenant):
    """(role, index, group) of every owner group of a normalized tenant."""
    owners = tenant.get("owners") or {}
    return [(role, i, group) for role in ("admin", "developer", "viewer")
            for i, group in enumerate(owners.get(role) or [])]


def _check_owners(tenant, path, problems):
    owners = tenant["owners"]
    if not owners or not owners.get("admin"):
        problems.add("%s.owners.admin" % path, "needs at least one group; the tenant must have an admin")
    for role in ("admin", "developer", "viewer"):
        kit.check_length(problems, "%s.owners.%s" % (path, role), (owners or {}).get(role) or [], MAX_GROUPS)
    for role, i, group in owner_groups(tenant):
        field = "%s.owners.%s[%d]" % (path, role, i)
        if not isinstance(group, str) or not group.strip():
            problems.add(field, "is empty; give a group name")
        elif group.startswith(facts.RESERVED_GROUP_PREFIXES):
            problems.add(field, "%r is a Kubernetes system group (%s*): binding it would give every member, for "
                         "example every authenticated user or service account, the tenant's %s role; name a group "
                         "of the tenant's own" % (group, "*, ".join(facts.RESERVED_GROUP_PREFIXES), role))
        else:
            _check_text(problems, field, group, GROUP_NAME_MAX)


def _check_quota(tenant, path, problems):
    for key in schema.QUOTA_QUANTITIES:
        value = tenant["quota"].get(key)
        if value is not None:
            kit.check_quantity(problems, "%s.quota.%s" % (path, key), value)
    for key in schema.QUOTA_COUNTS:
        value = tenant["quota"].get(key)
        if value is None:
            continue
        if kit.is_int(value) and value < 0:
            problems.add("%s.quota.%s" % (path, key), "%d is negative; use 0 or more" % value)
        else:
            # A count larger than a quantity can hold would be stored as something else.
            kit.check_int(problems, "%s.quota.%s" % (path, key), value, minimum=0, maximum=kit.QUANTITY_MAX)


def _check_limits(tenant, path, problems):
    limits = tenant["limits"]
    ok = dict((key, kit.check_quantity(problems, "%s.limits.%s" % (path, key), limits[key]))
              for key in schema.LIMIT_QUANTITIES)
    # A container given the defaults must be admitted by the maximums: request <= limit <= max.
    for smaller, larger in (("default_cpu", "max_cpu"), ("default_memory", "max_memory"),
                            ("default_request_cpu", "default_cpu"), ("default_request_memory", "default_memory")):
        if ok[smaller] and ok[larger]:
            kit.check_not_above(problems, "%s.limits.%s" % (path, smaller), limits[smaller], larger, limits[larger])


def egress_problem(cidr, allowances):
    """Why a tenant may not have egress to ``cidr`` (an ip_network), or None. A
    CIDR inside a platform allowance is always fine."""
    if any(cidr.version == a.version and cidr.subnet_of(a) for a in allowances):
        return None
    for blocked in BLOCKED_EGRESS:
        blocked = ipaddress.ip_network(blocked)
        if cidr.version == blocked.version and cidr.overlaps(blocked):
            return ("reaches %s (link-local, where cloud metadata services answer, loopback or 'this network'); "
                    "the platform must allow it in platform.allowed_egress_cidrs" % blocked)
    if cidr.prefixlen < WIDEST_EGRESS[cidr.version]:
        return ("is wider than a /%d; egress that wide needs a platform-level allowance in "
                "platform.allowed_egress_cidrs" % WIDEST_EGRESS[cidr.version])
    return None


def _check_network(tenant, path, platform, problems):
    network = tenant["network"]
    for key in ("ingress_from_namespaces", "egress_to_namespaces", "egress_cidrs"):
        kit.check_length(problems, "%s.network.%s" % (path, key), network[key], MAX_LIST)
    platform_ns = platform_namespace_names(platform) | set(facts.SYSTEM_NAMESPACES)
    for key in ("ingress_from_namespaces", "egress_to_namespaces"):
        for i, ns in enumerate(network[key]):
            if isinstance(ns, str) and not kit.is_dns1123_label(ns):
                problems.add("%s.network.%s[%d]" % (path, key, i), "%r is not a namespace name" % ns)
            elif key == "egress_to_namespaces" and ns in platform_ns:
                problems.add("%s.network.%s[%d]" % (path, key, i), "%r is a platform namespace: tenants reach the "
                             "platform only through its tenant-facing services (DNS, istiod, the telemetry collector, "
                             "PostgreSQL, Redis, Redpanda, the LLM gateway), on their ports" % ns)
    allowances = [ipaddress.ip_network(c, strict=False) for c in platform.get("allowed_egress_cidrs") or []]
    for i, cidr in enumerate(network["egress_cidrs"]):
        field = "%s.network.egress_cidrs[%d]" % (path, i)
        if kit.check_cidr(problems, field, cidr):
            why = egress_problem(kit.parse_cidr(cidr), allowances)
            if why:
                problems.add(field, "%r %s" % (cidr, why))


def _check_topics(tenant, path, problems):
    name = tenant["name"]
    seen = set()
    kit.check_length(problems, "%s.topics" % path, tenant["topics"], MAX_TOPICS)
    for i, topic in enumerate(tenant["topics"]):
        field = "%s.topics[%d]" % (path, i)
        tname = topic.get("name")
        if not isinstance(tname, str):
            continue
        # The name is the Topic object's name too, so it must be a DNS-1123 subdomain
        # (no empty part between dots, as in 'acme.a..b').
        if not tname.startswith(name + ".") or not kit.is_dns1123_subdomain(tname, TOPIC_NAME_MAX):
            problems.add(field + ".name", "%r is outside the tenant's prefix or not a valid topic name; topic names "
                         "are '%s.<name>', at most %d "
                         "characters of lower-case letters, digits, '-' and '.', each part between dots starting "
                         "and ending with a letter or digit" % (tname, name, TOPIC_NAME_MAX))
        if tname in seen:
            problems.add(field + ".name", "%r is listed twice" % tname)
        seen.add(tname)
        partitions = topic.get("partitions")
        if partitions is not None and (not kit.is_int(partitions) or not 1 <= partitions <= PARTITIONS_MAX):
            problems.add(field + ".partitions", "%r: must be 1 or more, at most %d" % (partitions, PARTITIONS_MAX))
        rf = topic.get("replication_factor")
        if rf is not None and kit.check_int(problems, field + ".replication_factor", rf, minimum=1,
                                            maximum=REPLICATION_MAX) and rf % 2 == 0:
            problems.add(field + ".replication_factor", "must be an odd number of 1 or more, got %d" % rf)
        for key, value in sorted((topic.get("config") or {}).items(), key=lambda kv: str(kv[0])):
            cfield = "%s.config.%s" % (field, key)
            if not isinstance(key, str) or not TOPIC_CONFIG_KEY.match(key):
                problems.add(cfield, "%r is not a topic configuration name such as 'retention.ms'" % (key,))
            elif isinstance(value, (dict, list)) or value is None:
                problems.add(cfield, "must be a single value (a string, number or boolean)")
            elif len(str(value)) > TOPIC_CONFIG_VALUE_MAX or CONTROL.search(str(value)):
                problems.add(cfield, "must be one line of at most %d characters" % TOPIC_CONFIG_VALUE_MAX)


def postgres_prefix(tenant_name):
    """The tenant's PostgreSQL name space: ``acme-corp`` -> ``acme_corp``."""
    return tenant_name.replace("-", "_")


def _check_postgres(tenant, path, problems, derived):
    """Only when PostgreSQL is on: the database name, which is also the role name, and is the
    tenant's own (its name with '_' for '-', or that followed by '_')."""
    if not tenant["postgres"].get("enabled"):
        return
    db = tenant["postgres"].get("database")
    field = "%s.postgres.database" % path
    origin = " (the default, from the tenant name; set postgres.database)" if derived else ""
    if not isinstance(db, str):
        return
    own = postgres_prefix(tenant["name"])
    if not POSTGRES_IDENTIFIER.match(db):
        problems.add(field, "%r%s is not a plain PostgreSQL identifier (at most 63 lower-case letters, digits and "
                     "'_', not starting with a digit)" % (db, origin))
    elif db in POSTGRES_RESERVED_ROLES or db in POSTGRES_RESERVED_DATABASES or db.startswith(
            POSTGRES_RESERVED_ROLE_PREFIXES):
        problems.add(field, "%r%s is reserved by PostgreSQL or CloudNativePG (postgres, streaming_replica, "
                     "template0, template1, pg_*, cnpg_*); it names the tenant's database and role" % (db, origin))
    elif db != own and not db.startswith(own + "_"):
        problems.add(field, "%r is not the tenant's: a tenant's database is %r or starts with %r" % (db, own, own + "_"))


def _check_tenant(tenant, path, platform, problems, state, derived_database=False):
    """Every rule for one normalized tenant, section by section."""
    if not _check_names(tenant, path, platform, problems) or state == "absent":
        return
    _check_identity(tenant, path, problems)
    _check_owners(tenant, path, problems)
    _check_quota(tenant, path, problems)
    _check_limits(tenant, path, problems)
    _check_network(tenant, path, platform, problems)
    _check_topics(tenant, path, problems)
    _check_postgres(tenant, path, problems, derived_database)


def _check_claims(out, claims, problems):
    """Owner groups and PostgreSQL databases belong to one tenant: refuse one that another
    tenant of the batch names, or that the cluster already gives another tenant (``claims``:
    ``{"groups": {group: tenant}, "databases": {database: tenant}, "current_databases": {tenant:
    database}}``, read from the cluster); and a database cannot be renamed."""
    claims = claims or {}
    seen_groups, seen_dbs = {}, {}
    for path, tenant in out:
        name = tenant["name"]
        for role, i, group in owner_groups(tenant):
            if not isinstance(group, str):
                continue
            field = "%s.owners.%s[%d]" % (path, role, i)
            other = seen_groups.get(group)
            if other and other[0] != name:
                problems.add(field, "group %r is also an owner group of tenant %r (%s); each tenant's groups are "
                             "its own" % (group, other[0], other[1]))
            elif (claims.get("groups") or {}).get(group, name) != name:
                problems.add(field, "group %r is already bound to tenant %r on the cluster; each tenant's groups are "
                             "its own" % (group, claims["groups"][group]))
            seen_groups.setdefault(group, (name, field))
        if not (tenant.get("postgres") or {}).get("enabled"):
            continue
        db = tenant["postgres"].get("database")
        field = "%s.postgres.database" % path
        other = seen_dbs.get(db)
        if other and other[0] != name:
            problems.add(field, "database %r is also asked for by tenant %r (%s)" % (db, other[0], other[1]))
        elif (claims.get("databases") or {}).get(db, name) != name:
            problems.add(field, "database %r already belongs to tenant %r on the cluster" % (db, claims["databases"][db]))
        elif (claims.get("current_databases") or {}).get(name, db) != db:
            problems.add(field, "the tenant's database is %r on the cluster and cannot be renamed to %r; keep %r"
                         % (claims["current_databases"][name], db, claims["current_databases"][name]))
        seen_dbs.setdefault(db, (name, field))


def validate(tenants, platform, state="present", namespace_owners=None, claims=None):
    """Normalized tenant specs, or SpecError with every problem.

    ``namespace_owners`` maps existing namespace names to their labels (from
    the cluster); a namespace of another tenant or not managed by us is refused.
    ``claims`` holds the owner groups and databases other tenants hold on the
    cluster (see _check_claims).

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
        derived = not tenant["postgres"].get("database")
        if derived:
            tenant["postgres"]["database"] = postgres_prefix(name)
        _check_tenant(tenant, path, platform, problems, state, derived)
        out.append((path, tenant))
    _check_batch(out, state, namespace_owners, claims, problems)
    problems.raise_if_any()
    return [tenant for _path, tenant in out]


def _check_batch(out, state, namespace_owners, claims, problems):
    """The rules across the batch and against the cluster, for normalized ``(path, tenant)``
    pairs: names and namespaces listed twice, owner groups and databases other tenants hold
    (``claims``), namespaces that exist and are not the tenant's (``namespace_owners``)."""
    if state == "present":
        _check_claims([(p, t) for p, t in out if isinstance(t.get("owners"), dict)], claims, problems)
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


def check_cluster(tenants, state="present", namespace_owners=None, claims=None):
    """The checks of validate() that depend on the cluster, for tenants validate() has
    already normalized (without repeating the rest: at 1,000 tenants that is a second of a
    no-op run). Raises SpecError naming the field."""
    problems = kit.Problems()
    _check_batch([("tenants[%d] (%s)" % (i, t["name"]), t) for i, t in enumerate(tenants)], state,
                 namespace_owners, claims, problems)
    problems.raise_if_any()
    return tenants
