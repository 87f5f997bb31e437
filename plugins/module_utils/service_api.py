# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one small HTTP client for the platform services' own APIs (Harbor,
the LLM gateway). It sends JSON to a base URL, or through the Kubernetes API
server's ``services/proxy`` subresource with the existing Client, so that a
laptop and AWX need only the kubeconfig. It knows nothing of Harbor or
LiteLLM (see registry/ and llm/); it logs methods, paths and statuses, never
bodies or headers."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.openova.platform.plugins.module_utils.errors import ConnectionFailed, OpenovaError

try:
    from urllib.parse import quote, urlencode
except ImportError:  # pragma: no cover - Python 2
    from urllib import quote, urlencode  # noqa: F401

try:
    import urllib3

    HAS_URLLIB3 = True
except ImportError:  # pragma: no cover - urllib3 comes with the kubernetes package
    HAS_URLLIB3 = False


class ServiceError(OpenovaError):
    """A platform service answered with an unexpected status."""

    def __init__(self, msg, status=None, method=None, path=None):
        super(ServiceError, self).__init__(msg, status=status)
        self.status = status
        self.method = method
        self.path = path


class Response:
    """Status, decoded JSON body (None when empty or not JSON) and headers."""

    __slots__ = ("status", "body", "headers")

    def __init__(self, status, body, headers):
        self.status = status
        self.body = body
        self.headers = headers


def _query_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def error_text(body, raw=b""):
    """The message of an error body: Harbor's ``errors[].message``, FastAPI's
    ``detail``, LiteLLM's ``error.message``, or the start of the raw text."""
    if isinstance(body, dict):
        if isinstance(body.get("errors"), list):
            return "; ".join(str(e.get("message", e)) for e in body["errors"] if isinstance(e, dict)) or str(body)
        if isinstance(body.get("error"), dict) and body["error"].get("message"):
            return str(body["error"]["message"])
        if "detail" in body:
            return json.dumps(body["detail"]) if not isinstance(body["detail"], str) else body["detail"]
        if body.get("message"):
            return str(body["message"])
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw or "")
    return " ".join(text.split())[:300] or "no message"


class ServiceApi:
    """JSON requests to one platform service.

    ``url``: send directly to this base URL (for example the ingress,
    ``https://harbor.example.com``). ``proxy``: a dict with ``namespace``,
    ``service``, ``port`` and ``scheme``; requests go through the API server's
    service proxy with ``client`` (a client.Client). ``headers`` are sent with
    every request (credentials); they are never logged.
    """

    def __init__(self, label, base_path="", url=None, proxy=None, client=None, headers=None, timeout=30,
                 validate_certs=True, ca_cert=None):
        if not url and not proxy:
            raise OpenovaError("%s: give a URL or a Kubernetes service to reach it through" % label)
        if proxy and client is None:
            raise OpenovaError("%s: the service proxy needs a Kubernetes client" % label)
        self.label = label
        self.base_path = "/" + base_path.strip("/") if base_path.strip("/") else ""
        self.url = url.rstrip("/") if url else None
        self.proxy = proxy
        self.client = client
        self.headers = dict(headers or {})
        self.timeout = timeout
        self.requests = 0
        self.log = []  # (method, path, status): no bodies, no headers
        self._pool = None
        if self.url:
            if not HAS_URLLIB3:  # pragma: no cover
                raise ConnectionFailed("the urllib3 Python package is required")
            kwargs = {"cert_reqs": "CERT_REQUIRED" if validate_certs else "CERT_NONE"}
            if ca_cert:
                kwargs["ca_certs"] = ca_cert
            self._pool = urllib3.PoolManager(num_pools=2, maxsize=4, **kwargs)

    def where(self):
        """Where requests go, for messages."""
        if self.url:
            return self.url
        return "service %s/%s:%s through the Kubernetes API server" % (
            self.proxy["namespace"], self.proxy["service"], self.proxy.get("port") or "")

    def call(self, method, path, body=None, query=None, headers=None, ok=(200,)):
        """Send one request; returns a Response whose status is in ``ok``,
        raises ServiceError otherwise (ConnectionFailed when nothing answers)."""
        full = self.base_path + path
        query = dict((k, _query_value(v)) for k, v in (query or {}).items() if v is not None)
        send = dict(self.headers)
        send.update(headers or {})
        self.requests += 1
        if self.url:
            status, got_headers, raw = self._direct(method, full, body, query, send)
        else:
            status, got_headers, raw = self.client.proxy(
                method, self.proxy["namespace"], self.proxy["service"], full, port=self.proxy.get("port"),
                scheme=self.proxy.get("scheme") or "http", body=body, query=query, headers=send)
        self.log.append((method, full, status))
        try:
            decoded = json.loads(raw) if raw else None
        except ValueError:
            decoded = None
        if status not in ok:
            if status == 401:
                why = "rejected the credentials (401)"
            elif status == 403:
                why = "refused the request (403 Forbidden): %s" % error_text(decoded, raw)
            else:
                why = "answered %s: %s" % (status, error_text(decoded, raw))
            if not self.url and status in (403, 404, 503) and _from_api_server(decoded):
                why = "the Kubernetes API server %s (is the service installed, and may the kubeconfig user use " \
                      "services/proxy in %s?)" % (why, self.proxy["namespace"])
            raise ServiceError("%s %s %s at %s: %s" % (self.label, method, full, self.where(), why),
                               status=status, method=method, path=full)
        return Response(status, decoded, got_headers)

    def _direct(self, method, path, body, query, headers):
        url = self.url + quote(path, safe="/:@!$&'()*+,;=-._~%")
        if query:
            url += "?" + urlencode(query)
        send = {"Accept": "application/json"}
        send.update(headers)
        payload = None
        if body is not None:
            send.setdefault("Content-Type", "application/json")
            payload = json.dumps(body).encode("utf-8")
        try:
            resp = self._pool.request(method, url, body=payload, headers=send, retries=False, redirect=False,
                                      timeout=urllib3.Timeout(total=self.timeout), preload_content=True)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise ConnectionFailed("%s: cannot reach %s: %s" % (self.label, self.url, " ".join(str(exc).split())[:300]))
        return resp.status, dict(resp.headers), resp.data


def _from_api_server(body):
    """True when an error body is a Kubernetes Status (the proxy itself failed)."""
    return isinstance(body, dict) and body.get("kind") == "Status" and body.get("apiVersion") == "v1"
