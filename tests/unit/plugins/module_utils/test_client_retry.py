"""Client retries and backoff (client-go's rest/with_retry.go and
util/flowcontrol.Backoff), with a scripted connection pool, a fake clock and a
recorded sleep: no API server and no real waiting. The real server restart is
exercised in tests/integration/test_resilience.py."""

import json
from types import SimpleNamespace

import pytest
import urllib3

from ansible_collections.openova.platform.plugins.module_utils.client import (
    APPLY_PATCH,
    Backoff,
    Client,
    retry_after,
)
from ansible_collections.openova.platform.plugins.module_utils.errors import ApiError, ConnectionFailed, SpecError

KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: abc}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
"""
MERGE_PATCH = "application/merge-patch+json"


def _status(code, reason="", message="m"):
    return json.dumps({"kind": "Status", "code": code, "reason": reason, "message": message}).encode()


def answer(status, retry_after_s=None, body=None):
    headers = {"Retry-After": str(retry_after_s)} if retry_after_s is not None else {}
    if body is None:
        body = b'{"ok": true}' if status < 300 else _status(status, "TooManyRequests" if status == 429 else "")
    return (status, headers, body)


REFUSED = urllib3.exceptions.NewConnectionError(None, "Failed to establish a new connection: [Errno 111] "
                                                "Connection refused")
RESET = urllib3.exceptions.ProtocolError("Connection aborted.", ConnectionResetError(104, "Connection reset by peer"))
READ_TIMEOUT = urllib3.exceptions.ReadTimeoutError(None, "/", "Read timed out. (read timeout=30)")
UNTRUSTED = urllib3.exceptions.SSLError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")


class ScriptedPool:
    """Stands in for urllib3's PoolManager: answers from a script, records calls."""

    def __init__(self, script):
        self.script = list(script)
        self.calls = []

    def request(self, method, url, body=None, headers=None, retries=None, timeout=None, preload_content=None):
        assert retries is False  # the client does its own retrying
        self.calls.append((method, url, (headers or {}).get("Content-Type")))
        if not self.script:
            raise AssertionError("unexpected extra request %s %s" % (method, url))
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        status, headers_, data = step
        return SimpleNamespace(status=status, reason="R%d" % status, headers=headers_, data=data)


