"""The discovery cache on disk: a private per-user directory, files only this
user owns and can write, written atomically, and nothing else trusted. A
poisoned cache would make the engine send objects to the wrong paths."""

import hashlib
import json
import os
import stat
import time

import pytest

from ansible_collections.openova.platform.plugins.module_utils import client as client_mod
from ansible_collections.openova.platform.plugins.module_utils.client import (
    DISCOVERY_FORMAT,
    Client,
    discovery_cache_dir,
    discovery_cache_key,
    read_private_json,
    write_private_json,
)

from test_client_retry import KUBECONFIG, ScriptedPool, answer  # noqa: E402  (same folder)

AS_ROOT = pytest.mark.skipif(os.geteuid() != 0, reason="making a file owned by another user needs root")
OTHER_UID = 54321

API = {"kind": "APIGroupDiscoveryList", "items": [{"metadata": {"name": ""}, "versions": [{"version": "v1", "resources": [
    {"resource": "namespaces", "responseKind": {"kind": "Namespace"}, "scope": "Cluster", "verbs": ["get"]}]}]}]}
APIS = {"kind": "APIGroupDiscoveryList", "items": [{"metadata": {"name": "apps"}, "versions": [{"version": "v1", "resources": [
    {"resource": "deployments", "responseKind": {"kind": "Deployment"}, "scope": "Namespaced", "verbs": ["get"]}]}]}]}
DISCOVERY = [answer(200, body=json.dumps(API).encode()), answer(200, body=json.dumps(APIS).encode())]


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    home = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home


def _mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def _client(tmp_path, script):
    cfg = tmp_path / "kubeconfig"
    cfg.write_text(KUBECONFIG)
    client = Client({"kubeconfig": str(cfg)})
    client.api.rest_client.pool_manager = ScriptedPool(script)
    return client


def test_cache_dir_is_private_and_per_user(cache_home):
    directory = discovery_cache_dir()
    assert directory == str(cache_home / "openova-platform" / "discovery")
    assert _mode(directory) == 0o700 and _mode(cache_home / "openova-platform") == 0o700
    assert os.lstat(directory).st_uid == os.geteuid()


def test_too_open_own_dir_is_closed(cache_home):
    (cache_home / "openova-platform" / "discovery").mkdir(parents=True)
    os.chmod(cache_home / "openova-platform", 0o777)
    assert discovery_cache_dir() is not None
    assert _mode(cache_home / "openova-platform") == 0o700


@AS_ROOT
def test_planted_dir_of_another_user_is_passed_over(tmp_path, monkeypatch):
    # Someone else created our predictable name first (the /tmp case): never used.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "nohome"))  # does not exist
    monkeypatch.setattr(client_mod.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    planted = tmp_path / "xdg" / "openova-platform"
    planted.mkdir(parents=True)
    os.chown(planted, OTHER_UID, OTHER_UID)
    (tmp_path / "tmp").mkdir()
    os.chmod(tmp_path / "tmp", 0o1777)
    fallback = tmp_path / "tmp" / ("openova-platform-%d" % os.geteuid())
    fallback.mkdir(mode=0o777)
    os.chown(fallback, OTHER_UID, OTHER_UID)
    assert discovery_cache_dir() is None


def test_fallback_to_a_private_temp_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "nohome"))
    monkeypatch.setattr(client_mod.tempfile, "gettempdir", lambda: str(tmp_path))
    directory = discovery_cache_dir()
    assert directory == str(tmp_path / ("openova-platform-%d" % os.geteuid()) / "discovery")
    assert _mode(os.path.dirname(directory)) == 0o700


def test_key_is_server_and_local_user_like_kubernetes_core(monkeypatch):
    monkeypatch.setattr(client_mod.getpass, "getuser", lambda: "alice")
    assert discovery_cache_key("https://h:6443") == hashlib.sha256(b"https://h:6443-alice").hexdigest()
    assert discovery_cache_key("https://h:6443") != discovery_cache_key("https://other:6443")


