"""tools/module_docs.py: the options documented in the modules whose option tables live in
module_utils (tenant, platform_config, platform_objects) are the generated ones."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def test_generated_module_documentation_is_up_to_date():
    done = subprocess.run([sys.executable, str(REPO / "tools" / "module_docs.py"), "--check"], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr + "\nrun: python3 tools/module_docs.py"


def test_check_notices_a_drift(tmp_path, monkeypatch):
    sys.path.insert(0, str(REPO / "tools"))
    import module_docs
    path = REPO / "plugins" / "modules" / "platform_config.py"
    original = path.read_text()
    monkeypatch.setattr(module_docs, "ROOT", tmp_path)
    (tmp_path / "plugins" / "modules").mkdir(parents=True)
    copy = tmp_path / "plugins" / "modules" / "platform_config.py"
    copy.write_text(original.replace("Mesh-wide mTLS mode", "Mesh wide mode"))
    assert module_docs.main(["--check", "platform_config"]) == 1
    assert module_docs.main(["platform_config"]) == 0 and copy.read_text() == original
