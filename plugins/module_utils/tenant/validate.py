# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure validation of tenant specs: fills defaults from schema.py, checks every
rule and raises one SpecError listing every problem with its field path. No I/O;
what the cluster says (namespace owners) comes in as plain data."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import ipaddress
import re

from ansible_collections.openova.platform.plugins.module_utils.errors import SpecError
from ansible_collections.openova.platform.plugins.module_utils.tenant import schema

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
# A Kubernetes quantity: digits with an optional fraction, then a suffix.
QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")
RESERVED_NAMES = ("default", "kube-system", "kube-public", "kube-node-lease", "openova", "istio",
                  "cert-manager", "kyverno", "cilium", "monitoring")
RESERVED_PREFIXES = ("kube-", "openova-", "istio-")
TENANT_NAME_MAX = 40
_TYPES = {"str": str, "int": int, "float": (int, float), "bool": bool, "list": list, "dict": dict}
_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


def _fallback(opt):
    """The default of a rejected value, so that later rules still have data to check."""
    if opt["type"] == "dict" and "options" in opt:
        return normalize({}, opt["options"], "", [])
    return copy.deepcopy(opt.get("default"))


def normalize(value, options, path, problems):
    """A copy of ``value`` (a dict) with defaults filled and every key checked
    against ``options`` (schema form). Unknown keys, wrong types, missing
    required keys and bad choices are appended to ``problems``."""
    if value is None:
        value = {}
    if not isinstance(value, dict):
        problems.append((path, "must be a mapping, got %s" % type(value).__name__))
        return {}
    out = {}
    for key in sorted(set(value) - set(options)):
        problems.append(("%s.%s" % (path, key), "unknown key; supported keys are %s" % ", ".join(sorted(options))))
    for key, opt in options.items():
        field = "%s.%s" % (path, key)
        given = value.get(key)
        if given is None:
            if opt.get("required"):
                problems.append((field, "is required"))
                continue
            given = copy.deepcopy(opt.get("default"))
            if given is None and "options" in opt and opt["type"] == "dict":
                given = {}
            if given is None:
                out[key] = None
                continue
        expected = _TYPES[opt["type"]]
        if opt["type"] == "int" and isinstance(given, str) and re.match(r"^-?[0-9]+$", given):
            given = int(given)
        if opt["type"] == "float" and isinstance(given, str) and _NUMBER.match(given.strip()):
            given = float(given)
        if not isinstance(given, expected) or (opt["type"] in ("int", "float") and isinstance(given, bool)):
            problems.append((field, "must be of type %s, got %r" % (opt["type"], given)))
            out[key] = _fallback(opt)
            continue
        if "choices" in opt and given not in opt["choices"]:
            problems.append((field, "%r is not one of %s" % (given, ", ".join(opt["choices"]))))
            out[key] = _fallback(opt)
            continue
        if opt["type"] == "dict" and "options" in opt:
            given = normalize(given, opt["options"], field, problems)
        elif opt["type"] == "list" and opt.get("elements") == "dict" and "options" in opt:
            given = [normalize(item, opt["options"], "%s[%d]" % (field, i), problems)
                     for i, item in enumerate(given)]
        elif opt["type"] == "list" and opt.get("elements") == "str":
            for i, item in enumerate(given):
                if not isinstance(item, str):
                    problems.append(("%s[%d]" % (field, i), "must be a string, got %r" % (item,)))
        out[key] = given
    return out


def quantity_problem(text):
    """None when ``text`` is a non-negative Kubernetes quantity, else the reason.

    >>> quantity_problem("2 cores")
    "'2 cores' is not a Kubernetes quantity; use for example '2', '500m' or '4Gi'"
    """
    text = str(text).strip() if text is not None else ""
    if text.startswith("-"):
        return "%r is negative; quotas and limits must be zero or more" % text
    if not QUANTITY.match(text):
        return "%r is not a Kubernetes quantity; use for example '2', '500m' or '4Gi'" % text
    return None


