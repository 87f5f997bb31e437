# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Harbor API v2.0 requests for a tenant, as plain data: validation of the
names Harbor accepts, request bodies, and the comparison of what Harbor holds
with what the tenant should have. Pure: no I/O (see run.py for the calls)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

API_BASE = "/api/v2.0"

# Harbor's own rules (src/pkg/project/manager.go and the robot handler of Harbor 2.14).
PROJECT_NAME = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$")
PROJECT_NAME_MAX = 255
ROBOT_NAME = PROJECT_NAME

# The platform's robot accounts per project: short name and project permissions.
ROBOTS = {
    "pull": {"name": "openova-pull", "description": "Image pulls of the tenant's workloads (openova-platform)",
             "access": [("repository", "pull")]},
    "push": {"name": "openova-push", "description": "Image pushes of the tenant's CI (openova-platform)",
             "access": [("repository", "pull"), ("repository", "push")]},
}

# Harbor project roles (ProjectMember.role_id) by name.
PROJECT_ROLES = {"projectAdmin": 1, "developer": 2, "guest": 3, "maintainer": 4, "limitedGuest": 5}
# Tenant role -> Harbor project role. Tenant admins are maintainers, not project admins: a project
# admin could remove the platform's robot accounts and change the project's members.
DEFAULT_GROUP_ROLES = {"admin": "maintainer", "developer": "developer", "viewer": "guest"}
# Auth modes under which Harbor knows groups, and the group_type of their members.
GROUP_TYPES = {"ldap_auth": 1, "http_auth": 2, "oidc_auth": 3}

_BYTES = re.compile(r"^([0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|k|K|M|G|T|P|E)?$")
_FACTOR = {None: 1, "Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40, "Pi": 1 << 50, "Ei": 1 << 60,
           "k": 10 ** 3, "K": 10 ** 3, "M": 10 ** 6, "G": 10 ** 9, "T": 10 ** 12, "P": 10 ** 15, "E": 10 ** 18}


def project_name_problem(name):
    """None when Harbor accepts ``name`` as a project name, else the reason.

    >>> project_name_problem("acme--images")
    "'acme--images' is not a Harbor project name: lower-case letters and digits, separated by single '.', '_' or '-'"
    """
    if not isinstance(name, str) or not name:
        return "is empty; give a Harbor project name"
    if len(name) > PROJECT_NAME_MAX:
        return "%r is longer than %d characters" % (name, PROJECT_NAME_MAX)
    if not PROJECT_NAME.match(name):
        return ("%r is not a Harbor project name: lower-case letters and digits, separated by single '.', '_' "
                "or '-'" % name)
    return None


def storage_bytes(text):
    """(bytes, None) for a byte quantity such as ``50Gi`` (``-1``: no limit), or (None, reason)."""
    text = str(text).strip() if text is not None else ""
    if text == "-1":
        return -1, None
    if text.startswith("-"):
        return None, "%r is negative; give a size such as '50Gi', or -1 for no limit" % text
    match = _BYTES.match(text)
    if not match:
        return None, "%r is not a byte quantity; give for example '500Mi', '50Gi' or '1Ti' (or -1 for no limit)" % text
    value = int(match.group(1)) * _FACTOR[match.group(2)]
    if value == 0:
        return None, "0 would forbid every push; give a size such as '50Gi', or -1 for no limit"
    if value > (1 << 63) - 1:
        return None, "%r is too large" % text
    return value, None


def robot_full_name(project, short, prefix="robot$"):
    """The name Harbor gives a project robot account (and its registry user name)."""
    return "%s%s+%s" % (prefix, project, short)


def robot_permissions(project, kind):
    return [{"kind": "project", "namespace": project,
             "access": [{"resource": r, "action": a} for r, a in ROBOTS[kind]["access"]]}]


def project_create(project, storage):
    """ProjectReq for a private project with a storage quota in bytes."""
    return {"project_name": project, "metadata": {"public": "false"}, "storage_limit": storage}


def project_private_update():
    """ProjectReq that makes an existing project private again."""
    return {"metadata": {"public": "false"}}


