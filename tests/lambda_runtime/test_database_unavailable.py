"""The Lambda handler answers a JSON 503 with Retry-After when the database is unavailable."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.db import OperationalError

from tests.lambda_runtime import events
from tests.lambda_runtime.conftest import Invoke, body_json

# Fault suite (docs/hardening.md): runs on SQLite and in the PostgreSQL leg.
pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]

SERVICE_UNAVAILABLE = {"message": "Service Unavailable"}


def _refuse(*args: object, **kwargs: object) -> None:
    raise OperationalError("connection refused")


def test_the_lambda_handler_answers_503(
    invoke: Invoke,
    auth_headers: Callable[[AbstractBaseUser], dict[str, str]],
    user: AbstractBaseUser,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    headers = auth_headers(user)
    monkeypatch.setattr(
        "django.db.backends.base.base.BaseDatabaseWrapper.ensure_connection",
        _refuse,
    )

    result = invoke(events.http_api(path="/v1/pets", headers=headers))

    assert result["statusCode"] == 503
    assert body_json(result) == SERVICE_UNAVAILABLE
    assert result["headers"]["retry-after"] == "5"


def test_the_lambda_adapter_turns_a_late_database_error_into_a_503(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One raised after Django made its response (closing the request's connection)."""

    def fail(*args: object) -> None:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("lambda_runtime.adapter.call_application", fail)

    result = invoke(events.alb(path="/health"))

    assert result["statusCode"] == 503
    assert body_json(result) == SERVICE_UNAVAILABLE
    assert result["multiValueHeaders"]["retry-after"] == ["5"]
    assert result["statusDescription"] == "503 Service Unavailable"
