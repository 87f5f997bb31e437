#!/usr/bin/env bash
# Create .venv with the pinned test requirements and link this repository into
# a collections path as openova.platform. Safe to run again; it only does
# what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE=${OPENOVA_CACHE_DIR:-$PWD/.cache}
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}

"$PYTHON" - <<'PY' || { echo "setup: Python 3.11 or newer is required" >&2; exit 1; }
import sys
sys.exit(0 if sys.version_info >= (3, 11) else 1)
PY

stamp="$VENV/.requirements.sha"
want=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
if [[ ! -x "$VENV/bin/python" ]]; then
  "$PYTHON" -m venv "$VENV"
fi
if [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  echo "setup: installing Python requirements into $VENV"
  if ! "$VENV/bin/pip" install -q --disable-pip-version-check -r requirements-dev.txt; then
    echo "setup: pip could not install requirements-dev.txt; PyPI must be reachable" >&2
    exit 1
  fi
  echo "$want" > "$stamp"
fi

# The repository root is the collection: link it where Ansible looks (tests/collection.py).
OPENOVA_CACHE_DIR="$CACHE" "$VENV/bin/python" tests/collection.py >/dev/null
# The LiteLLM proxy for the contract tests, in a virtualenv of its own
# (see requirements-contract.txt).
llm_venv="$CACHE/venvs/litellm"
llm_stamp="$llm_venv/.requirements.sha"
llm_want=$(sha256sum requirements-contract.txt | cut -d' ' -f1)
if [[ "$(cat "$llm_stamp" 2>/dev/null)" != "$llm_want" ]]; then
  echo "setup: installing requirements-contract.txt into $llm_venv"
  [[ -x "$llm_venv/bin/python" ]] || "$PYTHON" -m venv "$llm_venv"
  if ! "$llm_venv/bin/pip" install -q --disable-pip-version-check -r requirements-contract.txt; then
    echo "setup: pip could not install requirements-contract.txt; PyPI must be reachable" >&2
    exit 1
  fi
  echo "$llm_want" > "$llm_stamp"
fi
