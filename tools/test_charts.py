#!/usr/bin/env python3
"""Write the small test charts in tests/charts/ from the chart pins in roles/*/defaults.

Each chart is the project's own minimal chart (tests/charts/_common/: a Deployment with
probes and resources, a Service, and a ConfigMap echoing the values it got),
named and versioned like the upstream chart a role pins, so the integration test can install
the whole platform from a local directory. One chart also gets a second, newer version
(<chart>-<version>/) to prove an upgrade through a version bump.

    python3 tools/test_charts.py            # rewrite tests/charts/
"""
import shutil
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CHARTS = ROOT / "tests" / "charts"
UPGRADE = ("valkey", "3.0.32")  # the chart and the newer version used by the upgrade test


def defaults(role):
    return yaml.safe_load((ROOT / "roles" / role / "defaults" / "main.yml").read_text())


def pins():
    """Return {chart name: version} for every chart a role installs."""
    out = {}
    for role in ("cilium", "cert_manager", "kyverno", "redpanda", "postgresql", "redis", "llm_gateway", "harbor"):
        d = defaults(role)
        out[d[f"{role}_chart_name"]] = str(d[f"{role}_chart_version"])
    for chart in ("base", "istiod", "gateway"):
        out[chart] = str(defaults("istio")["istio_chart_version"])
    out.update({k: str(v) for k, v in defaults("observability")["observability_chart_versions"].items()})
    return out


def write(folder, name, version):
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "templates").mkdir(parents=True)
    chart = {"apiVersion": "v2", "name": name, "version": version, "appVersion": version, "type": "application",
             "description": f"openova.platform test stand-in for the {name} chart (no upstream code)"}
    (folder / "Chart.yaml").write_text(yaml.safe_dump(chart, sort_keys=False))
    (folder / "values.yaml").write_text("---\n# Values come from the role under test.\n{}\n")
    for template in sorted((CHARTS / "_common").glob("*.yaml")):
        shutil.copy(template, folder / "templates" / template.name)


def main():
    for name, version in sorted(pins().items()):
        write(CHARTS / name, name, version)
        print(f"{name} {version}")
    name, version = UPGRADE
    write(CHARTS / f"{name}-{version}", name, version)
    print(f"{name} {version} (upgrade)")


if __name__ == "__main__":
    main()