def reserved(name, platform_namespaces=()):
    return (name in RESERVED_NAMES or name in platform_namespaces
            or any(name.startswith(p) for p in RESERVED_PREFIXES))


def platform_namespace_names(platform):
    names = {platform["istio_namespace"], platform["ingress_namespace"], platform["llm_gateway_namespace"],
             platform["redpanda_namespace"], platform["postgres_namespace"], platform["grafana_namespace"]}
    names.update(platform["telemetry_namespaces"])
    names.update(platform["data_namespaces"])
    return names


def normalize_platform(platform):
    problems = []
    out = normalize(platform or {}, schema.PLATFORM_OPTIONS, "platform", problems)
    if problems:
        raise SpecError(problems)
    if not out.get("postgres_host"):
        out["postgres_host"] = "%s-rw.%s.svc" % (out["postgres_cluster"], out["postgres_namespace"])
    return out


def _check_tenant(tenant, path, platform, problems, state):
    name = tenant["name"]
    platform_ns = platform_namespace_names(platform)
    if not DNS1123_LABEL.match(name) or len(name) > TENANT_NAME_MAX:
        problems.append(("%s.name" % path, "%r is not a DNS-1123 label of at most %d characters (lower-case "
                         "letters, digits and '-', starting and ending with a letter or digit)"
                         % (name, TENANT_NAME_MAX)))
        return
    if reserved(name, platform_ns):
        problems.append(("%s.name" % path, "%r collides with a platform namespace name (default, kube-*, istio-*, "
                         "openova-* and the configured platform namespaces); choose another name" % name))
    for i, ns in enumerate(tenant["namespaces"]):
        field = "%s.namespaces[%d]" % (path, i)
        if not isinstance(ns, str):
            continue
        if not DNS1123_LABEL.match(ns) or len(ns) > 63:
            problems.append((field, "%r is not a DNS-1123 label (at most 63 lower-case letters, digits and '-')" % ns))
        elif reserved(ns, platform_ns):
            problems.append((field, "%r collides with a platform namespace; choose another name" % ns))
        elif ns != name and not ns.startswith(name + "-"):
            problems.append((field, "%r must be %r or start with %r" % (ns, name, name + "-")))
    if len(set(tenant["namespaces"])) != len(tenant["namespaces"]):
        problems.append(("%s.namespaces" % path, "lists a namespace twice"))
    if state == "absent":
        return
    owners = tenant["owners"]
    if not owners or not owners.get("admin"):
        problems.append(("%s.owners.admin" % path, "needs at least one group; the tenant must have an admin"))
    for role in ("admin", "developer", "viewer"):
        for i, group in enumerate((owners or {}).get(role) or []):
            if not isinstance(group, str) or not group.strip():
                problems.append(("%s.owners.%s[%d]" % (path, role, i), "is empty; give a group name"))
    for key in schema.QUOTA_QUANTITIES:
        value = tenant["quota"].get(key)
        reason = quantity_problem(value) if value is not None else None
        if reason:
            problems.append(("%s.quota.%s" % (path, key), reason))
    for key in schema.QUOTA_COUNTS:
        value = tenant["quota"].get(key)
        if isinstance(value, int) and value < 0:
            problems.append(("%s.quota.%s" % (path, key), "%d is negative; use 0 or more" % value))
    for key in schema.LIMIT_QUANTITIES:
        reason = quantity_problem(tenant["limits"][key])
        if reason:
            problems.append(("%s.limits.%s" % (path, key), reason))
    for key in ("ingress_from_namespaces", "egress_to_namespaces"):
        for i, ns in enumerate(tenant["network"][key]):
            if isinstance(ns, str) and not DNS1123_LABEL.match(ns):
                problems.append(("%s.network.%s[%d]" % (path, key, i), "%r is not a namespace name" % ns))
    for i, cidr in enumerate(tenant["network"]["egress_cidrs"]):
        try:
            ipaddress.ip_network(str(cidr), strict=True)
        except ValueError:
            problems.append(("%s.network.egress_cidrs[%d]" % (path, i), "%r is not a CIDR block, for example "
                             "'10.20.0.0/16'" % (cidr,)))
    topic_re = re.compile(r"^%s\.[a-z0-9]([-a-z0-9.]*[a-z0-9])?$" % re.escape(name))
    seen = set()
    for i, topic in enumerate(tenant["topics"]):
        field = "%s.topics[%d]" % (path, i)
        tname = topic.get("name")
        if not isinstance(tname, str):
            continue
        if not topic_re.match(tname) or len(tname) > 249:
            problems.append((field + ".name", "%r is outside the tenant's prefix; topic names must be '%s.<name>' "
                             "with lower-case letters, digits, '-' and '.'" % (tname, name)))
        if tname in seen:
            problems.append((field + ".name", "%r is listed twice" % tname))
        seen.add(tname)
        if isinstance(topic.get("partitions"), int) and topic["partitions"] < 1:
            problems.append((field + ".partitions", "must be 1 or more"))
        rf = topic.get("replication_factor")
        if isinstance(rf, int) and (rf < 1 or rf % 2 == 0):
            problems.append((field + ".replication_factor", "must be an odd number of 1 or more, got %d" % rf))
    db = tenant["postgres"].get("database")
    if db is not None and not re.match(r"^[a-z_][a-z0-9_]{0,62}$", db):
        problems.append(("%s.postgres.database" % path, "%r is not a plain PostgreSQL identifier "
                         "(lower-case letters, digits, '_')" % db))


