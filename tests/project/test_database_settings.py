"""DATABASE_POOLER and DATABASE_IAM_AUTH: the connection settings behind a proxy or a pool."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from gatewayproject.settings.base import configure_database
from tests.project.test_settings import PRODUCTION_ENV, run

POSTGRES = "django.db.backends.postgresql"
SQLITE = "django.db.backends.sqlite3"


def configured(monkeypatch: pytest.MonkeyPatch, engine: str = POSTGRES, **env: str) -> Any:
    for name in ("DATABASE_POOLER", "DATABASE_CONN_MAX_AGE", "DATABASE_POOL_MAX_SIZE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return configure_database({"ENGINE": engine, "NAME": "app", "OPTIONS": {}})


def test_direct_connections_are_persistent_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    database = configured(monkeypatch)

    assert database["CONN_MAX_AGE"] == 60
    assert database["CONN_HEALTH_CHECKS"] is True
    assert "pool" not in database["OPTIONS"]
    assert not database.get("DISABLE_SERVER_SIDE_CURSORS")


def test_behind_a_proxy_nothing_pins_or_outlives_a_transaction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    database = configured(monkeypatch, DATABASE_POOLER="proxy", DATABASE_CONN_MAX_AGE="600")

    assert database["OPTIONS"]["prepare_threshold"] is None
    assert database["DISABLE_SERVER_SIDE_CURSORS"] is True
    # The client connection to the proxy stays open across warm invocations.
    assert database["CONN_MAX_AGE"] == 600


@pytest.mark.parametrize(
    "options", [{"prepare_threshold": 5}, {"server_side_binding": True}], ids=str
)
def test_a_proxy_refuses_prepared_statements(
    monkeypatch: pytest.MonkeyPatch, options: dict[str, Any]
) -> None:
    monkeypatch.setenv("DATABASE_POOLER", "proxy")

    with pytest.raises(ImproperlyConfigured, match="without prepared statements"):
        configure_database({"ENGINE": POSTGRES, "OPTIONS": dict(options)})


def test_the_psycopg_pool_replaces_persistent_connections(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    database = configured(
        monkeypatch,
        DATABASE_POOLER="psycopg",
        DATABASE_CONN_MAX_AGE="60",
        DATABASE_POOL_MAX_SIZE="8",
    )

    # Django refuses a pool with persistent connections ("Pooling doesn't support ...").
    assert database["CONN_MAX_AGE"] == 0
    assert database["OPTIONS"]["pool"] == {"min_size": 1, "max_size": 8, "timeout": 10.0}


def test_an_unknown_pooler_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ImproperlyConfigured, match="DATABASE_POOLER must be one of"):
        configured(monkeypatch, DATABASE_POOLER="pgbouncer")


def test_an_unknown_pooler_is_refused_on_sqlite_too(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ImproperlyConfigured, match="DATABASE_POOLER must be one of"):
        configured(monkeypatch, SQLITE, DATABASE_POOLER="pgbouncer")


def test_sqlite_ignores_the_pooler(monkeypatch: pytest.MonkeyPatch) -> None:
    database = configured(monkeypatch, SQLITE, DATABASE_POOLER="proxy")

    assert "prepare_threshold" not in database["OPTIONS"]
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


IAM_ENV = PRODUCTION_ENV | {
    "DATABASE_URL": "postgres://app@proxy.example.internal:5432/app?sslmode=require",
    "DATABASE_IAM_AUTH": "true",
    "DATABASE_POOLER": "proxy",
}
SHOW_DATABASE = (
    "import json; from django.conf import settings as s; d = s.DATABASES['default'];"
    "print(json.dumps({k: d[k] for k in ('ENGINE', 'PASSWORD', 'OPTIONS',"
    " 'DISABLE_SERVER_SIDE_CURSORS')}))"
)


def test_production_signs_in_to_the_proxy_with_iam() -> None:
    result = run(["-c", SHOW_DATABASE], IAM_ENV)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "ENGINE": "lambda_runtime.postgresql_iam",
        "PASSWORD": "",
        "OPTIONS": {"sslmode": "require", "prepare_threshold": None, "connect_timeout": 3},
        "DISABLE_SERVER_SIDE_CURSORS": True,
    }


@pytest.mark.parametrize(
    "extra",
    [
        {"DATABASE_PASSWORD": "a-password-as-well"},
        {"DATABASE_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db"},
    ],
    ids=["password", "secret"],
)
def test_iam_auth_refuses_a_password_as_well(extra: dict[str, str]) -> None:
    result = run(["-c", SHOW_DATABASE], IAM_ENV | extra)

    assert result.returncode != 0
    assert "DATABASE_IAM_AUTH signs in with a token" in result.stderr


def test_iam_auth_needs_postgresql() -> None:
    result = run(["-c", SHOW_DATABASE], IAM_ENV | {"DATABASE_URL": "sqlite:////tmp/x.sqlite3"})

    assert result.returncode != 0
    assert "DATABASE_IAM_AUTH needs a postgres:// DATABASE_URL" in result.stderr


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_psycopg_pool_serves_connections_on_postgresql(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """DATABASE_POOLER=psycopg against the real server: a connection comes from the pool and
    goes back to it when Django closes it (the container's threaded workers)."""
    from django.db import connection as default
    from django.db.utils import ConnectionHandler

    if default.vendor != "postgresql":
        pytest.skip("runs on PostgreSQL (make test-postgres / PG_URL)")
    monkeypatch.setenv("DATABASE_POOLER", "psycopg")
    monkeypatch.setenv("DATABASE_POOL_MAX_SIZE", "2")
    source = default.settings_dict
    database = configure_database(
        {key: source[key] for key in ("ENGINE", "NAME", "USER", "HOST", "PORT", "PASSWORD")}
        | {"OPTIONS": {}}
    )
    pooled = ConnectionHandler({"default": database})["default"]
    try:
        backends = set()
        for _ in range(3):
            with pooled.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                backends.add(cursor.fetchone()[0])
            pooled.close()  # back to the pool, not closed
        assert pooled.pool is not None
        stats = pooled.pool.get_stats()
        assert stats["requests_num"] == 3  # each request borrowed from the pool
        assert stats["pool_max"] == 2
        assert len(backends) <= 2  # reused, never more than the pool holds
    finally:
        pooled.close_pool()
