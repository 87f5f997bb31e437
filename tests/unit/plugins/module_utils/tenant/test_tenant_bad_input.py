"""The bad-input corpus: every spec here is something the API server would refuse
(or a platform rule forbids), and each must be refused before the first API
request, with the field named. The module never gets to write half a tenant.
The rules come from the Kubernetes API (names, quantities, annotations), the
Redpanda and CloudNativePG CRDs in ../shared/crds, and the platform's own bounds.
tests/integration/test_tenant_no_partial_writes.py runs a sample against the cluster."""

import copy
import io
import json
import sys

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.openova.platform.plugins.module_utils.client import Client
from ansible_collections.openova.platform.plugins.module_utils.errors import SpecError
from ansible_collections.openova.platform.plugins.module_utils.tenant import run

from bad_input_corpus import BASE, CORPUS, KUBECONFIG, params, tenant  # noqa: E402  (same folder)


class NoRequests:
    """Stands in for the connection pool: any request fails the test."""

    def request(self, *args, **kwargs):
        raise AssertionError("an API request was sent before the input was found bad: %r" % (args,))


def run_module_entry(module_params, tmp_path):
    """What the module does with these params: build the client (connection
    options), then run; no request may leave."""
    cfg = tmp_path / "kubeconfig"
    cfg.write_text(KUBECONFIG)
    connection = dict((k, module_params.pop(k)) for k in ("request_timeout", "retry_deadline") if k in module_params)
    client = Client(dict({"kubeconfig": str(cfg)}, **connection))
    client.api.rest_client.pool_manager = NoRequests()
    return run.run_tenant(module_params, client=client)


def test_the_corpus_is_large_enough():
    assert len(CORPUS) >= 60


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_bad_input_is_refused_before_any_request_naming_the_field(case, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    module_params, field = copy.deepcopy(CORPUS[case])
    with pytest.raises(SpecError) as err:
        run_module_entry(module_params, tmp_path)
    fields = [f for f, _m in err.value.problems]
    assert field in fields, "expected %r among %r" % (field, fields)
    assert field in err.value.msg


def test_a_good_spec_passes_validation_and_reaches_the_api(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    # The corpus' base spec is valid: the first thing it does is an API request.
    with pytest.raises(AssertionError, match="API request"):
        run_module_entry(params(), tmp_path)


def test_name_123_is_fine_without_postgres(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    spec = dict(tenant(name="123", namespaces=["123"]), topics=[], postgres={"enabled": False})
    with pytest.raises(AssertionError, match="API request"):
        run_module_entry(params(spec), tmp_path)


def test_wide_egress_with_a_platform_allowance_is_accepted(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    spec = tenant(network={"egress_cidrs": ["0.0.0.0/0", "10.1.0.0/16"]})
    with pytest.raises(AssertionError, match="API request"):
        run_module_entry(params(spec, platform={"allowed_egress_cidrs": ["0.0.0.0/0"]}), tmp_path)


@pytest.mark.parametrize("args, field", [
    ({"tenants": ["acme"]}, "tenants[0]"),
    ({"tenants": [{"name": "acme", "owners": "acme-admins"}]}, "tenants[0] (acme).owners"),
    ({"tenants": [dict(BASE, quota={"pods": "1e100"})]}, "tenants[0] (acme).quota.pods"),
])
def test_the_module_names_the_field_where_ansible_says_dictionary_requested(
        args, field, tmp_path, monkeypatch, capsys):
    from ansible_collections.openova.platform.plugins.modules import tenant as module

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    cfg = tmp_path / "kubeconfig"
    cfg.write_text(KUBECONFIG)  # a server nothing listens on: validation must fail first
    with patch_module_args(dict(args, kubeconfig=str(cfg), retry_deadline=0)):
        with pytest.raises(SystemExit):
            module.main()
    result = json.loads(capsys.readouterr().out)
    assert result["failed"] is True
    assert field in result["msg"], result["msg"]
    assert "dictionary requested" not in result["msg"]
