# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The only code that reads kubeconfig or the environment, builds an API
client, sends requests and walks discovery. It knows nothing of tenants or of
apply semantics (see apply.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import tempfile
import threading
import time

from ansible_collections.openova.platform.plugins.module_utils.errors import (
    ApiError,
    Conflict,
    ConnectionFailed,
    Forbidden,
    MissingKind,
)

try:
    import kubernetes
    from kubernetes.client.rest import ApiException
    from kubernetes.config.config_exception import ConfigException
    import urllib3

    HAS_KUBERNETES = True
    KUBERNETES_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported by the module shell
    HAS_KUBERNETES = False
    KUBERNETES_IMPORT_ERROR = exc

    class ApiException(Exception):
        """Stand-in so that the except clauses below stay valid."""

    class ConfigException(Exception):
        """Stand-in so that the except clauses below stay valid."""

DISCOVERY_TTL = 600  # seconds a discovery cache file on disk stays valid
_AGGREGATED = ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
               "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
               "application/json")


class ResourceType:
    """One served resource: where it lives and whether it is namespaced."""

    __slots__ = ("api_version", "kind", "plural", "namespaced", "verbs")

    def __init__(self, api_version, kind, plural, namespaced, verbs):
        self.api_version = api_version
        self.kind = kind
        self.plural = plural
        self.namespaced = namespaced
        self.verbs = verbs

    def path(self, name=None, namespace=None):
        """``/api/v1/namespaces/ns/pods/name``-style path; namespace ignored when cluster-scoped."""
        base = "/api/" + self.api_version if "/" not in self.api_version else "/apis/" + self.api_version
        if self.namespaced and namespace:
            base += "/namespaces/" + namespace
        base += "/" + self.plural
        return base + "/" + name if name else base


def _load_configuration(params):
    """A kubernetes Configuration from module params, then K8S_AUTH_* env, then
    the kubeconfig (given or default), then the in-cluster service account."""
    kubeconfig = params.get("kubeconfig") or os.environ.get("K8S_AUTH_KUBECONFIG")
    context = params.get("context") or os.environ.get("K8S_AUTH_CONTEXT")
    host = params.get("host") or os.environ.get("K8S_AUTH_HOST")
    api_key = params.get("api_key") or os.environ.get("K8S_AUTH_API_KEY")
    config = kubernetes.client.Configuration()
    try:
        if host and api_key:
            config.host = host
            config.api_key = {"authorization": "Bearer " + api_key}
        elif kubeconfig or not os.environ.get("KUBERNETES_SERVICE_HOST"):
            path = os.path.expanduser(kubeconfig or os.environ.get("KUBECONFIG", "~/.kube/config").split(":")[0])
            if not os.path.exists(path):
                raise ConnectionFailed("kubeconfig %s does not exist; set kubeconfig (or K8S_AUTH_KUBECONFIG "
                                       "or KUBECONFIG) to a readable file" % path)
            kubernetes.config.load_kube_config(config_file=path, context=context,
                                               client_configuration=config, persist_config=False)
        else:
            kubernetes.config.load_incluster_config(client_configuration=config)
    except ConnectionFailed:
        raise
    except (ConfigException, ValueError, TypeError, KeyError, OSError) as exc:
        raise ConnectionFailed("cannot use kubeconfig %s%s: %s" % (
            kubeconfig or os.environ.get("KUBECONFIG", "~/.kube/config"),
            " (context %s)" % context if context else "", str(exc).strip() or type(exc).__name__)) from exc
    except Exception as exc:  # yaml errors and the like from a malformed file
        raise ConnectionFailed("cannot parse kubeconfig %s: %s" % (
            kubeconfig or os.environ.get("KUBECONFIG", "~/.kube/config"),
            " ".join(str(exc).split()))) from exc
    if host:
        config.host = host
    if params.get("validate_certs") is False:
        config.verify_ssl = False
    if params.get("ca_cert"):
        config.ssl_ca_cert = params["ca_cert"]
    return config


