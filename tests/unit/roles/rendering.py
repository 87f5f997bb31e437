"""Render a role's defaults and vars with Ansible's own templating, as a play would, so the
unit tests assert on the values that reach each chart. No cluster, no playbook run."""

from pathlib import Path

import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

REPO = Path(__file__).resolve().parents[3]
ROLES = REPO / "roles"
# The roles of the platform install, in site.yml order.
# Lookups (ansible.builtin.template, openova.platform.platform_facts) resolve through the collection
# loader that tests/conftest.py installs.
COMPONENTS = ["cilium", "istio", "cert_manager", "kyverno", "redpanda", "postgresql", "redis",
              "observability", "llm_gateway", "harbor"]
PLATFORM_ROLES = COMPONENTS + ["_helm_release", "platform_config"]


def load(role, part, trusted=False):
    """The role's defaults or vars as data; `trusted` marks strings as templates, as Ansible
    does for files it loads from a role."""
    path = ROLES / role / part / "main.yml"
    if not path.exists():
        return {}
    if trusted:
        return DataLoader().load_from_file(str(path), trusted_as_template=True) or {}
    return yaml.safe_load(path.read_text()) or {}


def render(role, expr, **extra):
    """Template `expr` (e.g. "{{ _redis_values }}") with the role's defaults, vars and `extra`
    (inventory-like variables, which win over defaults as they do in a play)."""
    variables = dict(load(role, "defaults", trusted=True))
    variables.update(extra)
    variables.update(load(role, "vars", trusted=True))
    variables.update({k: v for k, v in extra.items() if k.startswith("_")})
    loader = DataLoader()
    loader.set_basedir(str(ROLES / role))
    templar = Templar(loader=loader, variables=variables)
    return templar.template(trust_as_template(expr))


def releases(role, **extra):
    """The role's releases as _helm_release installs them from the upstream source: every
    release completed with the chart, repository and version the role pins."""
    from ansible_collections.openova.platform.plugins.module_utils.charts import chart_releases

    defaults = {key: render(role, "{{ %s_chart_%s | default('') }}" % (role, name), **extra)
                for key, name in (("chart", "name"), ("repo", "repo"), ("version", "version"))}
    return chart_releases(render(role, "{{ _%s_releases }}" % role, **extra), role, defaults=defaults)
