"""Shared pytest set-up: this checkout is the collection `openova.platform`,
loaded by Ansible's collection loader (see tests/collection.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import collection  # noqa: E402

collection.install()


import gc  # noqa: E402

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _release_frozen_objects():
    """The apply engine freezes what it builds (apply.paused_gc) for the rest of a module's
    short process; a test process runs many modules, so each test hands them back to the
    collector afterwards."""
    yield
    gc.unfreeze()
