"""The offline checker (plugins/module_utils/guardrails/check.py): loading, defaulting,
findings and summary, through the module entry point (run.py). Plain values in, result dict out."""

import copy

import pytest

from ansible_collections.openova.platform.plugins.module_utils.errors import SpecError
from ansible_collections.openova.platform.plugins.module_utils.guardrails import check
from ansible_collections.openova.platform.plugins.module_utils.guardrails import run as guardrails_run
from ansible_collections.openova.platform.plugins.module_utils.guardrails.rules import RULE_IDS

CONTAINER = {
    "name": "app", "image": "harbor.openova.io/acme/app:1",
    "resources": {"requests": {"cpu": "1", "memory": "1Mi"}, "limits": {"cpu": "1", "memory": "1Mi"}},
    "livenessProbe": {"tcpSocket": {"port": 1}}, "readinessProbe": {"tcpSocket": {"port": 1}},
    "securityContext": {"runAsNonRoot": True, "readOnlyRootFilesystem": True},
}


def deployment(name="web", replicas=1, containers=None, **pod):
    spec = {"containers": containers or [copy.deepcopy(CONTAINER)],
            "topologySpreadConstraints": [{"topologyKey": "kubernetes.io/hostname", "maxSkew": 1}]}
    spec.update(pod)
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "acme-dev"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": spec}}}


def run(**params):
    base = {"tenant": "acme", "report_only": False}
    base.update(params)
    return guardrails_run.run_workload_check(base)


def test_compliant_deployment_passes_every_rule():
    result = run(definitions=[deployment()])
    assert "failed" not in result
    assert result["changed"] is False
    assert sorted(f["rule"] for f in result["findings"]) == sorted(RULE_IDS)
    pdb = [f for f in result["findings"] if f["rule"] == "require-pdb"][0]
    assert pdb["result"] == "skip"
    assert result["summary"]["objects"] == 1 and result["summary"]["failed"] == 0


def test_a_failing_rule_names_rule_message_and_field_path():
    c2 = dict(copy.deepcopy(CONTAINER), name="side")
    del c2["readinessProbe"]
    result = run(definitions=[deployment(containers=[copy.deepcopy(CONTAINER), c2])])
    assert result["failed"] is True
    bad = [f for f in result["findings"] if f["result"] == "fail"]
    assert [f["rule"] for f in bad] == ["require-probes"]
    assert bad[0]["path"] == "spec.template.spec.containers[1].readinessProbe"
    assert bad[0]["message"].startswith("require-probes:") and "readinessProbe" in bad[0]["message"]
    assert result["summary"]["failed"] == 1
    assert "Deployment/web require-probes" in result["msg"]


def test_report_only_does_not_fail():
    result = run(definitions=[deployment(hostNetwork=True)], report_only=True)
    assert "failed" not in result
    assert result["summary"]["findings_failed"] == 1


