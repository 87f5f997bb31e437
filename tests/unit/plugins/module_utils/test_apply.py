"""Branch logic of the apply engine, with a recording fake client (no API
server involved; the real server is exercised in tests/integration)."""

import copy

import pytest

from ansible_collections.openova.platform.plugins.module_utils.apply import (
    HIDDEN,
    Engine,
    comparable,
    condition_is,
    redact,
    ref,
    summarize,
)
from ansible_collections.openova.platform.plugins.module_utils.client import ResourceType
from ansible_collections.openova.platform.plugins.module_utils.errors import ApiError, MissingKind

TYPES = {
    ("v1", "Namespace"): ResourceType("v1", "Namespace", "namespaces", False, []),
    ("v1", "ConfigMap"): ResourceType("v1", "ConfigMap", "configmaps", True, []),
    ("v1", "Secret"): ResourceType("v1", "Secret", "secrets", True, []),
}


class FakeClient:
    """Stores objects by path; PATCH merges like a server would for these tests."""

    def __init__(self, objects=None):
        self.store = {}
        self.calls = []
        for obj in objects or []:
            self.store[self._path(obj)] = obj

    def _path(self, obj):
        meta = obj["metadata"]
        return TYPES[(obj["apiVersion"], obj["kind"])].path(meta["name"], meta.get("namespace"))

    def forget_discovery(self):
        self.calls.append(("FORGET", None, {}))

    def resource(self, api_version, kind):
        try:
            return TYPES[(api_version, kind)]
        except KeyError:
            raise MissingKind("no %s %s" % (api_version, kind))

    def request(self, method, path, body=None, query=None, content_type=None):
        self.calls.append((method, path, dict(query or {})))
        if method == "GET":
            if path not in self.store:
                raise ApiError("not found", status=404)
            return copy.deepcopy(self.store[path])
        if method == "PATCH":
            live = copy.deepcopy(body)
            old = self.store.get(path)
            version = int(old["metadata"].get("resourceVersion", 0)) if old else 0
            changed = old is None or comparable(old) != comparable(live)
            live["metadata"]["resourceVersion"] = str(version + 1 if changed else version)
            live["metadata"]["managedFields"] = [{"manager": query["fieldManager"]}]
            if not (query or {}).get("dryRun"):
                self.store[path] = live
            return copy.deepcopy(live)
        if method == "DELETE":
            if path not in self.store:
                raise ApiError("not found", status=404)
            if not (query or {}).get("dryRun"):
                del self.store[path]
            return {}
        raise AssertionError(method)

    def writes(self):
        return [c for c in self.calls if c[0] in ("PATCH", "DELETE") and "dryRun" not in c[2]]


def cm(name, data, ns="team"):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns}, "data": data}


NS = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}


def test_create_then_unchanged_then_updated():
    client = FakeClient()
    engine = Engine(client)
    first = engine.apply([NS, cm("a", {"k": "1"})])
    assert [r.action for r in first] == ["created", "created"]
    second = engine.apply([NS, cm("a", {"k": "1"})])
    assert [r.action for r in second] == ["unchanged", "unchanged"]
    assert not any(r.changed for r in second)
    third = engine.apply([cm("a", {"k": "2"})])
    assert third[0].action == "updated"
    diff = third[0].diff()
    assert diff["before"]["data"] == {"k": "1"} and diff["after"]["data"] == {"k": "2"}
    assert "managedFields" not in diff["after"]["metadata"]


def test_namespaces_are_applied_before_namespaced_objects():
    client = FakeClient()
    Engine(client, workers=4).apply([cm("a", {}), cm("b", {}), NS])
    patches = [c[1] for c in client.calls if c[0] == "PATCH"]
    assert patches[0] == "/api/v1/namespaces/team"


def test_check_mode_sends_dry_run_and_stores_nothing():
    client = FakeClient()
    results = Engine(client, check_mode=True).apply([NS, cm("a", {"k": "1"})])
    assert [r.action for r in results] == ["created", "created"]
    assert client.store == {}
    assert all(c[2].get("dryRun") == "All" for c in client.calls if c[0] == "PATCH")
    # The ConfigMap's namespace exists only as a dry-run result, so it is not sent at all.
    assert [c[1] for c in client.calls if c[0] == "PATCH"] == ["/api/v1/namespaces/team"]


def test_existing_map_avoids_reads():
    client = FakeClient([NS])
    live = client.store["/api/v1/namespaces/team"]
    Engine(client).apply([NS], existing={ref(NS): live})
    assert [c[0] for c in client.calls] == ["PATCH"]


