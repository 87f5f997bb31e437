# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The only code that reads kubeconfig or the environment, builds an API
client, sends requests and walks discovery. It knows nothing of tenants or of
apply semantics (see apply.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import getpass
import hashlib
import json
import os
import random
import stat
import tempfile
import threading
import time

from ansible_collections.openova.platform.plugins.module_utils.errors import (
    ApiError,
    Conflict,
    ConnectionFailed,
    Forbidden,
    MissingKind,
    SpecError,
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
DISCOVERY_FORMAT = 2  # bump when the cached rows change shape
RETRY_DEADLINE = 120  # seconds a transiently failing request is retried (module option retry_deadline)
# Answers worth another try: the server (or a proxy in front of it) is overloaded,
# restarting or briefly unable to answer. 429 and 503 usually carry Retry-After.
RETRY_STATUSES = (429, 500, 502, 503, 504)
# Requests whose repetition cannot do anything the first attempt did not: reads,
# deletes (a second delete finds nothing) and server-side apply (declarative).
IDEMPOTENT = ("GET", "HEAD", "DELETE")
APPLY_PATCH = "application/apply-patch+yaml"
# Backoff between retries, per API server, as client-go's URLBackoff over
# util/flowcontrol.Backoff: starts at BACKOFF_INITIAL, doubles (plus jitter) on
# every overload answer or connection failure, capped at BACKOFF_MAX, and is
# reset by the first success. The wait before a retry is the larger of that
# backoff and the server's Retry-After.
BACKOFF_INITIAL = 1.0
BACKOFF_MAX = 8.0
BACKOFF_JITTER = 0.1
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


class Backoff:
    """Exponential backoff per key, as client-go's util/flowcontrol.Backoff: the
    first ``next()`` sets ``initial``, each further one doubles it (plus up to
    ``jitter`` times itself), capped at ``maximum``; an entry not updated for
    twice ``maximum`` starts over. Thread-safe. ``clock`` and ``rand`` are
    injectable for tests."""

    def __init__(self, initial=BACKOFF_INITIAL, maximum=BACKOFF_MAX, jitter=BACKOFF_JITTER,
                 clock=time.monotonic, rand=random.random):
        self.initial = initial
        self.maximum = maximum
        self.jitter = jitter
        self._clock = clock
        self._rand = rand
        self._lock = threading.Lock()
        self._entries = {}  # key -> [delay, last update]

    def get(self, key):
        with self._lock:
            entry = self._entries.get(key)
            return entry[0] if entry else 0.0

    def next(self, key):
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or now - entry[1] > 2 * self.maximum:
                delay = self.initial + self.initial * self.jitter * self._rand()
            else:
                delay = min(entry[0] * 2 + entry[0] * self.jitter * self._rand(), self.maximum)
            self._entries[key] = [delay, now]
            return delay

    def reset(self, key):
        with self._lock:
            self._entries.pop(key, None)


# Failures that another attempt cannot cure: a wrong host name or an untrusted
# certificate. They fail at once.
PERMANENT_TRANSPORT = ("CERTIFICATE_VERIFY_FAILED", "Name or service not known", "nodename nor servname",
                       "Temporary failure in name resolution", "WRONG_VERSION_NUMBER")


class _Transport(Exception):
    """One attempt that got no HTTP answer. ``sent`` is False when the request
    certainly never reached the server (connection refused, connect timeout)."""

    def __init__(self, cause, sent):
        super(_Transport, self).__init__(str(cause))
        self.cause = cause
        self.sent = sent
        text = str(getattr(cause, "reason", None) or cause)
        self.permanent = any(marker in text for marker in PERMANENT_TRANSPORT)


def retry_after(headers):
    """The Retry-After header in whole seconds, or None (client-go reads only
    integers, as here; an HTTP date is ignored)."""
    value = (headers or {}).get("Retry-After") or (headers or {}).get("retry-after")
    try:
        seconds = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return max(seconds, 0)


def _status_message(data):
    """``: <message>`` of a Status body (say, ``storage is (re)initializing``), or ''."""
    try:
        message = json.loads(data).get("message") if data else None
    except (TypeError, ValueError, AttributeError):
        message = None
    return ": %s" % " ".join(str(message).split())[:120] if message else ""


def retry_reason(method, content_type, status=None, headers=None, failure=None):
    """Why one failed attempt may be repeated, or None when it must not be.

    A request is repeated only when repeating it is safe: reads, deletes and
    server-side apply always are; any request is when the server certainly did
    not act on it (a 429 is a refusal before any work, as client-go assumes
    too, and a refused connection carried nothing)."""
    idempotent = method in IDEMPOTENT or (method == "PATCH" and content_type == APPLY_PATCH)
    if failure is not None:
        if failure.permanent:
            return None
        if not failure.sent:
            return "connection failed (%s)" % _root_cause(failure.cause)
        return "connection lost (%s)" % _root_cause(failure.cause) if idempotent else None
    if status == 429:
        return "429 TooManyRequests"
    if status in RETRY_STATUSES and idempotent:
        return "%d" % status
    return None


class Client:
    """A thread-safe client for one API server: raw JSON requests with retries,
    a request and retry counter, and one discovery cache for the whole module run."""

    def __init__(self, params, pool_size=16):
        if not HAS_KUBERNETES:
            raise ConnectionFailed("the 'kubernetes' Python package is required: pip install kubernetes")
        problems = []
        timeout = params.get("request_timeout")
        timeout = 30 if timeout is None else timeout
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
            problems.append(("request_timeout", "%r must be a number of seconds greater than 0" % (timeout,)))
        deadline = params.get("retry_deadline")
        deadline = RETRY_DEADLINE if deadline is None else deadline
        if not isinstance(deadline, (int, float)) or isinstance(deadline, bool) or deadline < 0:
            problems.append(("retry_deadline", "%r must be 0 (no retries) or a number of seconds" % (deadline,)))
        if problems:
            raise SpecError(problems)
        self.config = _load_configuration(params)
        self.config.connection_pool_maxsize = max(pool_size, 4)
        self.config.retries = 0
        self.api = kubernetes.client.ApiClient(self.config)
        self.timeout = timeout
        self.retry_deadline = deadline
        self.requests = 0
        self.retries = 0
        self.retry_reasons = {}  # reason -> count, for the module result
        self.backoff = Backoff()
        self._sleep = time.sleep
        self._clock = time.monotonic
        self._lock = threading.Lock()
        self._types = None  # (apiVersion, kind) -> ResourceType
        self._refreshed = False

    # ------------------------------------------------------------------ requests
    def request(self, method, path, body=None, query=None, content_type=None, accept=None):
        """Send one request and return the decoded JSON (or None for an empty body).

        ``body`` is a dict (or list) and is always sent as JSON, which is also
        valid YAML for ``application/apply-patch+yaml``; ``content_type``
        defaults to ``application/json`` when there is a body.

        Transient failures (429, 5xx, a refused, reset or timed-out connection)
        are retried while repeating the request is safe (see retry_reason) and
        ``retry_deadline`` seconds since the first attempt have not passed,
        waiting the larger of the server's Retry-After and the backoff.
        """
        headers = {"Accept": accept or "application/json"}
        if body is not None:
            headers["Content-Type"] = content_type or "application/json"
        query = list((query or {}).items())
        payload = None if body is None else json.dumps(body).encode("utf-8")
        started = self._clock()
        attempts = 0
        while True:
            attempts += 1
            with self._lock:
                self.requests += 1
            failure = status = reason = data = resp_headers = None
            try:
                status, reason, resp_headers, data = self._send(method, path, query, headers, body, payload)
            except _Transport as exc:
                failure = exc
            if failure is None and 200 <= status < 300:
                self.backoff.reset(self.config.host)
                return json.loads(data) if data else None
            why = retry_reason(method, headers.get("Content-Type"), status, resp_headers, failure)
            if why is not None and status == 429:
                why += _status_message(data)
            wait = None
            if why is not None and self.retry_deadline > 0:
                # client-go: an overload answer or a failed connection moves the
                # backoff on; the wait is the larger of it and Retry-After.
                # A failed connection counts as "Retry-After: 1", as client-go's artificial answer.
                delay = (retry_after(resp_headers) or 0) if failure is None else 1
                wait = max(delay, self.backoff.next(self.config.host))
                if self._clock() - started + wait > self.retry_deadline:
                    wait = None
            if wait is None:
                gave_up = ""
                if attempts > 1:
                    gave_up = "; gave up after %d retr%s in %.0fs (retry_deadline %ss)" % (
                        attempts - 1, "y" if attempts == 2 else "ies", self._clock() - started, self.retry_deadline)
                if failure is not None:
                    raise ConnectionFailed("cannot reach the Kubernetes API at %s: %s%s" % (
                        self.config.host, _root_cause(failure.cause), gave_up)) from failure.cause
                error = api_error(status, reason, data, method, path)
                if gave_up:
                    error.msg += gave_up
                    error.args = (error.msg,)
                raise error
            with self._lock:
                self.retries += 1
                self.retry_reasons[why] = self.retry_reasons.get(why, 0) + 1
            self._sleep(wait)

    def _send(self, method, path, query, headers, body, payload):
        """One attempt: (status, reason, headers, body bytes), or _Transport
        when no HTTP answer came back."""
        try:
            if hasattr(self.api, "param_serialize"):
                # kubernetes >= 34. Its REST layer re-encodes bodies by content
                # type, so the URL and the auth headers come from the client and
                # the already encoded body goes straight to the connection pool.
                method_, url, headers_, _body, _post = self.api.param_serialize(
                    method=method, resource_path=path, query_params=query, header_params=dict(headers),
                    auth_settings=["BearerToken"])
                resp = self.api.rest_client.pool_manager.request(
                    method_, url, body=payload, headers=headers_, retries=False,
                    timeout=urllib3.Timeout(total=self.timeout), preload_content=True)
                return resp.status, resp.reason, resp.headers, resp.data
            # pragma: no cover - kubernetes < 34: its REST layer JSON-encodes
            # bodies of JSON content types itself.
            json_type = "json" in headers.get("Content-Type", "")
            try:
                resp = self.api.call_api(
                    path, method, query_params=query, header_params=dict(headers),
                    body=body if json_type or payload is None else payload.decode("utf-8"),
                    auth_settings=["BearerToken"], _preload_content=False,
                    _return_http_data_only=True, _request_timeout=self.timeout)
            except ApiException as exc:
                if not exc.status:  # status 0: the request never got an answer
                    raise _Transport(exc, sent=True)
                return exc.status, exc.reason, exc.headers or {}, exc.body
            return resp.status, resp.reason, resp.headers, resp.data
        except (urllib3.exceptions.ConnectTimeoutError, ConnectionRefusedError) as exc:
            # NewConnectionError (refused, unreachable) is a ConnectTimeoutError too:
            # no byte of the request went out.
            raise _Transport(exc, sent=False)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise _Transport(exc, sent=True)

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

    def forget_discovery(self):
        """Drop what discovery knows (in memory and this user's cache file), so that the
        next resource() asks the API server again; for a kind the cache says is served but
        the server answers 404 for (a CRD deleted, or a new cluster on the same address)."""
        with self._lock:
            self._types = None
            self._refreshed = False
        cache = self._cache_file()
        if cache is not None:
            try:
                os.remove(cache)
            except OSError:
                pass

    def served_groups(self):
        """The set of API groups the server serves ('' is the core group)."""
        return {(v.split("/")[0] if "/" in v else "") for (v, _k) in self._discover()}

    def _cache_file(self):
        """This user's cache file for this API server, or None when no private
        cache directory can be had (discovery then costs two requests a run)."""
        directory = discovery_cache_dir()
        if directory is None:
            return None
        return os.path.join(directory, "discovery-%s.json" % discovery_cache_key(self.config.host))

    def _discover(self, refresh=False):
        with self._lock:
            if self._types is not None and not refresh:
                return self._types
            if refresh:
                self._refreshed = True
        cache = self._cache_file()
        raw = None if refresh or cache is None else read_private_json(cache, DISCOVERY_TTL)
        if isinstance(raw, dict) and raw.get("format") == DISCOVERY_FORMAT and raw.get("host") == self.config.host:
            rows = raw.get("rows")
        else:
            rows = None
        if not isinstance(rows, list):
            rows = self._fetch_discovery()
            if cache is not None:
                write_private_json(cache, {"format": DISCOVERY_FORMAT, "host": self.config.host, "rows": rows})
        types = {}
        for api_version, kind, plural, namespaced, verbs in rows:
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


# ---------------------------------------------------------------------- discovery cache on disk
# The cache lives in a directory only this user can enter, like kubectl's
# ~/.kube/cache: $XDG_CACHE_HOME/openova-platform/discovery, else
# ~/.cache/openova-platform/discovery, else <tmp>/openova-platform-<uid>/discovery.
# The directory is 0700 and must belong to this user; files are 0600, written to
# a temporary name and renamed into place, and read only when this user owns
# them and nobody else can write them. Anything else is ignored (and the
# discovery costs two requests), never trusted.
CACHE_MAX_BYTES = 16 * 1024 * 1024


def _private_dir(path):
    """Create ``path`` (0700) if needed; True when it is a real directory that
    this user owns and that no one else can read or enter."""
    try:
        os.makedirs(path, mode=0o700)
    except OSError as exc:
        if exc.errno != errno.EEXIST:
            return False
    try:
        info = os.lstat(path)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
            return False
        if stat.S_IMODE(info.st_mode) & 0o077:
            os.chmod(path, 0o700)  # ours, but too open (umask, an older version): close it
        return True
    except OSError:
        return False


def discovery_cache_dir():
    """This user's private discovery cache directory, or None."""
    candidates = []
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        candidates.append((os.path.join(xdg, "openova-platform"), True))
    home = os.path.expanduser("~")
    if home and home != "~" and os.path.isabs(home) and os.path.isdir(home):
        candidates.append((os.path.join(home, ".cache", "openova-platform"), True))
    candidates.append((os.path.join(tempfile.gettempdir(), "openova-platform-%d" % os.geteuid()), False))
    for base, create_parent in candidates:
        # Our own levels are checked: a directory someone else planted (say in
        # /tmp, under our predictable name) is passed over.
        parent = os.path.dirname(base)
        if create_parent:
            try:
                os.makedirs(parent, mode=0o700)
            except OSError:
                pass  # exists, or cannot be made: the check below decides
        if not os.path.isdir(parent) or not os.access(parent, os.W_OK | os.X_OK):
            continue
        if _private_dir(base) and _private_dir(os.path.join(base, "discovery")):
            return os.path.join(base, "discovery")
    return None


def _cache_user():
    try:
        return getpass.getuser()
    except Exception:  # no login name: the uid will do
        return str(os.geteuid())


def discovery_cache_key(host):
    """The cache key of an API server, as kubernetes.core keys its discovery
    cache: a hash of the server URL and the local user."""
    return hashlib.sha256(("%s-%s" % (host, _cache_user())).encode("utf-8")).hexdigest()


def read_private_json(path, ttl):
    """The JSON in ``path`` if this user owns it, only this user can write it,
    it is a regular file (not a link) and younger than ``ttl`` seconds; else None."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if (not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid()
                or stat.S_IMODE(info.st_mode) & 0o022 or info.st_size > CACHE_MAX_BYTES
                or not 0 <= time.time() - info.st_mtime < ttl):
            return None
        with os.fdopen(fd, "rb") as handle:
            fd = None
            return json.loads(handle.read().decode("utf-8"))
    except (OSError, ValueError):
        return None
    finally:
        if fd is not None:
            os.close(fd)


def write_private_json(path, data):
    """Write ``data`` to ``path`` atomically, mode 0600. Errors only cost speed."""
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-", suffix=".json")
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
        tmp = None
    except (OSError, TypeError, ValueError):
        pass
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _root_cause(exc):
    reason = getattr(exc, "reason", None)
    text = str(reason or exc)
    for marker, said in (("Connection refused", "connection refused"),
                         ("Name or service not known", "name or service not known"),
                         ("timed out", "timed out"),
                         ("CERTIFICATE_VERIFY_FAILED",
                          "the server certificate is not trusted (check the kubeconfig CA or ca_cert)"),
                         ("No route to host", "no route to host"),
                         ("Connection reset", "connection reset by peer"),
                         ("Remote end closed connection", "the server closed the connection"),
                         ("EOF occurred", "the server closed the connection"),
                         ("Connection aborted", "connection aborted")):
        if marker in text:
            return said
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
