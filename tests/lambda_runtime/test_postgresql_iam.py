"""The IAM-token PostgreSQL backend: a fresh signed token per connection, TLS required."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.utils import ConnectionHandler
from moto import mock_aws

from lambda_runtime.postgresql_iam import base as iam


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Dummy credentials and a region; moto guarantees nothing reaches AWS."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    iam._rds_client.cache_clear()
    with mock_aws():
        yield
    iam._rds_client.cache_clear()


def wrapper(**options: Any) -> Any:
    handler = ConnectionHandler(
        {
            "default": {
                "ENGINE": "lambda_runtime.postgresql_iam",
                "NAME": "app",
                "USER": "app",
                "HOST": "example.proxy-abc.eu-west-1.rds.amazonaws.com",
                "PORT": 5432,
                "OPTIONS": options,
            }
        }
    )
    return handler["default"]


def test_the_password_is_a_signed_connect_token(aws: None) -> None:
    params = wrapper(sslmode="require").get_connection_params()

    token = params["password"]
    assert token.startswith("example.proxy-abc.eu-west-1.rds.amazonaws.com:5432/?")
    query = parse_qs(urlsplit("https://" + token).query)
    assert query["Action"] == ["connect"]
    assert query["DBUser"] == ["app"]
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert "/eu-west-1/rds-db/aws4_request" in query["X-Amz-Credential"][0]
    assert query["X-Amz-Expires"] == ["900"]
    assert query["X-Amz-Signature"][0]


def test_each_connection_gets_its_own_token(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(iam, "auth_token", lambda **kwargs: calls.append(kwargs) or "t")
    connection = wrapper(sslmode="verify-full")

    connection.get_connection_params()
    connection.get_connection_params()

    host = "example.proxy-abc.eu-west-1.rds.amazonaws.com"
    assert calls == [{"host": host, "port": 5432, "user": "app"}] * 2


@pytest.mark.parametrize("options", [{}, {"sslmode": "prefer"}, {"sslmode": "disable"}], ids=str)
def test_a_connection_without_tls_is_refused(aws: None, options: dict[str, str]) -> None:
    with pytest.raises(ImproperlyConfigured, match="needs TLS"):
        wrapper(**options).get_connection_params()


def test_a_region_is_needed(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)

    with pytest.raises(ImproperlyConfigured, match="needs AWS_REGION"):
        wrapper(sslmode="require").get_connection_params()