def test_force_conflicts_and_field_manager_are_sent():
    client = FakeClient()
    Engine(client, force_conflicts=True, field_manager="me").apply([NS])
    query = [c[2] for c in client.calls if c[0] == "PATCH"][0]
    assert query == {"fieldManager": "me", "force": "true"}


def test_failure_of_one_object_is_reported_and_others_proceed():
    client = FakeClient()
    bad = {"apiVersion": "v9", "kind": "Nope", "metadata": {"name": "x"}}
    with pytest.raises(MissingKind):
        Engine(client).apply([NS, bad])  # kinds are resolved before any write
    assert client.writes() == []


def test_delete_reports_absent_and_orders_namespaces_last():
    client = FakeClient([NS, cm("a", {})])
    results = Engine(client).delete([ref(NS), ref(cm("a", {})), ("v1", "ConfigMap", "team", "missing")])
    assert [(r.ref[3], r.action) for r in results] == [("a", "deleted"), ("missing", "absent"), ("team", "deleted")]


def test_prune_deletes_only_what_is_no_longer_wanted():
    keep, stale = cm("keep", {}), cm("stale", {})
    client = FakeClient([keep, stale])
    results = Engine(client).prune([keep], [keep, stale])
    assert [(r.ref[3], r.action) for r in results] == [("stale", "deleted")]
    assert "/api/v1/namespaces/team/configmaps/keep" in client.store


def test_delete_in_check_mode_keeps_objects():
    client = FakeClient([NS])
    results = Engine(client, check_mode=True).delete([ref(NS)])
    assert results[0].action == "deleted"
    assert "/api/v1/namespaces/team" in client.store


def test_redact_hides_secret_values_only():
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"password": "c2VjcmV0"}}
    assert redact(secret)["data"] == {"password": HIDDEN}
    assert secret["data"]["password"] == "c2VjcmV0"
    assert redact(cm("a", {"k": "v"}))["data"] == {"k": "v"}


