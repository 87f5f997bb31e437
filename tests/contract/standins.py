"""Stand-ins for the Harbor and LiteLLM APIs: small HTTP servers on
127.0.0.1 that implement only the endpoints the collection calls, keep their
state in memory, and check every request and every response they send
against the published API definition (contract.openapi.Contract).

They are NOT Harbor or LiteLLM: they stand in for them because neither can run
on the build machines (Harbor needs its database migrations and registry,
LiteLLM's key management needs Prisma engines downloaded at run time).
Violations are collected in ``violations``; a request that violates the
definition is answered 400 (Harbor) or 422 (LiteLLM), as the real servers'
input validation would.
"""

import base64
import hashlib
import json
import re
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

from contract.openapi import ContractViolation

PROJECT_NAME = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$")
TIME = "2026-12-01T12:00:00.000Z"


class Reply(Exception):
    def __init__(self, status, body=None, headers=None):
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


class StandIn:
    """Common server plumbing: start/stop, contract checks, a request log."""

    name = "stand-in"
    invalid_status = 400

    def __init__(self, contract):
        self.contract = contract
        self.violations = []
        self.calls = []  # (method, path, status)
        self.lock = threading.Lock()
        self.server = None
        self.thread = None

    # -- lifecycle
    def start(self, port=0):
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _any(self):
                outer.handle(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    @property
    def port(self):
        return self.server.server_address[1]

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    # -- one request
    def handle(self, http):
        split = urlsplit(http.path)
        path = split.path
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        length = int(http.headers.get("Content-Length") or 0)
        raw = http.rfile.read(length) if length else b""
        headers = dict(http.headers.items())
        method = http.command
        status, body, extra = 500, None, {}
        operation = None
        try:
            try:
                body_in = json.loads(raw) if raw else None
            except ValueError:
                raise Reply(400, self.error("the body is not JSON"))
            if not self.authorized(headers):
                raise Reply(401, self.error("unauthorized"))
            try:
                operation = self.contract.check_request(method, path, query, headers, body_in)
            except ContractViolation as exc:
                with self.lock:
                    self.violations.append(str(exc))
                raise Reply(self.invalid_status, self.error(str(exc)))
            with self.lock:
                status, body, extra = self.route(method, path, query, headers, body_in)
        except Reply as reply:
            status, body, extra = reply.status, reply.body, reply.headers
        if operation is not None:
            try:
                self.contract.check_response(operation, status, body)
            except ContractViolation as exc:
                with self.lock:
                    self.violations.append(str(exc))
        with self.lock:
            self.calls.append((method, path, status))
        payload = b"" if body is None else json.dumps(body).encode()
        http.send_response(status)
        for key, value in extra.items():
            http.send_header(key, value)
        if payload:
            http.send_header("Content-Type", "application/json")
        http.send_header("Content-Length", str(0 if method == "HEAD" else len(payload)))
        http.end_headers()
        if method != "HEAD" and payload:
            http.wfile.write(payload)

    def writes(self):
        """The calls that changed state."""
        return [c for c in self.calls if c[0] not in ("GET", "HEAD")]


class HarborStandIn(StandIn):
    """Harbor API v2.0, only what openova.platform.tenant_registry uses."""

    name = "Harbor stand-in"

    def __init__(self, contract, password="stand-in-admin-password", auth_mode="db_auth"):
        super().__init__(contract)
        self.password = password
        self.auth_mode = auth_mode
        self.projects = {}   # name -> project dict
        self.quotas = {}     # id -> quota
        self.robots = {}     # id -> robot (with "secret")
        self.members = {}    # project name -> {mid: member}
        self.repositories = {}  # project name -> [repo names]
        self.ldap_groups = {}
        self.ids = 0

    def next_id(self):
        self.ids += 1
        return self.ids

    def error(self, message, code="BAD_REQUEST"):
        return {"errors": [{"code": code, "message": message}]}

    def authorized(self, headers):
        auth = headers.get("Authorization") or headers.get("authorization") or ""
        if not auth.startswith("Basic "):
            return False
        return base64.b64decode(auth[6:]).decode() == "admin:" + self.password

    def project(self, ref, headers):
        by_name = (headers.get("X-Is-Resource-Name") or "").lower() == "true" or not ref.isdigit()
        if by_name:
            return self.projects.get(ref)
        return next((p for p in self.projects.values() if p["project_id"] == int(ref)), None)

    def view(self, project):
        out = {k: v for k, v in project.items() if k != "_quota"}
        out["repo_count"] = len(self.repositories.get(project["name"], []))
        return out

    def route(self, method, path, query, headers, body):
        rest = path[len("/api/v2.0"):]
        parts = [unquote(p) for p in rest.strip("/").split("/")]
        if rest == "/configurations" and method == "GET":
            return 200, {"auth_mode": {"value": self.auth_mode, "editable": False}}, {}
        if rest == "/ldap/groups/search" and method == "GET":
            name = query.get("groupname")
            found = [{"group_name": name, "group_type": 1, "ldap_group_dn": self.ldap_groups[name]}] \
                if name in self.ldap_groups else []
            return 200, found, {}
        if parts[0] == "projects":
            return self.route_projects(method, parts[1:], query, headers, body, rest)
        if parts[0] == "quotas":
            if len(parts) == 1 and method == "GET":
                ref_id = query.get("reference_id")
                return 200, [q for q in self.quotas.values() if str(q["ref"]["id"]) == ref_id], {}
            quota = self.quotas.get(int(parts[1]))
            if quota is None:
                raise Reply(404, self.error("quota not found", "NOT_FOUND"))
            quota["hard"] = dict(body["hard"])
            return 200, None, {}
        if parts[0] == "robots":
            return self.route_robots(method, parts[1:], query, body)
        raise Reply(404, self.error("not implemented by the stand-in", "NOT_FOUND"))

    def route_projects(self, method, parts, query, headers, body, rest):
        if not parts:
            if method == "HEAD":
                return (200 if query.get("project_name") in self.projects else 404), None, {}
            if method == "POST":
                name = body.get("project_name") or ""
                if not PROJECT_NAME.match(name) or len(name) > 255:
                    raise Reply(400, self.error("project name is not in lower case or contains illegal characters"))
                if name in self.projects:
                    raise Reply(409, self.error("project %s already exists" % name, "CONFLICT"))
                pid = self.next_id()
                self.projects[name] = {"project_id": pid, "name": name, "owner_name": "admin", "owner_id": 1,
                                       "metadata": {"public": (body.get("metadata") or {}).get("public", "false")},
                                       "creation_time": TIME, "update_time": TIME, "deleted": False}
                qid = self.next_id()
                self.quotas[qid] = {"id": qid, "ref": {"id": pid, "name": name, "owner_name": "admin"},
                                    "hard": {"storage": body.get("storage_limit", -1)}, "used": {"storage": 0},
                                    "creation_time": TIME, "update_time": TIME}
                self.members[name] = {}
                return 201, None, {"Location": "/api/v2.0/projects/%d" % pid}
        project = self.project(parts[0], headers)
        if project is None:
            raise Reply(404, self.error("project %s not found" % parts[0], "NOT_FOUND"))
        name = project["name"]
        if len(parts) == 1:
            if method == "GET":
                return 200, self.view(project), {}
            if method == "PUT":
                project["metadata"].update(body.get("metadata") or {})
                return 200, None, {}
            if method == "DELETE":
                if self.repositories.get(name):
                    raise Reply(412, self.error("the project contains repositories, can not be deleted",
                                                "PRECONDITION"))
                del self.projects[name]
                self.quotas = {k: q for k, q in self.quotas.items() if q["ref"]["id"] != project["project_id"]}
                self.robots = {k: r for k, r in self.robots.items() if r["_project"] != name}
                self.members.pop(name, None)
                return 200, None, {}
        if parts[1] == "members":
            members = self.members.setdefault(name, {})
            if len(parts) == 2 and method == "GET":
                return 200, list(members.values()), {}
            if len(parts) == 2 and method == "POST":
                group = body.get("member_group") or {}
                if group.get("group_type") == 1 and not group.get("ldap_group_dn"):
                    raise Reply(400, self.error("an LDAP group needs its DN"))
                mid = self.next_id()
                members[mid] = {"id": mid, "project_id": project["project_id"], "entity_name": group["group_name"],
                                "entity_type": "g", "entity_id": mid, "role_id": body["role_id"],
                                "role_name": str(body["role_id"])}
                return 201, None, {"Location": "%s/%d" % (rest, mid)}
            member = members.get(int(parts[2]))
            if member is None:
                raise Reply(404, self.error("member not found", "NOT_FOUND"))
            if method == "PUT":
                member["role_id"] = body["role_id"]
                return 200, None, {}
            if method == "DELETE":
                del members[member["id"]]
                return 200, None, {}
        if parts[1] == "repositories":
            repos = self.repositories.get(name, [])
            if len(parts) == 2 and method == "GET":
                page, size = int(query.get("page", 1)), int(query.get("page_size", 10))
                chunk = repos[(page - 1) * size:page * size]
                return 200, [{"id": i, "name": "%s/%s" % (name, r), "project_id": project["project_id"]}
                             for i, r in enumerate(chunk)], {}
            if method == "DELETE":
                short = unquote(parts[2])
                if short not in repos:
                    raise Reply(404, self.error("repository not found", "NOT_FOUND"))
                repos.remove(short)
                return 200, None, {}
        raise Reply(404, self.error("not implemented by the stand-in", "NOT_FOUND"))

    def robot_view(self, robot):
        return {k: v for k, v in robot.items() if not k.startswith("_") and k != "secret"}

    def route_robots(self, method, parts, query, body):
        if not parts:
            if method == "GET":
                match = re.match(r"^Level=project,ProjectID=(\d+)$", query.get("q", ""))
                if not match:
                    raise Reply(400, self.error("must with project ID when to query project robots"))
                pid = int(match.group(1))
                return 200, [self.robot_view(r) for r in self.robots.values() if r["_project_id"] == pid], {}
            if method == "POST":
                if not PROJECT_NAME.match(body.get("name") or ""):
                    raise Reply(400, self.error("robot name is not in lower case or contains illegal characters"))
                perms = body.get("permissions") or []
                if body.get("level") != "project" or len(perms) != 1 or not perms[0].get("access"):
                    raise Reply(400, self.error("bad request permission"))
                project = self.projects.get(perms[0]["namespace"])
                if project is None:
                    raise Reply(404, self.error("project not found", "NOT_FOUND"))
                full = "robot$%s+%s" % (project["name"], body["name"])
                if any(r["name"] == full for r in self.robots.values()):
                    raise Reply(409, self.error("robot already exists", "CONFLICT"))
                rid = self.next_id()
                secret = secrets.token_urlsafe(24)
                self.robots[rid] = {"id": rid, "name": full, "description": body.get("description", ""),
                                    "level": "project", "duration": body.get("duration", -1), "editable": True,
                                    "disable": bool(body.get("disable")), "expires_at": -1,
                                    "permissions": perms, "creation_time": TIME, "update_time": TIME,
                                    "secret": secret, "_project": project["name"],
                                    "_project_id": project["project_id"]}
                return 201, {"id": rid, "name": full, "secret": secret, "creation_time": TIME, "expires_at": -1}, \
                    {"Location": "/api/v2.0/robots/%d" % rid}
        robot = self.robots.get(int(parts[0]))
        if robot is None:
            raise Reply(404, self.error("robot not found", "NOT_FOUND"))
        if method == "GET":
            return 200, self.robot_view(robot), {}
        if method == "PUT":
            if body.get("name") != robot["name"] or body.get("level") != robot["level"]:
                raise Reply(400, self.error("cannot update the level or name of robot"))
            robot.update(description=body.get("description", ""), disable=bool(body.get("disable")),
                         duration=body.get("duration", robot["duration"]), permissions=body.get("permissions"))
            return 200, None, {}
        if method == "PATCH":
            robot["secret"] = body.get("secret") or secrets.token_urlsafe(24)
            return 200, {"secret": "" if body.get("secret") else robot["secret"]}, {}
        if method == "DELETE":
            del self.robots[robot["id"]]
            return 200, None, {}
        raise Reply(404, self.error("not implemented by the stand-in", "NOT_FOUND"))

    def robot_secret(self, full_name):
        return next((r["secret"] for r in self.robots.values() if r["name"] == full_name), None)


class LiteLLMStandIn(StandIn):
    """The LiteLLM proxy's management API, only what openova.platform.tenant_llm uses."""

    name = "LiteLLM stand-in"
    invalid_status = 422

    def __init__(self, contract, master_key="sk-stand-in-master", models=("gpt-4o", "gpt-4o-mini")):
        super().__init__(contract)
        self.master_key = master_key
        self.models = list(models)
        self.teams = {}
        self.keys = {}  # token hash -> key record

    def error(self, message):
        return {"detail": [{"loc": ["body"], "msg": message, "type": "value_error"}]}

    def authorized(self, headers):
        return (headers.get("x-litellm-api-key") or headers.get("X-Litellm-Api-Key")) == self.master_key

    @staticmethod
    def token(key):
        return key if not key.startswith("sk-") else hashlib.sha256(key.encode()).hexdigest()

    def route(self, method, path, query, headers, body):
        if (method, path) == ("GET", "/v1/models"):
            models = [{"id": m, "object": "model", "created": 1, "owned_by": "openai"} for m in self.models]
            return 200, {"object": "list", "data": models}, {}
        if (method, path) == ("GET", "/team/list"):
            return 200, list(self.teams.values()), {}
        if (method, path) == ("POST", "/team/new"):
            team_id = body.get("team_id")
            if team_id in self.teams:
                raise Reply(422, self.error("team %s exists" % team_id))
            team = {"team_id": team_id, "team_alias": body.get("team_alias"), "models": body.get("models") or [],
                    "max_budget": body.get("max_budget"), "budget_duration": body.get("budget_duration"),
                    "tpm_limit": body.get("tpm_limit"), "rpm_limit": body.get("rpm_limit"),
                    "metadata": body.get("metadata") or {}, "blocked": False, "spend": 0.0}
            self.teams[team_id] = team
            return 200, team, {}
        if (method, path) == ("POST", "/team/update"):
            team = self.teams.get(body["team_id"])
            if team is None:
                raise Reply(422, self.error("team not found"))
            team.update({k: v for k, v in body.items() if k != "team_id"})
            return 200, {"team_id": team["team_id"], "data": team}, {}
        if (method, path) == ("POST", "/team/delete"):
            for team_id in body["team_ids"]:
                self.teams.pop(team_id, None)
            return 200, {"deleted_teams": body["team_ids"]}, {}
        if (method, path) == ("GET", "/key/list"):
            keys = [dict(k) for k in self.keys.values() if k["team_id"] == query.get("team_id")]
            return 200, {"keys": keys, "total_count": len(keys), "current_page": 1, "total_pages": 1}, {}
        if (method, path) == ("POST", "/key/generate"):
            if body.get("team_id") not in self.teams:
                raise Reply(422, self.error("team not found"))
            key = "sk-" + secrets.token_urlsafe(24)
            record = {"token": self.token(key), "key_alias": body.get("key_alias"), "team_id": body["team_id"],
                      "models": body.get("models") or [], "metadata": body.get("metadata") or {}, "spend": 0.0}
            self.keys[record["token"]] = record
            return 200, {"key": key, "token": record["token"], "key_alias": record["key_alias"],
                         "team_id": record["team_id"], "models": record["models"]}, {}
        if (method, path) == ("POST", "/key/update"):
            record = self.keys.get(self.token(body["key"]))
            if record is None:
                raise Reply(422, self.error("key not found"))
            record["models"] = body.get("models", record["models"])
            return 200, dict(record), {}
        if (method, path) == ("POST", "/key/delete"):
            gone = []
            for key in body.get("keys") or []:
                if self.keys.pop(self.token(key), None):
                    gone.append(key)
            return 200, {"deleted_keys": gone}, {}
        raise Reply(422, self.error("not implemented by the stand-in"))

    def knows(self, key):
        return self.token(key) in self.keys
