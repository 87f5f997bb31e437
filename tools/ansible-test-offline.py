#!/usr/bin/env python3
"""Let `ansible-test sanity --venv` run without its bootstrap download site.

ansible-test fetches a get-pip script from a site this machine cannot reach,
and caches it as ~/.ansible/test/cache/get_pip_<version>.py. This writes a
stand-in there that installs pip with ensurepip and then pip-installs the
requested packages from the package index, which is reachable.
"""

import re
import sys
from pathlib import Path

STAND_IN = '''"""Stand-in for get-pip.py: ensurepip, then pip install from the index."""
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"])
if args:
    subprocess.check_call([sys.executable, "-m", "pip", "install", *args])
'''


def main() -> int:
    import ansible_test

    root = Path(ansible_test.__file__).parent
    text = (root / "_data" / "requirements" / "ansible-test.txt").read_text() if (
        root / "_data" / "requirements" / "ansible-test.txt").exists() else ""
    versions = set(re.findall(r"^pip\s*==\s*([\d.]+)", text, re.M))
    # python_requirements.get_venv_packages() pins it as default_packages(pip='24.2').
    source = (root / "_internal" / "python_requirements.py").read_text(errors="ignore")
    versions.update(re.findall(r"""pip\s*=\s*['"]([\d.]+)['"]""", source))
    for path in root.rglob("*.txt"):
        versions.update(re.findall(r"^pip\s*==\s*([\d.]+)", path.read_text(errors="ignore"), re.M))
    if not versions:
        print("ansible-test-offline: could not find the pip version ansible-test bootstraps", file=sys.stderr)
        return 1
    cache = Path.home() / ".ansible" / "test" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    for version in sorted(versions):
        target = cache / f"get_pip_{version.replace('.', '_')}.py"
        if not target.exists() or target.read_text() != STAND_IN:
            target.write_text(STAND_IN)
        print(f"ansible-test-offline: {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
