"""ServiceApi against a real HTTP server on 127.0.0.1 (the Harbor stand-in):
statuses, error messages, the request log, and what happens when nothing
answers. The service-proxy path is exercised in tests/integration."""

import base64
import socket

import pytest

from ansible_collections.openova.platform.plugins.module_utils.errors import ConnectionFailed
from ansible_collections.openova.platform.plugins.module_utils.service_api import ServiceApi, ServiceError, error_text
from contract.openapi import Contract
from contract.specs import HARBOR_SWAGGER
from contract.standins import HarborStandIn


@pytest.fixture(scope="module")
def harbor():
    stand_in = HarborStandIn(Contract.load(HARBOR_SWAGGER), password="pw").start()
    yield stand_in
    stand_in.stop()


def api(url, password="pw"):
    token = base64.b64encode(("admin:%s" % password).encode()).decode()
    return ServiceApi("Harbor", base_path="/api/v2.0", url=url, headers={"Authorization": "Basic " + token})


def test_statuses_and_the_log(harbor):
    client = api(harbor.url)
    assert client.call("HEAD", "/projects", query={"project_name": "nope"}, ok=(200, 404)).status == 404
    with pytest.raises(ServiceError, match=r"Harbor GET /api/v2.0/robots/999 at http://127.0.0.1:\d+: answered "
                                           r"404: robot not found"):
        client.call("GET", "/robots/999")
    assert client.log == [("HEAD", "/api/v2.0/projects", 404), ("GET", "/api/v2.0/robots/999", 404)]
    assert harbor.violations == []


def test_wrong_credentials_say_so_without_echoing_them(harbor):
    with pytest.raises(ServiceError, match=r"rejected the credentials \(401\)") as err:
        api(harbor.url, password="wrong").call("GET", "/configurations")
    assert "wrong" not in str(err.value)


def test_a_request_the_definition_refuses_is_answered_400(harbor):
    with pytest.raises(ServiceError, match="storage_limit"):
        api(harbor.url).call("POST", "/projects", body={"project_name": "acme", "storage_limit": "20Gi"}, ok=(201,))
    assert any("storage_limit" in v for v in harbor.violations)
    harbor.violations.clear()


def test_nothing_listening():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ConnectionFailed, match="cannot reach http://127.0.0.1:%d" % port):
        api("http://127.0.0.1:%d" % port).call("GET", "/configurations")


def test_error_texts():
    assert error_text({"errors": [{"code": "X", "message": "m1"}, {"message": "m2"}]}) == "m1; m2"
    assert error_text({"detail": "nope"}) == "nope"
    assert error_text({"error": {"message": "budget exceeded"}}) == "budget exceeded"
    assert error_text(None, b"<html> bad   gateway </html>") == "<html> bad gateway </html>"
