"""The real opentelemetry-collector chart 0.139.1 (../shared/charts) with the values the
observability role renders: the collector's ConfigMap holds exactly the rendered base
configuration (nothing of the chart's default config or presets merged in), and the DaemonSet
runs the routing file as a second --config with its reloader sidecar. `helm template` only; no
cluster is needed; helm is the pinned one from tools/toolchain.py."""

import json
import subprocess
import sys

import yaml

from .rendering import REPO, render

sys.path.insert(0, str(REPO / "tools"))
import toolchain  # noqa: E402

CHART = REPO.parent / "shared" / "charts" / "opentelemetry-collector-0.139.1.tgz"


def test_chart_renders_the_role_values_verbatim(tmp_path):
    from ansible_collections.openova.platform.plugins.module_utils.observability import collector

    helm = toolchain.ensure(["helm"])["helm"]  # built by the build stage; tools/test.sh unit builds it too
    values = render("observability", "{{ _observability_values.otel }}")
    (tmp_path / "values.json").write_text(json.dumps(values))
    out = subprocess.run([str(helm), "template", "otel", str(CHART), "-n", "openova-observability",
                          "-f", str(tmp_path / "values.json")], capture_output=True, text=True, check=True).stdout
    docs = [d for d in yaml.safe_load_all(out) if d]
    cm = next(d for d in docs if d["kind"] == "ConfigMap")
    settings = render("observability", "{{ _observability_collector_settings }}")
    assert yaml.safe_load(cm["data"]["relay"]) == collector.render_base_config(settings)
    ds = next(d for d in docs if d["kind"] == "DaemonSet")
    pod = ds["spec"]["template"]["spec"]
    assert pod["shareProcessNamespace"] is True
    main, reloader = pod["containers"]
    assert main["args"] == ["--config=/conf/relay.yaml", "--config=/conf/routing/routing.yaml"]
    assert {"name": "K8S_NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}} in main["env"]
    assert {"name": "otel-routing", "mountPath": "/conf/routing", "readOnly": True} in main["volumeMounts"]
    assert reloader["name"] == "routing-reloader" and reloader["command"][:2] == ["sh", "-c"]
    assert {"name": "otel-routing", "configMap": {"name": "otel-routing"}} in pod["volumes"]
    rules = next(d for d in docs if d["kind"] == "ClusterRole")["rules"]
    assert {"apiGroups": [""], "resources": ["pods", "namespaces"], "verbs": ["get", "list", "watch"]} in rules
