"""Client construction and error mapping that need no API server."""

import json

import pytest

from ansible_collections.openova.platform.plugins.module_utils.client import Client, ResourceType, api_error
from ansible_collections.openova.platform.plugins.module_utils.errors import (
    ApiError,
    Conflict,
    ConnectionFailed,
    Forbidden,
)


def test_missing_kubeconfig_is_one_clear_line(tmp_path):
    with pytest.raises(ConnectionFailed, match="does not exist") as err:
        Client({"kubeconfig": str(tmp_path / "nope")})
    assert "\n" not in err.value.msg


def test_malformed_kubeconfig_is_one_clear_line(tmp_path):
    bad = tmp_path / "config"
    bad.write_text("apiVersion: v1\nclusters: [unclosed\n")
    with pytest.raises(ConnectionFailed, match="kubeconfig") as err:
        Client({"kubeconfig": str(bad)})
    assert "\n" not in err.value.msg


def test_kubeconfig_without_context_names_it(tmp_path):
    cfg = tmp_path / "config"
    cfg.write_text("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n")
    with pytest.raises(ConnectionFailed, match="context"):
        Client({"kubeconfig": str(cfg), "context": "missing"})


def test_resource_paths():
    pods = ResourceType("v1", "Pod", "pods", True, [])
    assert pods.path("p", "ns") == "/api/v1/namespaces/ns/pods/p"
    assert pods.path(namespace="ns") == "/api/v1/namespaces/ns/pods"
    crd = ResourceType("apiextensions.k8s.io/v1", "CustomResourceDefinition", "customresourcedefinitions", False, [])
    assert crd.path("x", "ignored") == "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/x"


def _status(code, reason, message, causes=None):
    return json.dumps({"kind": "Status", "code": code, "reason": reason, "message": message,
                       "details": {"causes": causes or []}})


def test_conflict_names_fields_and_manager():
    body = _status(409, "Conflict", "Apply failed with 1 conflict", [
        {"reason": "FieldManagerConflict", "message": 'conflict with "kubectl-edit" using v1',
         "field": ".data.k"}])
    err = api_error(409, "Conflict", body, "PATCH", "/api/v1/namespaces/a/configmaps/c")
    assert isinstance(err, Conflict)
    assert ".data.k" in err.msg and "kubectl-edit" in err.msg and "force_conflicts" in err.msg


def test_invalid_lists_each_field():
    body = _status(422, "Invalid", "x is invalid", [
        {"reason": "FieldValueNotSupported", "message": 'Unsupported value: "STRICTT"', "field": "spec.mtls.mode"}])
    err = api_error(422, "Unprocessable Entity", body, "PATCH", "/apis/x")
    assert "spec.mtls.mode" in err.msg and "STRICTT" in err.msg


def test_forbidden_and_unauthorized():
    assert isinstance(api_error(403, "Forbidden", _status(403, "Forbidden", "user u cannot get pods"), "GET", "/"),
                      Forbidden)
    err = api_error(401, "Unauthorized", "", "GET", "/api")
    assert isinstance(err, ApiError) and "credentials" in err.msg