def test_written_files_are_0600_and_atomic(cache_home):
    path = os.path.join(discovery_cache_dir(), "f.json")
    write_private_json(path, {"a": 1})
    assert _mode(path) == 0o600
    assert read_private_json(path, 60) == {"a": 1}
    assert os.listdir(os.path.dirname(path)) == ["f.json"]  # no temporary file left behind
    write_private_json(path, {"unserialisable": object()})   # a failed write keeps the old file, leaves no debris
    assert read_private_json(path, 60) == {"a": 1}
    assert os.listdir(os.path.dirname(path)) == ["f.json"]


@pytest.mark.parametrize("spoil", ["group-writable", "world-writable", "symlink", "stale", "future", "directory"])
def test_untrusted_or_stale_files_are_ignored(cache_home, tmp_path, spoil):
    path = os.path.join(discovery_cache_dir(), "f.json")
    write_private_json(path, {"a": 1})
    if spoil == "group-writable":
        os.chmod(path, 0o620)
    elif spoil == "world-writable":
        os.chmod(path, 0o602)
    elif spoil == "symlink":
        target = tmp_path / "elsewhere.json"
        target.write_text('{"a": 1}')
        os.unlink(path)
        os.symlink(target, path)
    elif spoil == "stale":
        old = time.time() - 3600
        os.utime(path, (old, old))
    elif spoil == "future":
        ahead = time.time() + 3600
        os.utime(path, (ahead, ahead))
    elif spoil == "directory":
        os.unlink(path)
        os.mkdir(path)
    assert read_private_json(path, 600) is None


@AS_ROOT
def test_file_of_another_user_is_ignored(cache_home):
    path = os.path.join(discovery_cache_dir(), "f.json")
    write_private_json(path, {"a": 1})
    os.chown(path, OTHER_UID, OTHER_UID)
    assert read_private_json(path, 600) is None


def test_client_uses_and_refreshes_its_cache(cache_home, tmp_path):
    first = _client(tmp_path, list(DISCOVERY))
    assert first.resource("apps/v1", "Deployment").plural == "deployments"
    assert first.requests == 2
    cache = first._cache_file()
    assert os.path.dirname(cache) == discovery_cache_dir() and _mode(cache) == 0o600
    stored = json.load(open(cache))
    assert stored["format"] == DISCOVERY_FORMAT and stored["host"] == "https://127.0.0.1:1"
    second = _client(tmp_path, [])  # served from the cache: no request at all
    assert second.resource("v1", "Namespace").namespaced is False
    assert second.requests == 0


@AS_ROOT
def test_client_never_trusts_a_poisoned_cache(cache_home, tmp_path):
    # Another local user writes a cache entry that maps Deployments to a path of
    # their choosing. The client ignores it and asks the server.
    probe = _client(tmp_path, [])
    cache = probe._cache_file()
    poison = {"format": DISCOVERY_FORMAT, "host": "https://127.0.0.1:1",
              "rows": [["apps/v1", "Deployment", "evil/../../secrets", True, ["get"]]]}
    with open(cache, "w") as handle:
        json.dump(poison, handle)
    os.chmod(cache, 0o644)
    os.chown(cache, OTHER_UID, OTHER_UID)
    client = _client(tmp_path, list(DISCOVERY))
    assert client.resource("apps/v1", "Deployment").plural == "deployments"
    assert client.requests == 2
    assert os.lstat(cache).st_uid == os.geteuid()  # replaced by our own file


def test_cache_for_another_server_is_not_used(cache_home, tmp_path):
    probe = _client(tmp_path, [])
    write_private_json(probe._cache_file(), {
        "format": DISCOVERY_FORMAT, "host": "https://elsewhere:6443",
        "rows": [["v1", "Namespace", "namespaces", False, []]]})
    client = _client(tmp_path, list(DISCOVERY))
    assert client.resource("apps/v1", "Deployment").plural == "deployments"
    assert client.requests == 2
