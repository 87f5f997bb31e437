"""The published API definitions the contract tests check against, read or
generated at test time; nothing of them is stored in the repository."""

import json
import os
import subprocess
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


LITELLM_PYTHON = Path(os.environ.get("OPENOVA_LITELLM_PYTHON") or CACHE / "venvs" / "litellm" / "bin" / "python")


def pinned_litellm():
    """The litellm version pinned in requirements-contract.txt."""
    for line in (REPO / "requirements-contract.txt").read_text().splitlines():
        if line.startswith("litellm"):
            return line.split("==", 1)[1].strip()
    raise AssertionError("requirements-contract.txt pins no litellm")


def installed_litellm():
    if not LITELLM_PYTHON.exists():
        raise AssertionError("no LiteLLM virtualenv at %s; run tools/setup.sh" % LITELLM_PYTHON)
    return subprocess.run([str(LITELLM_PYTHON), "-c", "import importlib.metadata as m; print(m.version('litellm'))"],
                          check=True, capture_output=True, text=True).stdout.strip()


def litellm_openapi():
    """Path of the OpenAPI document that the installed litellm proxy
    generates (``app.openapi()``), made once per installed version, and the
    version. The generation runs without network: litellm's remote model cost
    map is off."""
    version = installed_litellm()
    out = CACHE / "contracts" / ("litellm-%s-openapi.json" % version)
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, LITELLM_LOCAL_MODEL_COST_MAP="True", LITELLM_TELEMETRY="False",
                   NO_PROXY="*", no_proxy="*")
        tmp = out.with_suffix(".tmp")
        subprocess.run([str(LITELLM_PYTHON), "-c", _GENERATE, str(tmp)], env=env, check=True, capture_output=True,
                       timeout=600)
        json.loads(tmp.read_text())
        tmp.replace(out)
    return out, version