def test_comparable_strips_server_noise():
    live = {"metadata": {"name": "a", "uid": "u", "resourceVersion": "7", "generation": 2,
                         "managedFields": [], "creationTimestamp": "t",
                         "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
            "status": {"phase": "Active"}, "spec": {"x": 1}}
    assert comparable(live) == {"metadata": {"name": "a"}, "spec": {"x": 1}}


def test_condition_predicate_and_summary():
    ready = condition_is("Ready")
    assert ready({"status": {"conditions": [{"type": "Ready", "status": "True"}]}})
    assert not ready({"status": {"conditions": [{"type": "Ready", "status": "False"}]}})
    assert not ready({"status": {}})
    client = FakeClient()
    counts = summarize(Engine(client).apply([NS]))
    assert counts["created"] == 1 and counts["failed"] == 0


def test_up_to_date_objects_are_not_sent():
    live = cm("a", {"k": "1"})
    live["metadata"]["managedFields"] = [{
        "manager": "openova-platform", "operation": "Apply",
        "fieldsV1": {"f:data": {"f:k": {}}}}]
    client = FakeClient([live])
    result = Engine(client).apply([cm("a", {"k": "1"})], existing={ref(live): live})[0]
    assert result.action == "unchanged"
    assert client.calls == []  # neither read nor written
    # A field we own but no longer set must be removed, so that object is sent.
    client.calls.clear()
    Engine(client).apply([{"apiVersion": "v1", "kind": "ConfigMap",
                           "metadata": {"name": "a", "namespace": "team"}}], existing={ref(live): live})
    assert [c[0] for c in client.calls] == ["PATCH"]


def test_reconcile_prunes_only_after_a_clean_apply():
    keep, stale = cm("keep", {"k": "1"}), cm("stale", {})
    client = FakeClient([keep, stale])
    engine = Engine(client)
    results = engine.reconcile([cm("keep", {"k": "2"})], [keep, stale])
    assert [(r.ref[3], r.action) for r in results] == [("keep", "updated"), ("stale", "deleted")]
    # A failed apply leaves every owned object in place.
    client = FakeClient([keep, stale])
    bad = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x", "namespace": "team"}}
    client.request = _failing_patch(client.request)
    results = Engine(client).reconcile([bad], [keep, stale])
    assert [r.action for r in results] == ["failed"]
    assert "/api/v1/namespaces/team/configmaps/stale" in client.store


def _failing_patch(request):
    def wrapped(method, path, body=None, query=None, content_type=None):
        if method == "PATCH":
            raise ApiError("rejected", status=422)
        return request(method, path, body=body, query=query, content_type=content_type)
    return wrapped


def test_outcome_reports_diff_and_failures():
    from ansible_collections.openova.platform.plugins.module_utils.apply import ObjectResult, outcome
    ok = ObjectResult(ref(NS), "created", None, NS)
    bad = ObjectResult(ref(cm("a", {})), "failed", error="ConfigMap team/a: rejected")
    out = outcome([ok, bad], True, "thing")
    assert out["changed"] is True and len(out["diff"]) == 1
    assert out["failed"] is True and out["msg"] == "thing: 1 object(s) failed: ConfigMap team/a: rejected"
    assert "diff" not in outcome([ok], False, "thing") and "failed" not in outcome([ok], False, "thing")


def test_reconcile_hooks_keep_and_before_prune():
    keep, stale, spared = cm("keep", {}), cm("stale", {}), cm("spared", {})
    client = FakeClient([keep, stale, spared])
    seen = []
    results = Engine(client).reconcile([keep], [keep, stale, spared], keep=lambda o: o["metadata"]["name"] == "spared",
                                       before_prune=lambda doomed: seen.extend(o["metadata"]["name"] for o in doomed))
    assert seen == ["stale"]
    assert [(r.ref[3], r.action) for r in results] == [("keep", "unchanged"), ("stale", "deleted")]
    assert "/api/v1/namespaces/team/configmaps/spared" in client.store


def test_reconcile_before_prune_can_stop_the_deletes():
    keep, stale = cm("keep", {}), cm("stale", {})
    client = FakeClient([keep, stale])

    def refuse(doomed):
        raise RuntimeError("needs a confirmation")

    with pytest.raises(RuntimeError):
        Engine(client).reconcile([keep], [keep, stale], before_prune=refuse)
    assert "/api/v1/namespaces/team/configmaps/stale" in client.store
    assert Engine(FakeClient([keep, stale])).reconcile([keep], [keep, stale], prune=False)[-1].ref[3] == "keep"


def test_list_owned_skips_kinds_the_server_does_not_serve_only_when_asked():
    client = FakeClient()
    client.request = lambda method, path, body=None, query=None, content_type=None: {"items": []}
    kinds = [("v1", "ConfigMap"), ("example.com/v1", "Widget")]
    assert Engine(client).list_owned(kinds, "a=b", missing_ok=True) == []
    with pytest.raises(MissingKind):
        Engine(client).list_owned(kinds, "a=b")


def test_summarize_by_owner_and_outcome_limits_the_message():
    from ansible_collections.openova.platform.plugins.module_utils.apply import ObjectResult, outcome, summarize_by
    results = [ObjectResult(("v1", "ConfigMap", "team", "c%d" % i), "failed", error="e%d" % i) for i in range(12)]
    results.append(ObjectResult(("v1", "Namespace", "", "team"), "created"))
    summary = summarize_by(results, lambda r: "ns" if r[1] == "Namespace" else "cm", ["cm", "ns", "none"])
    assert len(summary["cm"]["failed"]) == 12 and summary["ns"]["created"] == ["Namespace team"]
    assert summary["none"]["unchanged"] == 0
    out = outcome(results, False, "thing", per_object=False)
    assert "results" not in out and out["msg"].endswith("e9 (and 2 more)")


def test_reconcile_prunes_each_owner_whose_objects_all_applied():
    """A batch of owners (tenants): a failed apply keeps its owner's stale objects only; a
    failed object without an owner (shared) keeps everything."""
    a_ok, a_stale, b_stale = cm("a-ok", {}), cm("a-stale", {}), cm("b-stale", {})
    b_bad = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "b-bad", "namespace": "team"}}
    owners = {ref(a_ok): "a", ref(a_stale): "a", ref(b_stale): "b", ref(b_bad): "b"}

    def failing_secrets(request):
        def wrapped(method, path, body=None, query=None, content_type=None):
            if method == "PATCH" and "/secrets/" in path:
                raise ApiError("rejected", status=422)
            return request(method, path, body=body, query=query, content_type=content_type)
        return wrapped

    client = FakeClient([a_ok, a_stale, b_stale])
    client.request = failing_secrets(client.request)
    results = Engine(client).reconcile([a_ok, b_bad], [a_ok, a_stale, b_stale], owner_of=owners.get)
    assert [(r.ref[3], r.action) for r in results] == [("a-ok", "unchanged"), ("b-bad", "failed"),
                                                       ("a-stale", "deleted")]
    assert "/api/v1/namespaces/team/configmaps/b-stale" in client.store
    client = FakeClient([a_ok, a_stale, b_stale])
    client.request = failing_secrets(client.request)
    shared = dict(owners)
    del shared[ref(b_bad)]  # now an object without an owner
    results = Engine(client).reconcile([a_ok, b_bad], [a_ok, a_stale, b_stale], owner_of=shared.get)
    assert [r.action for r in results] == ["unchanged", "failed"]