@pytest.mark.parametrize("mode, with_pdb, outcome", [
    ("validate", False, "fail"), ("validate", True, "pass"),
    ("generate", False, "pass"), ("generate", True, "skip"),
])
def test_pdb_modes_use_pdbs_from_the_same_manifest_set(mode, with_pdb, outcome):
    docs = [deployment(replicas=3)]
    if with_pdb:
        docs.append({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                     "metadata": {"name": "web", "namespace": "acme-dev"},
                     "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}}})
    result = run(definitions=docs, pdb_mode=mode, report_only=True)
    assert [f["result"] for f in result["findings"] if f["rule"] == "require-pdb"] == [outcome]


def test_defaults_are_applied_and_reported_like_the_mutate_policy():
    result = run(definitions=[deployment()])
    paths = result["defaults_applied"][0]["paths"]
    assert "spec.template.spec.securityContext.seccompProfile" in paths
    assert "spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation" in paths
    assert "spec.template.spec.containers[0].securityContext.capabilities.drop" in paths


def test_input_object_is_not_modified():
    obj = deployment()
    before = copy.deepcopy(obj)
    run(definitions=[obj])
    assert obj == before


HELM_OUTPUT = """---
# Source: chart/templates/cm.yaml
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: acme-dev}
---
# Source: chart/templates/empty.yaml
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: p, namespace: acme-dev}
  spec:
    containers: [{name: c, image: nginx}]
"""


def test_rendered_helm_output_lists_and_non_pod_objects(tmp_path):
    (tmp_path / "out.yaml").write_text(HELM_OUTPUT)
    result = run(src=str(tmp_path), report_only=True)
    assert [s["reason"] for s in result["skipped"]] == ["ConfigMap does not run pods; not checked"]
    assert {f["name"] for f in result["findings"]} == {"p"}
    assert result["summary"]["failed"] == 1


@pytest.mark.parametrize("text, reason", [
    ("- just\n- a list\n", "not a Kubernetes object"),
    ("apiVersion: v1\nmetadata: {name: x}\n", "no kind"),
    ("apiVersion: example.com/v1\nkind: Widget\n", "Widget does not run pods"),
    # kubectl ignores the tag too: an empty mapping, which has no kind
    ("!!python/object:os.system {}\n", "no kind"),
])
def test_objects_that_run_no_pods_are_skipped_with_a_reason(tmp_path, text, reason):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    result = run(src=str(path))
    assert "failed" not in result and result["errors"] == []
    assert len(result["skipped"]) == 1 and result["skipped"][0]["reason"].startswith(reason)


def test_broken_pod_spec_fails_cleanly():
    obj = deployment()
    obj["spec"]["template"]["spec"] = "oops"
    result = run(definitions=[obj], report_only=True)
    assert {f["result"] for f in result["findings"] if f["rule"] != "require-pdb"} == {"fail"}
    obj["spec"]["template"]["spec"] = {"containers": "oops"}
    assert run(definitions=[obj], report_only=True)["summary"]["objects"] == 1


def test_a_missing_src_fails_before_checking(tmp_path):
    with pytest.raises(SpecError) as err:
        run(src=[str(tmp_path / "nope.yaml")])
    assert "does not exist" in err.value.msg


def test_platform_namespace_is_exempt():
    obj = deployment(hostNetwork=True)
    obj["metadata"]["namespace"] = "kube-system"
    result = run(definitions=[obj])
    assert result["findings"] == [] and "platform namespace" in result["skipped"][0]["reason"]


def test_inline_yaml_strings_are_parsed():
    result = run(definitions=["apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: []}\n"],
                 report_only=True)
    assert result["summary"]["objects"] == 1


@pytest.mark.parametrize("params, field", [
    ({"tenant": None, "definitions": [{}]}, "tenant"),
    ({"src": None, "definitions": None}, "src"),
    ({"definitions": [{}], "pdb_mode": "strict"}, "pdb_mode"),
])
def test_bad_options_raise_one_spec_error(params, field):
    with pytest.raises(SpecError) as err:
        run(**params)
    assert field in [p[0] for p in err.value.problems]


def test_other_kinds_with_a_pod_template_are_judged_like_the_pods_they_create():
    rollout = deployment()
    rollout.update(apiVersion="argoproj.io/v1alpha1", kind="Rollout")
    rollout["spec"]["template"]["spec"]["hostPID"] = True
    result = run(definitions=[rollout], report_only=True)
    failed = [(f["rule"], f["path"]) for f in result["findings"] if f["result"] == "fail"]
    assert failed == [("disallow-host-access", "spec.template.spec.hostPID")]
    assert "require-pdb" not in [f["rule"] for f in result["findings"]]


def test_non_text_identity_fields_are_returned_as_text():
    result = run(definitions=["kind: Pod\nmetadata: {name: 2024-01-01, namespace: 7}\nspec: {containers: []}\n"],
                 report_only=True)
    assert {(f["name"], f["namespace"]) for f in result["findings"]} == {("2024-01-01", "7")}


def test_jobs_and_cronjobs_skip_probes_and_spread_but_keep_the_other_rules():
    bare = copy.deepcopy(CONTAINER)
    del bare["livenessProbe"], bare["readinessProbe"]
    template = {"metadata": {"labels": {"app": "batch"}},
                "spec": {"containers": [bare], "restartPolicy": "Never"}}
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "batch", "namespace": "acme-dev"},
           "spec": {"template": copy.deepcopy(template)}}
    cron = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly", "namespace": "acme-dev"},
            "spec": {"schedule": "0 1 * * *", "jobTemplate": {"spec": {"template": copy.deepcopy(template)}}}}
    result = run(definitions=[job, cron])
    assert "failed" not in result, result["msg"]
    for name in ("batch", "nightly"):
        verdicts = {f["rule"]: f["result"] for f in result["findings"] if f["name"] == name}
        assert verdicts["require-probes"] == verdicts["require-topology-spread"] == "skip"
        assert "require-pdb" not in verdicts
        assert {verdicts[r] for r in verdicts if r not in ("require-probes", "require-topology-spread")} == {"pass"}
    # Requests and limits, the security context and the registry still apply to them.
    broken = copy.deepcopy(job)
    container = broken["spec"]["template"]["spec"]["containers"][0]
    del container["resources"]["limits"], container["securityContext"]["readOnlyRootFilesystem"]
    container["image"] = "docker.io/library/busybox:1"
    failed = sorted(f["rule"] for f in run(definitions=[broken], report_only=True)["findings"]
                    if f["result"] == "fail")
    assert failed == ["require-requests-limits", "require-security-context", "restrict-image-registries"]


def test_a_pod_without_limits_is_left_to_the_limit_range_and_a_privileged_container_keeps_no_default():
    pod_container = copy.deepcopy(CONTAINER)
    del pod_container["resources"]["limits"]
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "acme-dev"},
           "spec": {"containers": [pod_container],
                    "topologySpreadConstraints": [{"topologyKey": "kubernetes.io/hostname", "maxSkew": 1}]}}
    verdicts = {f["rule"]: f for f in run(definitions=[pod], report_only=True)["findings"]}
    assert verdicts["require-requests-limits"]["result"] == "skip"
    assert "LimitRange" in verdicts["require-requests-limits"]["message"]
    spec = {"containers": [{"name": "a", "securityContext": {"privileged": True}}, {"name": "b"}]}
    check.apply_defaults(spec, "spec")
    assert "allowPrivilegeEscalation" not in spec["containers"][0]["securityContext"]
    assert spec["containers"][0]["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert spec["containers"][1]["securityContext"]["allowPrivilegeEscalation"] is False
