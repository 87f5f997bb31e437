"""plugins/lookup/platform_facts.py: roles and playbooks read the facts module through
this lookup; with nothing set, the registry the guard rails require is the Harbor host
the platform installs, and check_workloads.yml derives it the same way."""

import json
import os
import subprocess
import sys
from pathlib import Path

import collection
import pytest
import yaml
from ansible.errors import AnsibleLookupError
from ansible.plugins.loader import lookup_loader

from ansible_collections.openova.platform.plugins.module_utils import facts
from ansible_collections.openova.platform.plugins.module_utils.guardrails.args import RULE_ARGS
from ansible_collections.openova.platform.plugins.module_utils.guardrails.rules import Params

REPO = Path(__file__).resolve().parents[4]


# Load the plugin as Ansible does (through the collection loader tests/conftest.py installs).
PLUGIN = lookup_loader.get("openova.platform.platform_facts")
platform_facts = sys.modules[type(PLUGIN).__module__]


def lookup(*terms, **kwargs):
    return PLUGIN.run(list(terms), variables=kwargs.pop("variables", {}), **kwargs)


def test_names_and_dotted_names():
    assert lookup("registry_host") == ["harbor.openova.io"]
    assert lookup("namespaces.data", "query_urls.loki") == [facts.DATA_NAMESPACE, facts.QUERY_URLS["loki"]]
    assert lookup()[0]["tenant_label"] == "openova.io/tenant"


def test_domain_from_the_play_or_the_option():
    assert lookup("registry_host", variables={"openova_domain": "example.com"}) == ["harbor.example.com"]
    assert lookup("registry_host", variables={"openova_domain": ""}) == ["harbor.openova.io"]
    assert lookup("harbor_url", domain="corp.test") == ["https://harbor.corp.test"]


def test_unknown_fact_names_what_exists():
    with pytest.raises(AnsibleLookupError, match="'namespaces.nope' is not a fact; namespaces holds"):
        lookup("namespaces.nope")


def test_documentation_parses():
    doc = yaml.safe_load(platform_facts.DOCUMENTATION)
    assert doc["name"] == "platform_facts" and "domain" in doc["options"]
    assert yaml.safe_load(platform_facts.EXAMPLES)


def playbook_vars(path):
    return yaml.safe_load((REPO / path).read_text())


def test_one_registry_when_nothing_is_set():
    """The guard rails' default registry (module option and rule table) is the platform's Harbor host,
    and the roles and playbooks that name a registry derive it from the same lookup."""
    harbor = facts.registry_host()
    assert RULE_ARGS["registry"]["default"] == harbor == Params().registry
    assert facts.harbor_url() == "https://" + harbor
    kyverno = yaml.safe_load((REPO / "roles/kyverno/defaults/main.yml").read_text())
    assert kyverno["kyverno_guardrails_registry"] == "{{ lookup('openova.platform.platform_facts', 'registry_host') }}"
    harbor_role = yaml.safe_load((REPO / "roles/harbor/defaults/main.yml").read_text())
    assert harbor_role["harbor_external_url"] == "{{ lookup('openova.platform.platform_facts', 'harbor_url') }}"
    (play,) = playbook_vars("playbooks/check_workloads.yml")
    task = next(t for t in play["tasks"] if "openova.platform.workload_check" in t)
    assert task["openova.platform.workload_check"]["registry"] == (
        "{{ registry | default(lookup('openova.platform.platform_facts', 'registry_host'), true) }}")


def run_play(tmp_path, extra_vars):
    """Evaluate, with ansible-playbook, the registry expressions of the kyverno role, the harbor role and
    check_workloads.yml for the given extra vars."""
    kyverno = yaml.safe_load((REPO / "roles/kyverno/defaults/main.yml").read_text())["kyverno_guardrails_registry"]
    harbor = yaml.safe_load((REPO / "roles/harbor/defaults/main.yml").read_text())["harbor_external_url"]
    (play,) = playbook_vars("playbooks/check_workloads.yml")
    check = next(t for t in play["tasks"] if "openova.platform.workload_check" in t)
    check = check["openova.platform.workload_check"]["registry"]
    playbook = tmp_path / "registry.yml"
    playbook.write_text(yaml.safe_dump([{
        "hosts": "localhost", "gather_facts": False,
        "tasks": [{"ansible.builtin.copy": {"dest": str(tmp_path / "out.json"), "mode": "0644",
                                            "content": "{{ {'kyverno': %s, 'harbor': %s, 'check': %s} | to_json }}" % (
                                                kyverno.strip("{} "), harbor.strip("{} "), check.strip("{} "))}}],
    }]))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collection.COLLECTIONS),
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(playbook),
           "-e", "ansible_python_interpreter=%s" % sys.executable]
    for key, value in extra_vars.items():
        cmd += ["-e", "%s=%s" % (key, value)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads((tmp_path / "out.json").read_text())


def test_playbooks_derive_the_same_registry(tmp_path):
    got = run_play(tmp_path, {})
    assert got == {"kyverno": "harbor.openova.io", "harbor": "https://harbor.openova.io",
                   "check": "harbor.openova.io"}
    got = run_play(tmp_path, {"openova_domain": "example.com"})
    assert got == {"kyverno": "harbor.example.com", "harbor": "https://harbor.example.com",
                   "check": "harbor.example.com"}