def test_reconcile_deletes_the_first_kinds_first():
    keep, role = cm("keep", {}), cm("role", {})
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "team"}}
    client = FakeClient([keep, role, secret])
    results = Engine(client).reconcile([keep], [keep, role, secret], first=("Secret",))
    assert [(r.ref[1], r.ref[3]) for r in results[1:]] == [("Secret", "s"), ("ConfigMap", "role")]


def test_a_404_on_a_list_refreshes_stale_discovery_once():
    """A cached discovery document can name a kind the server no longer serves (a CRD deleted,
    a new cluster on the same address): the 404 drops the cache and asks once more."""
    client = FakeClient()
    with pytest.raises(ApiError):
        Engine(client).list("v1", "ConfigMap", namespace="team")
    assert [c[0] for c in client.calls] == ["GET", "FORGET", "GET"]


def test_summarize_by_adds_to_an_earlier_summary():
    from ansible_collections.openova.platform.plugins.module_utils.apply import ObjectResult, summarize_by
    earlier = {"a": {"created": ["ConfigMap team/x"], "updated": [], "deleted": [], "unchanged": 1, "failed": []}}
    out = summarize_by([ObjectResult(ref(cm("y", {})), "created"), ObjectResult(ref(cm("z", {})), "unchanged")],
                       lambda r: "a", into=earlier)
    assert out is earlier
    assert earlier["a"]["created"] == ["ConfigMap team/x", "ConfigMap team/y"] and earlier["a"]["unchanged"] == 2


def test_up_to_date_objects_are_settled_without_threads_and_compared_once(monkeypatch):
    """A no-op batch (every object known and up to date) hands no work to threads, and an
    apply after a dry run of the same objects does not compare them again."""
    from ansible_collections.openova.platform.plugins.module_utils import apply as apply_mod

    lives, wanted = [], []
    for i in range(20):
        live = cm("c%d" % i, {"k": "1"})
        live["metadata"]["managedFields"] = [{"manager": "openova-platform", "operation": "Apply",
                                              "fieldsV1": {"f:data": {"f:k": {}}}}]
        lives.append(live)
        wanted.append(cm("c%d" % i, {"k": "1"}))
    wanted.append(cm("new", {"k": "1"}))
    existing = dict((ref(o), o) for o in lives)
    existing[ref(wanted[-1])] = None
    compared = []
    real = apply_mod.up_to_date
    monkeypatch.setattr(apply_mod, "up_to_date", lambda *a: (a[0] is not None and compared.append(a[1]["metadata"]["name"])) or real(*a))
    pools = []
    real_pool = apply_mod.ThreadPoolExecutor
    monkeypatch.setattr(apply_mod, "ThreadPoolExecutor", lambda **kw: pools.append(kw) or real_pool(**kw))
    client = FakeClient(lives)
    engine = Engine(client)
    failures, _read = engine.dry_run(wanted, existing=existing, namespaces={"team"})
    assert failures == []
    results = engine.apply(wanted, existing=existing)
    assert [r.action for r in results] == ["unchanged"] * 20 + ["created"]
    assert sorted(compared) == sorted("c%d" % i for i in range(20))  # each once, across both calls
    assert pools == []  # one object to send in each call: no thread pool
    assert [(c[0], c[1].rsplit("/", 1)[-1], "dryRun" in c[2]) for c in client.calls] == [
        ("PATCH", "new", True), ("PATCH", "new", False)]


def test_paused_gc_pauses_restores_and_freezes_what_was_built():
    import gc

    from ansible_collections.openova.platform.plugins.module_utils.apply import paused_gc

    gc.unfreeze()
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        built = [{"n": i} for i in range(1000)]
    assert gc.isenabled() and gc.get_freeze_count() >= len(built)
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()  # a caller's own pause is kept
    finally:
        gc.enable()
        gc.unfreeze()
