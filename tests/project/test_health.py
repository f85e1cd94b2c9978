"""GET /health: a real database round trip, 503 when the database is unreachable."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.db import OperationalError
from django.test import Client

from tests.subprocesses import run_python


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/health", "/health/"])
def test_health_ok(path: str, django_assert_num_queries) -> None:
    with django_assert_num_queries(1):
        response = Client().get(path)

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_health_needs_no_authentication() -> None:
    response = Client().get("/health", HTTP_AUTHORIZATION="Basic bm9ib2R5Om5vcGU=")

    assert response.status_code == 200


@pytest.mark.django_db
def test_health_is_503_when_the_query_fails(monkeypatch: pytest.MonkeyPatch, caplog) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(
        "django.db.backends.base.base.BaseDatabaseWrapper.ensure_connection", refuse
    )

    response = Client().get("/health")

    assert response.status_code == 503
    assert response.json() == {"message": "Service Unavailable"}
    assert "database unreachable" in caplog.text


def test_health_is_503_against_a_real_unreachable_database(tmp_path: Path) -> None:
    """A separate interpreter whose DATABASE_URL points at a closed port."""
    script = (
        "import django; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/health');"
        "print(r.status_code, r.content.decode())"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gatewayproject.settings.local",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:1/unreachable",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DJANGO_LOG_LEVEL": "CRITICAL",
    }
    result = run_python(script, env=env, timeout=60)
    assert result.returncode == 0, result.stderr

    assert result.stdout.strip() == '503 {"message":"Service Unavailable"}'


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["10.0.3.7", "10.0.3.7:8000", None])
def test_health_answers_a_load_balancer_whatever_its_host(host: str | None) -> None:
    """An ALB probes a task by its private IP, and a Lambda target with no Host at all."""
    extra = {"HTTP_HOST": host} if host else {"SERVER_NAME": "mangum", "SERVER_PORT": "80"}
    client = Client()
    if host is None:
        client.defaults.pop("HTTP_HOST", None)

    response = client.get("/health", **extra)

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_other_paths_still_refuse_a_host_not_allowed() -> None:
    response = Client().get("/v1/openapi.json", HTTP_HOST="10.0.3.7")

    assert response.status_code == 400
    assert response.json() == {"message": "Bad Request"}


@pytest.mark.django_db
def test_health_is_json_for_a_browser_too() -> None:
    response = Client().get("/health", HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")

    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok"}
