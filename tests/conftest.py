"""Shared pytest set-up: this checkout is the collection `openova.platform`,
loaded by Ansible's collection loader (see tests/collection.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import collection  # noqa: E402

collection.install()
