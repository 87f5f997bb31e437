"""The published API definitions the contract tests check against, read or
generated at test time; nothing of them is stored in the repository."""

import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("OPENOVA_CACHE_DIR") or REPO / ".cache")
SHARED = Path(os.environ.get("OPENOVA_SHARED_DIR") or REPO.parent / "shared")
HARBOR_SWAGGER = SHARED / "apis" / "harbor-v2.14.4-swagger.yaml"

_GENERATE = """
import json, sys
from litellm.proxy.proxy_server import app
json.dump(app.openapi(), open(sys.argv[1], "w"))
"""


def pinned_litellm():
    """The litellm version pinned in requirements-dev.txt."""
    for line in (REPO / "requirements-dev.txt").read_text().splitlines():
        if line.startswith("litellm"):
            return line.split("==", 1)[1].strip()
    raise AssertionError("requirements-dev.txt pins no litellm")


def litellm_openapi():
    """Path of the OpenAPI document that the installed litellm proxy
    generates (``app.openapi()``), made once per installed version. The
    generation runs without network: litellm's remote model cost map is off."""
    version = importlib.metadata.version("litellm")
    out = CACHE / "contracts" / ("litellm-%s-openapi.json" % version)
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, LITELLM_LOCAL_MODEL_COST_MAP="True", LITELLM_TELEMETRY="False",
                   NO_PROXY="*", no_proxy="*")
        tmp = out.with_suffix(".tmp")
        subprocess.run([sys.executable, "-c", _GENERATE, str(tmp)], env=env, check=True, capture_output=True,
                       timeout=600)
        json.loads(tmp.read_text())
        tmp.replace(out)
    return out, version
