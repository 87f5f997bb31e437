"""The one place that makes this checkout the collection `openova.platform` for
Python: tests/conftest.py, tests/kyverno/generate.py, the tools that import the
collection and tools/setup.sh all use it.

    sys.path.insert(0, str(REPO / "tests"))
    import collection
    collection.install()        # or collection.link() to only create the link

It links the repository into `<cache>/collections/ansible_collections/openova/platform`
(the cache is $OPENOVA_CACHE_DIR or .cache) and installs Ansible's own collection
loader over that path, so that modules, module_utils and plugins (lookups, filters)
load exactly as they do under ansible-playbook. `python tests/collection.py` links
and prints the collections path (for ANSIBLE_COLLECTIONS_PATH)."""

import os
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("OPENOVA_CACHE_DIR") or REPO / ".cache")
COLLECTIONS = CACHE / "collections"
LINK = COLLECTIONS / "ansible_collections" / "openova" / "platform"


def link():
    """Point LINK at this checkout (idempotent); returns COLLECTIONS."""
    if not (LINK.is_symlink() and LINK.resolve() == REPO):
        if LINK.is_symlink() or LINK.is_file():
            LINK.unlink()
        elif LINK.exists():
            shutil.rmtree(LINK)
        LINK.parent.mkdir(parents=True, exist_ok=True)
        LINK.symlink_to(REPO)
    return COLLECTIONS


def install():
    """Link the checkout and install Ansible's collection loader (once per process)."""
    from ansible.plugins.loader import init_plugin_loader
    from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder

    link()
    if not any(isinstance(finder, _AnsibleCollectionFinder) for finder in sys.meta_path):
        init_plugin_loader([str(COLLECTIONS)])
    return COLLECTIONS


if __name__ == "__main__":
    print(link())