def validate(tenants, platform, state="present", namespace_owners=None):
    """Normalized tenant specs, or SpecError with every problem.

    ``namespace_owners`` maps existing namespace names to their labels (from
    the cluster); a namespace of another tenant or not managed by us is refused.

    >>> [t["namespaces"] for t in validate([{"name": "acme", "owners": {"admin": ["g"]}}], platform)]
    [['acme']]
    """
    problems = []
    if not isinstance(tenants, list) or not tenants:
        raise SpecError([("tenants", "give at least one tenant")])
    out = []
    for i, raw in enumerate(tenants):
        path = "tenants[%d]" % i
        if isinstance(raw, dict) and isinstance(raw.get("name"), str):
            path = "tenants[%d] (%s)" % (i, raw["name"])
        tenant = normalize(raw, schema.TENANT_OPTIONS, path, problems)
        if not isinstance(tenant.get("name"), str):
            continue
        name = tenant["name"]
        tenant["display_name"] = tenant.get("display_name") or name
        tenant["namespaces"] = tenant.get("namespaces") or [name]
        tenant["harbor_project"] = tenant.get("harbor_project") or name
        tenant["allowed_registries"] = tenant.get("allowed_registries") or [
            "harbor.%s/%s" % (platform["domain"], tenant["harbor_project"])]
        tier = dict(schema.TIERS[tenant["tier"]])
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
            problems.append(("%s.name" % path, "tenant %r is listed twice (also %s)"
                             % (tenant["name"], names[tenant["name"]])))
        names[tenant["name"]] = path
        for i, ns in enumerate(tenant["namespaces"]):
            if ns in claimed and claimed[ns][0] != tenant["name"]:
                problems.append(("%s.namespaces[%d]" % (path, i), "namespace %r is claimed by two tenants: %r and %r"
                                 % (ns, claimed[ns][0], tenant["name"])))
            claimed.setdefault(ns, (tenant["name"], path))
            labels = (namespace_owners or {}).get(ns)
            if labels is None:
                continue
            owner = labels.get("openova.io/tenant")
            if labels.get("app.kubernetes.io/managed-by") != "openova-platform" or not owner:
                problems.append(("%s.namespaces[%d]" % (path, i), "namespace %r exists and is not managed by "
                                 "openova-platform (no app.kubernetes.io/managed-by=openova-platform and "
                                 "openova.io/tenant labels); refusing to touch it" % ns))
            elif owner != tenant["name"]:
                problems.append(("%s.namespaces[%d]" % (path, i), "namespace %r already belongs to tenant %r on the "
                                 "cluster" % (ns, owner)))
    if problems:
        raise SpecError(problems)
    return [tenant for _path, tenant in out]
