"""Shared pytest set-up: make `ansible_collections.openova.platform` importable
from this checkout, for unit and integration tests alike."""

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("OPENOVA_CACHE_DIR") or REPO / ".cache")
COLLECTIONS = CACHE / "collections"

# tests/contract (API definition checks and service stand-ins) is imported as `contract`.
if str(REPO / "tests") not in sys.path:
    sys.path.insert(0, str(REPO / "tests"))

link = COLLECTIONS / "ansible_collections" / "openova" / "platform"
if not link.exists():
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(REPO)
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))
# Older copies of `ansible_collections` may already be imported from site-packages;
# extend its namespace path so this checkout is found as well.
import ansible_collections  # noqa: E402

if str(COLLECTIONS / "ansible_collections") not in list(ansible_collections.__path__):
    ansible_collections.__path__.append(str(COLLECTIONS / "ansible_collections"))