class Client:
    """A thread-safe client for one API server: raw JSON requests, a request
    counter and one discovery cache for the whole module run."""

    def __init__(self, params, pool_size=16):
        if not HAS_KUBERNETES:
            raise ConnectionFailed("the 'kubernetes' Python package is required: pip install kubernetes")
        self.config = _load_configuration(params)
        self.config.connection_pool_maxsize = max(pool_size, 4)
        self.config.retries = 0
        self.api = kubernetes.client.ApiClient(self.config)
        self.timeout = params.get("request_timeout") or 30
        self.requests = 0
        self._lock = threading.Lock()
        self._types = None  # (apiVersion, kind) -> ResourceType
        self._refreshed = False

    # ------------------------------------------------------------------ requests
    def request(self, method, path, body=None, query=None, content_type=None, accept=None):
        """Send one request and return the decoded JSON (or None for an empty body).

        ``body`` is a dict (or list) and is always sent as JSON, which is also
        valid YAML for ``application/apply-patch+yaml``; ``content_type``
        defaults to ``application/json`` when there is a body.
        """
        headers = {"Accept": accept or "application/json"}
        if body is not None:
            headers["Content-Type"] = content_type or "application/json"
        with self._lock:
            self.requests += 1
        query = list((query or {}).items())
        payload = None if body is None else json.dumps(body).encode("utf-8")
        try:
            if hasattr(self.api, "param_serialize"):
                # kubernetes >= 34. Its REST layer re-encodes bodies by content
                # type, so the URL and the auth headers come from the client and
                # the already encoded body goes straight to the connection pool.
                method_, url, headers, _body, _post = self.api.param_serialize(
                    method=method, resource_path=path, query_params=query, header_params=headers,
                    auth_settings=["BearerToken"])
                resp = self.api.rest_client.pool_manager.request(
                    method_, url, body=payload, headers=headers, retries=False,
                    timeout=urllib3.Timeout(total=self.timeout), preload_content=True)
            else:  # pragma: no cover - kubernetes < 34
                # Its REST layer JSON-encodes bodies of JSON content types itself.
                json_type = "json" in headers.get("Content-Type", "")
                resp = self.api.call_api(
                    path, method, query_params=query, header_params=headers,
                    body=body if json_type or payload is None else payload.decode("utf-8"),
                    auth_settings=["BearerToken"], _preload_content=False,
                    _return_http_data_only=True, _request_timeout=self.timeout)
            data, status, reason = resp.data, resp.status, resp.reason
        except ApiException as exc:
            if not exc.status:  # status 0: the request never got an answer
                raise ConnectionFailed("cannot reach the Kubernetes API at %s: %s" % (
                    self.config.host, _root_cause(exc))) from exc
            raise api_error(exc.status, exc.reason, exc.body, method, path) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise ConnectionFailed("cannot reach the Kubernetes API at %s: %s" % (
                self.config.host, _root_cause(exc))) from exc
        if not 200 <= status < 300:
            raise api_error(status, reason, data, method, path)
        return json.loads(data) if data else None

    def proxy(self, method, namespace, service, path, port=None, scheme="http", body=None, query=None,
              headers=None):
        """One request to a Service through the API server's ``services/proxy``
        subresource, with the kubeconfig's credentials. Returns ``(status,
        headers, body bytes)`` whatever the status; raises ConnectionFailed when
        the API server does not answer.

        The API server authenticates the caller and then drops the
        ``Authorization`` header (k8s.io/apiserver, filters/authentication.go),
        so services behind this path must take their credentials in another
        header. The caller needs RBAC ``services/proxy`` in ``namespace``
        (verbs by HTTP method: get, create, update, patch, delete).
        """
        target = service if not port else "%s:%s" % (service, port)
        if scheme and scheme != "http":
            target = "%s:%s:%s" % (scheme, service, port or "")
        full = "/api/v1/namespaces/%s/services/%s/proxy/%s" % (namespace, target, path.lstrip("/"))
        send = {"Accept": "application/json"}
        send.update(headers or {})
        payload = None
        if body is not None:
            send.setdefault("Content-Type", "application/json")
            payload = json.dumps(body).encode("utf-8")
        with self._lock:
            self.requests += 1
        query = list((query or {}).items())
        try:
            if not hasattr(self.api, "param_serialize"):  # pragma: no cover - kubernetes < 34
                raise ConnectionFailed("the service proxy needs the kubernetes Python package 34 or newer")
            method_, url, send, _body, _post = self.api.param_serialize(
                method=method, resource_path=full, query_params=query, header_params=send,
                auth_settings=["BearerToken"])
            resp = self.api.rest_client.pool_manager.request(
                method_, url, body=payload, headers=send, retries=False,
                timeout=urllib3.Timeout(total=self.timeout), preload_content=True)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise ConnectionFailed("cannot reach the Kubernetes API at %s: %s" % (
                self.config.host, _root_cause(exc))) from exc
        return resp.status, dict(resp.headers), resp.data

    # ------------------------------------------------------------------ discovery
    def resource(self, api_version, kind):
        """The ResourceType serving ``kind`` in ``api_version``; raises MissingKind."""
        types = self._discover()
        found = types.get((api_version, kind))
        if found is None and not self._refreshed:
            # The cache may predate a CRD installed since; look once more.
            types = self._discover(refresh=True)
            found = types.get((api_version, kind))
        if found is None:
            group = api_version.split("/")[0] if "/" in api_version else "core"
            served = sorted(v for (v, k) in types if k == kind)
            hint = (" (served versions: %s)" % ", ".join(served)) if served else (
                "; install the CustomResourceDefinition for group %s" % group if group != "core" else "")
            raise MissingKind("the API server does not serve %s %s%s" % (api_version, kind, hint),
                              api_version=api_version, kind=kind)
        return found

    def served_groups(self):
        """The set of API groups the server serves ('' is the core group)."""
        return {(v.split("/")[0] if "/" in v else "") for (v, _k) in self._discover()}

    def _cache_file(self):
        who = "%s|%s|%s" % (self.config.host, self.config.cert_file, self.config.api_key)
        digest = hashlib.sha256(who.encode()).hexdigest()[:16]
        return os.path.join(tempfile.gettempdir(), "openova-discovery-%s.json" % digest)

    def _discover(self, refresh=False):
        with self._lock:
            if self._types is not None and not refresh:
                return self._types
            cache = self._cache_file()
            raw = None
            if not refresh:
                try:
                    if time.time() - os.path.getmtime(cache) < DISCOVERY_TTL:
                        with open(cache) as handle:
                            raw = json.load(handle)
                except (OSError, ValueError):
                    raw = None
            if refresh:
                self._refreshed = True
        if raw is None:
            raw = self._fetch_discovery()
            try:
                tmp = cache + ".%d" % os.getpid()
                with open(tmp, "w") as handle:
                    json.dump(raw, handle)
                os.replace(tmp, cache)
            except OSError:
                pass  # a read-only temp dir only costs speed
        types = {}
        for api_version, kind, plural, namespaced, verbs in raw:
            types[(api_version, kind)] = ResourceType(api_version, kind, plural, namespaced, verbs)
        with self._lock:
            self._types = types
        return types

    def _fetch_discovery(self):
        """Rows of (apiVersion, kind, plural, namespaced, verbs), from aggregated
        discovery (two requests) or, on older servers, per group-version."""
        rows = []
        for root in ("/api", "/apis"):
            doc = self.request("GET", root, accept=_AGGREGATED)
            if doc.get("kind") == "APIGroupDiscoveryList":
                for group in doc.get("items", []):
                    name = group.get("metadata", {}).get("name", "")
                    for version in group.get("versions", []):
                        gv = "%s/%s" % (name, version["version"]) if name else version["version"]
                        for res in version.get("resources", []):
                            kind = res.get("responseKind", {}).get("kind")
                            if kind:
                                rows.append((gv, kind, res["resource"], res.get("scope") == "Namespaced",
                                             res.get("verbs", [])))
            else:
                versions = doc.get("versions") or [
                    v["groupVersion"] for g in doc.get("groups", []) for v in g.get("versions", [])]
                for gv in versions:
                    listing = self.request("GET", ("/api/" if root == "/api" else "/apis/") + gv)
                    for res in listing.get("resources", []):
                        if "/" not in res["name"]:
                            rows.append((gv, res["kind"], res["name"], res["namespaced"], res.get("verbs", [])))
        return rows

    def version(self):
        return self.request("GET", "/version")