class Clock:
    def __init__(self):
        self.now = 1000.0
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def make_client(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    cfg = tmp_path / "kubeconfig"
    cfg.write_text(KUBECONFIG)

    def make(script, **params):
        client = Client(dict({"kubeconfig": str(cfg)}, **params))
        clock = Clock()
        client._clock, client._sleep = clock, clock.sleep
        client.backoff = Backoff(clock=clock, rand=lambda: 0.0)  # no jitter: exact waits
        client.api.rest_client.pool_manager = ScriptedPool(script)
        client.clock = clock
        return client
    return make


# method, content type, script, outcome ("ok" or an exception class), retries, waits
CASES = {
    "GET 429 honours Retry-After": ("GET", None, [answer(429, 3), answer(200)], "ok", 1, [3]),
    "GET 429 with Retry-After 0 waits the backoff": ("GET", None, [answer(429, 0), answer(200)], "ok", 1, [1.0]),
    "GET 503 backs off exponentially": ("GET", None, [answer(503), answer(503), answer(503), answer(200)],
                                        "ok", 3, [1.0, 2.0, 4.0]),
    "GET 504": ("GET", None, [answer(504), answer(200)], "ok", 1, [1.0]),
    "GET 500": ("GET", None, [answer(500), answer(200)], "ok", 1, [1.0]),
    "GET connection refused": ("GET", None, [REFUSED, REFUSED, answer(200)], "ok", 2, [1.0, 2.0]),
    "GET connection reset": ("GET", None, [RESET, answer(200)], "ok", 1, [1.0]),
    "DELETE read timeout": ("DELETE", None, [READ_TIMEOUT, answer(200)], "ok", 1, [1.0]),
    "DELETE 503": ("DELETE", None, [answer(503), answer(200)], "ok", 1, [1.0]),
    "server-side apply 500": ("PATCH", APPLY_PATCH, [answer(500), answer(200)], "ok", 1, [1.0]),
    "server-side apply reset": ("PATCH", APPLY_PATCH, [RESET, answer(200)], "ok", 1, [1.0]),
    "server-side apply 429 Retry-After 2": ("PATCH", APPLY_PATCH, [answer(429, 2), answer(200)], "ok", 1, [2]),
    "POST 429 (refused before any work)": ("POST", "application/json", [answer(429, 1), answer(200)], "ok", 1, [1]),
    "POST connection refused (nothing sent)": ("POST", "application/json", [REFUSED, answer(200)], "ok", 1, [1]),
    "POST 503 is not repeated": ("POST", "application/json", [answer(503)], ApiError, 0, []),
    "POST reset is not repeated": ("POST", "application/json", [RESET], ConnectionFailed, 0, []),
    "merge patch 500 is not repeated": ("PATCH", MERGE_PATCH, [answer(500)], ApiError, 0, []),
    "merge patch timeout is not repeated": ("PATCH", MERGE_PATCH, [READ_TIMEOUT], ConnectionFailed, 0, []),
    "GET 404 is final": ("GET", None, [answer(404)], ApiError, 0, []),
    "GET 422 is final": ("GET", None, [answer(422)], ApiError, 0, []),
    "GET 403 is final": ("GET", None, [answer(403)], ApiError, 0, []),
    "GET 501 is final": ("GET", None, [answer(501)], ApiError, 0, []),
    "untrusted certificate is final": ("GET", None, [UNTRUSTED], ConnectionFailed, 0, []),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_retry_table(make_client, case):
    method, content_type, script, outcome, retries, waits = CASES[case]
    client = make_client(script)
    body = {"a": 1} if method in ("POST", "PATCH") else None
    if outcome == "ok":
        assert client.request(method, "/api/v1/namespaces", body=body, content_type=content_type) == {"ok": True}
    else:
        with pytest.raises(outcome):
            client.request(method, "/api/v1/namespaces", body=body, content_type=content_type)
    assert client.retries == retries
    assert client.clock.slept == waits
    assert client.requests == retries + 1  # every attempt is a request
    assert not client.api.rest_client.pool_manager.script  # the whole script was used


def test_deadline_bounds_the_retries_and_says_so(make_client):
    # 429 with Retry-After 1 forever: waits 1, 2, 4 (7 s); the next 8 s wait would end
    # after the 10 s deadline, so the client gives up after 3 retries.
    client = make_client([answer(429, 1, _status(429, "TooManyRequests", "storage is (re)initializing"))] * 4,
                         retry_deadline=10)
    with pytest.raises(ApiError) as err:
        client.request("GET", "/apis/cluster.redpanda.com/v1alpha2/topics")
    assert err.value.status == 429
    assert "storage is (re)initializing" in err.value.msg
    assert "gave up after 3 retries in 7s (retry_deadline 10s)" in err.value.msg
    assert client.clock.slept == [1.0, 2.0, 4.0]
    assert client.retry_reasons == {"429 TooManyRequests: storage is (re)initializing": 3}


def test_backoff_is_capped_at_eight_seconds(make_client):
    client = make_client([REFUSED] * 7 + [answer(200)], retry_deadline=600)
    client.request("GET", "/version")
    assert client.clock.slept == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0, 8.0]
    assert client.retry_reasons == {"connection failed (connection refused)": 7}


def test_long_retry_after_is_honoured_over_the_backoff(make_client):
    client = make_client([answer(503, 20), answer(200)])
    client.request("GET", "/version")
    assert client.clock.slept == [20]


def test_zero_deadline_turns_retries_off(make_client):
    client = make_client([REFUSED], retry_deadline=0)
    with pytest.raises(ConnectionFailed) as err:
        client.request("GET", "/version")
    assert err.value.msg == "cannot reach the Kubernetes API at https://127.0.0.1:1: connection refused"
    assert client.retries == 0


def test_refused_until_the_deadline_names_the_cause(make_client):
    client = make_client([REFUSED] * 5, retry_deadline=10)
    with pytest.raises(ConnectionFailed) as err:
        client.request("GET", "/version")
    assert err.value.msg.startswith("cannot reach the Kubernetes API at https://127.0.0.1:1: connection refused; "
                                    "gave up after 3 retries")


def test_success_resets_the_backoff(make_client):
    client = make_client([answer(503), answer(503), answer(200), answer(503), answer(200)])
    client.request("GET", "/a")
    client.request("GET", "/b")
    assert client.clock.slept == [1.0, 2.0, 1.0]


def test_retry_after_parsing():
    assert retry_after({"Retry-After": "7"}) == 7
    assert retry_after({"retry-after": " 2 "}) == 2
    assert retry_after({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) is None  # as client-go: integers only
    assert retry_after({"Retry-After": "-3"}) == 0
    assert retry_after({}) is None and retry_after(None) is None


def test_backoff_doubles_caps_jitters_and_expires():
    clock = Clock()
    backoff = Backoff(initial=1.0, maximum=8.0, jitter=0.5, clock=clock, rand=lambda: 1.0)
    assert backoff.get("h") == 0.0
    assert backoff.next("h") == 1.5            # initial plus full jitter
    assert backoff.next("h") == 3.75           # doubled plus jitter of the previous delay
    assert backoff.next("h") == 8.0            # capped
    assert backoff.get("other") == 0.0         # per server
    clock.now += 17                            # idle for more than twice the maximum: start over
    assert backoff.next("h") == 1.5
    backoff.reset("h")
    assert backoff.get("h") == 0.0


@pytest.mark.parametrize("params, field", [
    ({"request_timeout": -1}, "request_timeout"),
    ({"request_timeout": 0}, "request_timeout"),
    ({"retry_deadline": -5}, "retry_deadline"),
])
def test_bad_timeouts_name_the_field(make_client, params, field):
    with pytest.raises(SpecError) as err:
        make_client([], **params)
    assert [p[0] for p in err.value.problems] == [field]
