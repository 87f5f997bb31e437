"""render/__init__.py: the whole tenant, deterministic and pure."""

import re
from pathlib import Path

import ansible_collections.openova.platform.plugins.module_utils.tenant.render as render_pkg

from ansible_collections.openova.platform.plugins.module_utils.tenant.render import render_tenant


def test_every_object_is_labelled_and_order_is_stable(tenant, platform, passwords):
    t = tenant(postgres={"enabled": True}, topics=[{"name": "acme.a"}])
    objs = render_tenant(t, platform, passwords)
    assert objs == render_tenant(t, platform, passwords)
    assert objs[0]["kind"] == "Namespace"
    for obj in objs:
        labels = obj["metadata"]["labels"]
        assert labels["openova.io/tenant"] == "acme"
        assert labels["app.kubernetes.io/managed-by"] == "openova-platform"
    refs = [(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in objs]
    assert len(refs) == len(set(refs)) == 50  # 4 GrafanaDashboards


def test_renderers_are_pure():
    """No kubernetes import, no I/O, no clock, no randomness in any renderer."""
    forbidden = re.compile(r"^\s*(import|from)\s+(kubernetes|time|datetime|random|secrets|os|socket|urllib)\b|open\(",
                           re.M)
    files = sorted(Path(render_pkg.__file__).parent.glob("*.py"))
    assert len(files) == 11  # with admission.py and dashboards.py
    for path in files:
        assert not forbidden.search(path.read_text()), path.name
