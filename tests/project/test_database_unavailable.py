"""A database that refuses connections is a JSON 503 with Retry-After on every front door:
Django's handler (runserver, gunicorn) and rungateway in front of the Lambda handler (the
handler itself: tests/lambda_runtime/test_database_unavailable.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.db import OperationalError
from django.test import Client

from apps.pets.models import Pet
from localgateway.integrations import ThreadInvoker
from localgateway.server import GatewayApp
from localgateway.spec import load_spec
from tests.localgateway.conftest import TEMPLATE

# Fault suite (docs/hardening.md): runs on SQLite and in the PostgreSQL leg.
pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]

SERVICE_UNAVAILABLE = {"message": "Service Unavailable"}


@pytest.fixture
def key(auth_headers: Callable[[AbstractBaseUser], dict[str, str]], user: AbstractBaseUser) -> str:
    return auth_headers(user)["x-api-key"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on every connection attempt is refused, as by a database that is down."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(
        "django.db.backends.base.base.BaseDatabaseWrapper.ensure_connection", refuse
    )


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/v1/pets", None),
        ("post", "/v1/pets", {"name": "Rex", "species": "dog"}),
        ("get", "/v1/usage", None),
        ("get", "/health", None),
    ],
)
def test_django_answers_503_with_retry_after(
    key: str, refused: None, method: str, path: str, body: dict[str, Any] | None
) -> None:
    response = getattr(Client(), method)(
        path, body, content_type="application/json", HTTP_X_API_KEY=key
    )

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == SERVICE_UNAVAILABLE
    assert response["Retry-After"] == "5"


def test_an_error_raised_outside_a_view_is_a_503_too(refused: None) -> None:
    """The admin is left to Django's handler500 (no JSON middleware): still a 503."""
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = "a" * 32  # Reading the session needs the database.

    response = client.get("/admin/")

    assert response.status_code == 503
    assert response.json() == SERVICE_UNAVAILABLE
    assert response["Retry-After"] == "5"


@pytest.mark.anyio
async def test_rungateway_passes_the_503_on(key: str, refused: None, settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    app = GatewayApp(
        load_spec(TEMPLATE), invoker=ThreadInvoker("lambda_runtime.handler.handler", 1)
    )
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:3000") as client:
        response = await client.post(
            "/prod/v1/pets", json={"name": "Rex", "species": "dog"}, headers={"x-api-key": key}
        )

    assert response.status_code == 503
    assert response.json() == SERVICE_UNAVAILABLE
    assert response.headers["retry-after"] == "5"


def test_nothing_is_written_and_the_next_request_works(
    key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"refuse": True}
    real = __import__(
        "django.db.backends.base.base", fromlist=["BaseDatabaseWrapper"]
    ).BaseDatabaseWrapper.ensure_connection

    def flaky(self: Any) -> None:
        if calls["refuse"]:
            raise OperationalError("connection refused")
        real(self)

    monkeypatch.setattr("django.db.backends.base.base.BaseDatabaseWrapper.ensure_connection", flaky)
    body = {"name": "Rex", "species": "dog"}

    down = Client().post("/v1/pets", body, content_type="application/json", HTTP_X_API_KEY=key)
    calls["refuse"] = False
    up = Client().post("/v1/pets", body, content_type="application/json", HTTP_X_API_KEY=key)

    assert down.status_code == 503
    assert up.status_code == 201
    assert Pet.objects.count() == 1
