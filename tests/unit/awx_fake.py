"""A fake AWX API on 127.0.0.1 that keeps what awx.awx modules write, in memory.

Only what playbooks/awx_configure.yml uses: list with field filters (and the or__ lookups of
get_one), create, read, patch, survey_spec, and association lists. Credential inputs come back
as $encrypted$ like the real API, so secret handling is exercised too."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

ENCRYPTED = "$encrypted$"
ASSOCIATIONS = {"credentials", "instance_groups", "labels", "galaxy_credentials",
                "notification_templates_started", "notification_templates_success",
                "notification_templates_error"}


class FakeController:
    def __init__(self):
        self.objects: dict[str, dict[int, dict]] = {}
        self.surveys: dict[int, dict] = {}
        self.associations: dict[tuple[str, int, str], list[int]] = {}
        self.writes: list[tuple[str, str]] = []
        self._next_id = 2
        # Like a fresh AWX: the organization "Default" exists.
        self.objects["organizations"] = {1: {"id": 1, "name": "Default", "type": "organization",
                                             "url": "/api/v2/organizations/1/", "related": {}, "summary_fields": {}}}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    def named(self, collection: str, name: str) -> dict:
        return next(o for o in self.objects.get(collection, {}).values() if o.get("name") == name)

    # The API, as plain functions of (method, path parts, query, body) -> (status, json)
    def _view(self, obj: dict, collection: str) -> dict:
        if collection == "credentials":
            obj = dict(obj, inputs={k: ENCRYPTED for k in obj.get("inputs", {})})
        return obj

    def handle(self, method: str, parts: list[str], query: dict, body: dict | None):
        collection = parts[0]
        store = self.objects.setdefault(collection, {})
        if method != "GET":
            self.writes.append((method, "/".join(parts)))
        if len(parts) == 1:
            if method == "GET":
                return 200, self._list([self._view(o, collection) for o in store.values()], query)
            if method == "POST":
                oid, self._next_id = self._next_id, self._next_id + 1
                url = f"/api/v2/{collection}/{oid}/"
                obj = dict(body or {}, id=oid, url=url, type=collection.rstrip("s"), summary_fields={},
                           scm_revision="", related={"survey_spec": url + "survey_spec/"})
                store[oid] = obj
                return 201, self._view(obj, collection)
        oid = int(parts[1])
        if oid not in store:
            return 404, {"detail": "Not found."}
        if len(parts) == 2:
            if method == "GET":
                return 200, self._view(store[oid], collection)
            if method == "PATCH":
                store[oid].update(body or {})
                return 200, self._view(store[oid], collection)
            if method == "DELETE":
                del store[oid]
                return 204, None
        sub = parts[2]
        if sub == "survey_spec":
            if method == "GET":
                return 200, self.surveys.get(oid, {})
            if method == "POST":
                self.surveys[oid] = body
                return 200, {}
            if method == "DELETE":
                self.surveys.pop(oid, None)
                return 200, {}
        if sub in ASSOCIATIONS:
            ids = self.associations.setdefault((collection, oid, sub), [])
            if method == "GET":
                others = [o for c in self.objects for o in self.objects[c].values() if c == sub]
                return 200, self._list([o for o in others if o["id"] in ids], {})
            if method == "POST":
                if body.get("disassociate"):
                    ids.remove(body["id"])
                else:
                    ids.append(body["id"])
                return 204, None
        return 404, {"detail": f"no fake for {method} {'/'.join(parts)}"}

    @staticmethod
    def _list(items: list[dict], query: dict) -> dict:
        ors = {k[4:]: v for k, v in query.items() if k.startswith("or__")}
        ands = {k: v for k, v in query.items() if not k.startswith("or__") and k not in ("page_size", "page")}

        def match(obj):
            if ors and not any(str(obj.get(k)) == v for k, v in ors.items()):
                return False
            return all(str(obj.get(k)) == v for k, v in ands.items())

        found = [o for o in items if match(o)]
        return {"count": len(found), "next": None, "previous": None, "results": found}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self):
                split = urlsplit(self.path)
                parts = [p for p in split.path.split("/") if p]
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                if parts[:2] != ["api", "v2"] or len(parts) < 3:
                    status, payload = 404, {"detail": "not under /api/v2/"}
                else:
                    with fake._lock:
                        status, payload = fake.handle(self.command, parts[2:], dict(parse_qsl(split.query)), body)
                data = b"" if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("X-API-Product-Name", "AWX")
                self.send_header("X-API-Product-Version", "24.6.1")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_DELETE = do_HEAD = _serve

            def log_message(self, *args):
                pass

        return Handler
