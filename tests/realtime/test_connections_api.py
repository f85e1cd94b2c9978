"""The Management API client: boto3 against moto, and API Gateway's error codes mapped."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber
from moto import mock_aws

from apps.realtime import connections_api

ENDPOINT = "https://abc123.execute-api.eu-west-1.amazonaws.com/prod"


@pytest.fixture(autouse=True)
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Dummy credentials and a region; moto answers, nothing leaves the machine."""
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setattr(connections_api, "_clients", {})
    with mock_aws():
        yield


def test_post_get_and_delete_through_boto3() -> None:
    from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends

    # Ids carry "=" and "_", which must be URL-encoded in the path.
    connections_api.post(ENDPOINT, "BFaT_fALIAMCKug=", b'{"type":"pong"}')

    backend = apigatewaymanagementapi_backends["123456789012"]["eu-west-1"]
    # moto keys connections by the path as sent: the "=" went out as %3D.
    assert backend.connections["BFaT_fALIAMCKug%3D"].data == b'{"type":"pong"}'
    assert connections_api.exists(ENDPOINT, "BFaT_fALIAMCKug=") is True
    assert connections_api.delete(ENDPOINT, "BFaT_fALIAMCKug=") is True


def test_one_client_per_endpoint() -> None:
    assert connections_api.client(ENDPOINT) is connections_api.client(ENDPOINT)
    assert connections_api.client(ENDPOINT) is not connections_api.client(ENDPOINT + "2")


def stub(operation: str, code: str, status: int) -> Stubber:
    stubber = Stubber(connections_api.client(ENDPOINT))
    stubber.add_client_error(operation, service_error_code=code, http_status_code=status)
    stubber.activate()
    return stubber


@pytest.mark.parametrize(
    ("operation", "call"),
    [
        ("post_to_connection", lambda: connections_api.post(ENDPOINT, "c", b"x")),
        ("delete_connection", lambda: connections_api.delete(ENDPOINT, "c")),
        ("get_connection", lambda: connections_api.exists(ENDPOINT, "c")),
    ],
)
def test_gone_is_410(operation: str, call: Any) -> None:
    stub(operation, "GoneException", 410)
    if operation == "post_to_connection":
        with pytest.raises(connections_api.GoneError):
            call()
    else:
        assert call() is False


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("LimitExceededException", 429),
        ("ForbiddenException", 403),
        ("PayloadTooLargeException", 413),
    ],
)
def test_other_errors_keep_their_code(code: str, status: int) -> None:
    stub("post_to_connection", code, status)

    with pytest.raises(connections_api.PushError) as raised:
        connections_api.post(ENDPOINT, "c", b"x")

    assert raised.value.code == code


def test_data_over_128_kib_is_refused_before_sending() -> None:
    with pytest.raises(connections_api.PushError) as raised:
        connections_api.post(ENDPOINT, "c", b"x" * (128 * 1024 + 1))

    assert raised.value.code == "PayloadTooLargeException"
