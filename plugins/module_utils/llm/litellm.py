# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""LiteLLM proxy requests for a tenant, as plain data: the tenant's budget,
rate limits and models (tier, overrides, checks), request bodies for teams
and virtual keys, and the comparison with what the gateway holds. Pure."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import re

from ansible_collections.openova.platform.plugins.module_utils.tenant import schema
from ansible_collections.openova.platform.plugins.module_utils.tenant.render import meta

DURATION = re.compile(r"^[1-9][0-9]*(s|m|h|d|mo)$")
LIMIT_FIELDS = ("max_budget", "budget_duration", "tpm_limit", "rpm_limit")
TEAM_FIELDS = LIMIT_FIELDS + ("models",)


def team_id(tenant_name):
    """The LiteLLM team (and key alias) of a tenant."""
    return meta.tenant_object_name(tenant_name)


def settings(tenant, default_models):
    """Budget, limits and models of a tenant: the tier, then its overrides."""
    out = dict(schema.LLM_TIERS[tenant["tier"]])
    for key in LIMIT_FIELDS:
        if tenant["llm"].get(key) is not None:
            out[key] = tenant["llm"][key]
    out["max_budget"] = float(out["max_budget"])
    out["models"] = sorted(set(tenant["llm"].get("models") or default_models or []))
    return out


def problems(tenant, path, wanted, offered):
    """(field, message) pairs for a tenant's LLM settings; ``offered`` is the
    list of models the gateway serves (None when not known yet)."""
    out = []
    budget = wanted.get("max_budget")
    if isinstance(budget, bool) or not isinstance(budget, (int, float)):
        out.append(("%s.llm.max_budget" % path, "%r is not a number" % (budget,)))
    elif budget < 0:
        out.append(("%s.llm.max_budget" % path, "%s is negative; give 0 or more US dollars" % budget))
    for key in ("tpm_limit", "rpm_limit"):
        value = wanted.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            out.append(("%s.llm.%s" % (path, key), "%r is not a whole number" % (value,)))
        elif value < 0:
            out.append(("%s.llm.%s" % (path, key), "%d is negative; give 0 or more" % value))
    duration = wanted.get("budget_duration")
    if not isinstance(duration, str) or not DURATION.match(duration):
        out.append(("%s.llm.budget_duration" % path, "%r is not a LiteLLM duration; give for example '30d', '7d', "
                    "'24h' or '1mo'" % (duration,)))
    if not wanted["models"]:
        out.append(("%s.llm.models" % path, "is empty and so is default_models; name the models the tenant may use%s"
                    % (" (the gateway offers %s)" % ", ".join(offered) if offered else "")))
    elif offered is not None:
        given = tenant["llm"].get("models") or []
        for model in wanted["models"]:
            if model not in offered:
                where = ("%s.llm.models[%d]" % (path, given.index(model))) if model in given else "default_models"
                out.append((where, "%r is not offered by the LLM gateway; it offers %s"
                            % (model, ", ".join(offered) or "no model at all")))
    return out


def offered_models(body):
    """Model ids from GET /v1/models (OpenAI list format)."""
    data = body.get("data") if isinstance(body, dict) else body
    return sorted({m.get("id") for m in data or [] if isinstance(m, dict) and m.get("id")})


def _labels(tenant_name):
    return {"openova.io/tenant": tenant_name, "app.kubernetes.io/managed-by": meta.MANAGED_BY}


def team_new(tenant_name, wanted):
    """NewTeamRequest."""
    body = {"team_id": team_id(tenant_name), "team_alias": tenant_name, "metadata": _labels(tenant_name)}
    body.update(dict((k, wanted[k]) for k in TEAM_FIELDS))
    return body


def team_view(team):
    """What a diff shows of a team."""
    if not team:
        return {}
    out = dict((k, team.get(k)) for k in TEAM_FIELDS)
    out["models"] = sorted(out["models"] or [])
    if out["max_budget"] is not None:
        out["max_budget"] = float(out["max_budget"])
    return out


def team_drift(team, wanted):
    """{field: wanted value} for the fields of a live team that differ."""
    live = team_view(team)
    return dict((k, wanted[k]) for k in TEAM_FIELDS if live.get(k) != wanted[k])


def team_update(tenant_name, changes):
    """UpdateTeamRequest with only the changed fields."""
    body = {"team_id": team_id(tenant_name)}
    body.update(changes)
    return body


def team_delete(tenant_name):
    """DeleteTeamRequest."""
    return {"team_ids": [team_id(tenant_name)]}


def find_team(body, tenant_name):
    """The tenant's team in GET /team/list (a list, or a dict holding one)."""
    teams = body
    if isinstance(body, dict):
        teams = body.get("teams") or body.get("data") or []
    wanted = team_id(tenant_name)
    return next((t for t in teams or [] if isinstance(t, dict) and t.get("team_id") == wanted), None)


def key_generate(tenant_name, wanted):
    """GenerateKeyRequest: the key belongs to the team and carries its models."""
    return {"key_alias": team_id(tenant_name), "team_id": team_id(tenant_name), "models": wanted["models"],
            "metadata": _labels(tenant_name)}


def key_update(token, wanted):
    """UpdateKeyRequest (``key`` may be the hashed token)."""
    return {"key": token, "models": wanted["models"]}


def key_delete(tokens):
    """KeyRequest revoking keys (raw keys or their hashed tokens)."""
    return {"keys": sorted(tokens)}


def hash_key(key):
    """The token LiteLLM stores for a virtual key (sha256 of the key)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def team_keys(body):
    """Keys of GET /key/list?return_full_object=true as dicts with a token."""
    keys = (body or {}).get("keys") or []
    return [k if isinstance(k, dict) else {"token": k} for k in keys]


def key_view(key):
    if not key:
        return {}
    return {"key_alias": key.get("key_alias"), "team_id": key.get("team_id"), "models": sorted(key.get("models") or []),
            "key": "VALUE_HIDDEN"}