def quota_update(storage):
    """QuotaUpdateReq for a project's storage quota."""
    return {"hard": {"storage": storage}}


def robot_create(project, kind):
    """RobotCreate for the project's pull or push robot; it never expires."""
    return {"name": ROBOTS[kind]["name"], "description": ROBOTS[kind]["description"], "level": "project",
            "disable": False, "duration": -1, "permissions": robot_permissions(project, kind)}


def robot_update(live, project, kind):
    """The Robot body of a PUT that restores permissions, description and enabled state."""
    body = dict((k, live[k]) for k in ("id", "name", "level", "duration", "editable") if k in live)
    body.update(description=ROBOTS[kind]["description"], disable=False, duration=-1,
                permissions=robot_permissions(project, kind))
    return body


def robot_sec_refresh():
    """RobotSec that asks Harbor to generate a new secret."""
    return {"secret": ""}


def _access_set(permissions):
    return sorted((p.get("kind"), p.get("namespace"), a.get("resource"), a.get("action"))
                  for p in permissions or [] for a in p.get("access") or [])


def robot_view(robot):
    """What a diff shows of a robot: never its secret."""
    if robot is None:
        return {}
    return {"name": robot.get("name"), "disabled": bool(robot.get("disable")), "duration": robot.get("duration"),
            "permissions": ["%s:%s %s:%s" % item for item in _access_set(robot.get("permissions"))]}


def robot_drift(live, project, kind):
    """The fields of a live robot that differ from what the platform sets."""
    out = []
    if _access_set(live.get("permissions")) != _access_set(robot_permissions(project, kind)):
        out.append("permissions")
    if live.get("disable"):
        out.append("disabled")
    if live.get("duration") not in (-1, None):
        out.append("duration")
    return out


def find_robot(robots, project, kind):
    """The live robot of ``kind`` among a project's robots (by name, any prefix)."""
    suffix = "%s+%s" % (project, ROBOTS[kind]["name"])
    for robot in robots or []:
        name = robot.get("name") or ""
        if name == suffix or name.endswith("$" + suffix):
            return robot
    return None


def robot_query(project_id):
    """The ``q`` of ListRobot for one project's robots."""
    return "Level=project,ProjectID=%d" % project_id


def desired_members(owners, group_roles):
    """{group name: role id} for the tenant's groups (a group in two roles keeps the stronger one)."""
    rank = {1: 0, 4: 1, 2: 2, 3: 3, 5: 4}
    out = {}
    for tenant_role in ("admin", "developer", "viewer"):
        role_id = PROJECT_ROLES[group_roles[tenant_role]]
        for group in (owners or {}).get(tenant_role) or []:
            if group not in out or rank[role_id] < rank[out[group]]:
                out[group] = role_id
    return out


def member_create(group, role_id, auth_mode, ldap_dn=None):
    """ProjectMember for a group under the current auth mode."""
    member = {"group_name": group, "group_type": GROUP_TYPES[auth_mode]}
    if ldap_dn:
        member["ldap_group_dn"] = ldap_dn
    return {"role_id": role_id, "member_group": member}


def member_update(role_id):
    """RoleRequest."""
    return {"role_id": role_id}


def group_members(members):
    """{group name: ProjectMemberEntity} of the group members of a project."""
    return dict((m.get("entity_name"), m) for m in members or [] if m.get("entity_type") == "g")


def member_plan(live_groups, wanted):
    """(create, update, delete): lists of (group, role id or member) to reach ``wanted``."""
    create = [(g, r) for g, r in sorted(wanted.items()) if g not in live_groups]
    update = [(g, r, live_groups[g]) for g, r in sorted(wanted.items())
              if g in live_groups and live_groups[g].get("role_id") != r]
    delete = [(g, m) for g, m in sorted(live_groups.items()) if g not in wanted]
    return create, update, delete


def role_names(mapping):
    names = dict((v, k) for k, v in PROJECT_ROLES.items())
    return dict((g, names.get(r, r)) for g, r in sorted(mapping.items()))