def _root_cause(exc):
    reason = getattr(exc, "reason", None)
    text = str(reason or exc)
    for marker in ("Connection refused", "Name or service not known", "timed out",
                   "CERTIFICATE_VERIFY_FAILED", "No route to host"):
        if marker in text:
            return marker.lower() if marker != "CERTIFICATE_VERIFY_FAILED" else (
                "the server certificate is not trusted (check the kubeconfig CA or ca_cert)")
    return " ".join(text.split())[:300]


def api_error(status, http_reason, raw_body, method, path):
    """An ApiError from a failed response, whose message names the field."""
    try:
        body = json.loads(raw_body) if raw_body else {}
    except (TypeError, ValueError):
        body = {}
    if not isinstance(body, dict):
        body = {}
    message = body.get("message") or http_reason or "request failed"
    reason = body.get("reason") or http_reason
    causes = (body.get("details") or {}).get("causes") or []
    what = "%s %s" % (method, path)
    if status == 401:
        return ApiError("the API server rejected the credentials (401 Unauthorized) for %s; "
                        "check the kubeconfig user or token" % what, status=status, reason=reason)
    if status == 403:
        return Forbidden("forbidden: %s" % message, status=status, reason=reason)
    if status == 409 and causes and any(c.get("reason") == "FieldManagerConflict" for c in causes):
        owners = sorted({c.get("message", "").split('"')[1] for c in causes
                         if c.get("message", "").count('"') >= 2})
        fields = [c.get("field") for c in causes]
        return Conflict("server-side apply conflict on %s: field(s) %s are owned by field manager(s) %s; "
                        "change them back, or set force_conflicts=true to take ownership"
                        % (path, ", ".join(fields), ", ".join(owners) or "another manager"),
                        status=status, reason="Conflict", causes=causes)
    if status == 422 and causes:
        fields = "; ".join("%s: %s" % (c.get("field", "?"), c.get("message", "")) for c in causes)
        return ApiError("the API server rejected %s as invalid: %s" % (what, fields),
                        status=status, reason=reason, causes=causes)
    return ApiError("%s failed (%s %s): %s" % (what, status, reason or "", message),
                    status=status, reason=reason, causes=causes)
