"""Shared loop for devcluster's small controllers: list, then watch, forever.

Each controller is a plain Python process with the official ``kubernetes``
client. The API server may restart under it (``devcluster up`` after a flag
change, or a test), and right after a restart it answers LIST requests for a
while with 429 "storage is (re)initializing": every failure is logged and the
list and watch start over after a short back-off, so a controller never dies
with the API server.
"""

from __future__ import annotations

import datetime
import json
import signal
import sys
import threading
import time
from typing import Callable

STOP = threading.Event()


def log(component: str, message: str, **fields) -> None:
    """One line per event: time, component, message and fields as JSON."""
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")
    extra = (" " + json.dumps(fields, sort_keys=True)) if fields else ""
    print(f"{now} {component}: {message}{extra}", flush=True)


def api_client(kubeconfig: str, agent: str):
    from kubernetes import config  # noqa: PLC0415 (imported by the processes only)

    client = config.new_client_from_config(config_file=kubeconfig)
    client.user_agent = agent
    return client


def handle_signals() -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: STOP.set())


def watch_forever(component: str, list_func: Callable, on_sync: Callable[[list[dict]], None],
                  on_event: Callable[[str, dict], None], **list_kwargs) -> None:
    """List (``on_sync`` with every item), then watch (``on_event`` per change)
    until STOP; start over after any error, 410 Gone included."""
    from kubernetes import watch  # noqa: PLC0415
    from kubernetes.client.exceptions import ApiException  # noqa: PLC0415

    backoff = 0.5
    while not STOP.is_set():
        try:
            raw = list_func(_preload_content=False, _request_timeout=30, **list_kwargs)
            listed = json.loads(raw.data)
            on_sync(listed.get("items") or [])
            version = listed["metadata"]["resourceVersion"]
            backoff = 0.5
            while not STOP.is_set():
                stream = watch.Watch().stream(list_func, resource_version=version, timeout_seconds=120,
                                              allow_watch_bookmarks=True, deserialize=False, **list_kwargs)
                for event in stream:
                    obj = event["raw_object"] if "raw_object" in event else event["object"]
                    if event["type"] == "ERROR":
                        raise ApiException(status=obj.get("code", 500), reason=obj.get("message", "watch error"))
                    version = obj.get("metadata", {}).get("resourceVersion", version)
                    if event["type"] != "BOOKMARK":
                        on_event(event["type"], obj)
                    if STOP.is_set():
                        return
        except Exception as exc:  # noqa: BLE001 - the API server may be restarting: retry
            status = getattr(exc, "status", None)
            if status != 410:
                log(component, "list/watch failed; retrying", error=f"{type(exc).__name__}: {str(exc)[:300]}",
                    retry_in=round(backoff, 1))
                STOP.wait(backoff)
                backoff = min(backoff * 2, 10)


def run_threads(targets: list[Callable[[], None]]) -> int:
    """Run each target in a daemon thread until SIGTERM/SIGINT."""
    handle_signals()
    threads = [threading.Thread(target=t, daemon=True) for t in targets]
    for thread in threads:
        thread.start()
    while not STOP.is_set():
        STOP.wait(1)
        if not any(t.is_alive() for t in threads):
            return 1
    return 0


def main_guard(main: Callable[[], int]) -> None:
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(0)
