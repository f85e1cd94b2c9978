"""lambda_runtime.drivers: the PostgreSQL driver left out only of a Lambda init on SQLite."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings

from lambda_runtime.drivers import LEFT_OUT, leave_out_unused_postgresql_driver

SQLITE = {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
POSTGRESQL = {"ENGINE": "django.db.backends.postgresql", "NAME": "app"}


@pytest.fixture
def drivers_not_imported(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A process that has not imported psycopg yet, in a Lambda init; restored after."""
    saved = {name: sys.modules.pop(name) for name in LEFT_OUT if name in sys.modules}
    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
    try:
        yield
    finally:
        for name in LEFT_OUT:
            sys.modules.pop(name, None)
        sys.modules.update(saved)


def _left_out() -> list[str]:
    return [name for name in LEFT_OUT if name in sys.modules and not sys.modules[name]]


@pytest.mark.usefixtures("drivers_not_imported")
def test_on_sqlite_importing_the_driver_fails_as_if_not_installed() -> None:
    with override_settings(DATABASES={"default": SQLITE}):
        assert leave_out_unused_postgresql_driver() is True

    assert _left_out() == list(LEFT_OUT)
    with pytest.raises(ImportError):
        import psycopg  # noqa: F401
    # What DRF's compat imports: no PostgreSQL fields, and no error.
    with pytest.raises(ImportError):
        importlib.import_module("django.contrib.postgres.fields")


@pytest.mark.parametrize(
    "databases",
    [
        {"default": POSTGRESQL},
        {"default": SQLITE, "reports": POSTGRESQL},  # any PostgreSQL database needs it
        {"default": {"ENGINE": "django.contrib.gis.db.backends.postgis", "NAME": "app"}},
        {"default": {"ENGINE": "lambda_runtime.postgresql_iam", "NAME": "app"}},
    ],
)
@pytest.mark.usefixtures("drivers_not_imported")
def test_any_other_database_keeps_the_driver(databases: dict[str, Any]) -> None:
    with override_settings(DATABASES=databases):
        assert leave_out_unused_postgresql_driver() is False

    assert _left_out() == []


@pytest.mark.usefixtures("drivers_not_imported")
def test_outside_a_lambda_init_nothing_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_LAMBDA_INITIALIZATION_TYPE")
    with override_settings(DATABASES={"default": SQLITE}):
        assert leave_out_unused_postgresql_driver() is False

    assert _left_out() == []


def test_a_driver_already_imported_stays(monkeypatch: pytest.MonkeyPatch) -> None:
    import psycopg

    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
    with override_settings(DATABASES={"default": SQLITE}):
        assert leave_out_unused_postgresql_driver() is False

    assert sys.modules["psycopg"] is psycopg
