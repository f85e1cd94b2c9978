"""Migrate the test database once per run, not once per pytest-xdist worker.

pytest-django gives every xdist worker its own test database and migrates each from zero:
with `-n 3`, the same migrations three times. With this plugin the xdist controller
creates and migrates one test database (the one a run without xdist would use) before the
workers start, and each worker clones it as its own (`test_<name>_gw0`, ...), the way
Django's parallel test runner does: `CREATE DATABASE ... TEMPLATE` on PostgreSQL, a file
copy on SQLite (`connection.creation.clone_test_db`). The migrations still run, on the
database the leg tests, once. The controller drops the template when the run ends; each
worker drops its clone, as pytest-django would.

`tests/conftest.py` registers it in the controller when xdist runs workers, and in each
worker the controller told about a template. Not with `--reuse-db`, `--no-migrations` or
`--collect-only`: pytest-django's own set-up handles those as it documents.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import pytest
from pytest_django.fixtures import _get_databases_for_setup
from pytest_django.plugin import DjangoDbBlocker, blocking_manager_key

WORKERINPUT_KEY = "template_databases"


def _postgresql(connection: Any, *statements: str) -> None:
    """Run CREATE/DROP DATABASE statements from the maintenance database, with no statement
    timeout: the test settings give every session the app's statement_timeout (10 s), which
    is for the app's queries; a copy or a drop (which waits for a checkpoint) may take longer
    on a machine running two suites."""
    connection.close()
    with connection.creation._nodb_cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")
        for statement in statements:
            cursor.execute(statement)


def _clone(connection: Any, template: str, suffix: str, verbosity: int) -> str:
    """Copy `template` as this worker's test database (its name plus `_<suffix>`)."""
    connection.settings_dict["NAME"] = template
    clone: str = connection.creation.get_test_db_clone_settings(suffix)["NAME"]
    if connection.vendor == "postgresql":
        quote = connection.ops.quote_name
        _postgresql(
            connection,
            f"DROP DATABASE IF EXISTS {quote(clone)}",  # left by a run that was killed
            f"CREATE DATABASE {quote(clone)} TEMPLATE {quote(template)}",
        )
    else:
        connection.creation.clone_test_db(suffix=suffix, verbosity=verbosity, keepdb=False)
    return clone


def _destroy(connection: Any, original_name: str, verbosity: int) -> None:
    """destroy_test_db; on PostgreSQL without the statement timeout, on SQLite with the WAL
    files a thread's connection may have left."""
    name = connection.settings_dict["NAME"]
    if connection.vendor == "postgresql":
        _postgresql(connection, f"DROP DATABASE IF EXISTS {connection.ops.quote_name(name)}")
        # What destroy_test_db does once the database is gone.
        from django.conf import settings

        settings.DATABASES[connection.alias]["NAME"] = original_name
        connection.settings_dict["NAME"] = original_name
        return
    connection.creation.destroy_test_db(original_name, verbosity=verbosity)
    if connection.vendor == "sqlite" and not connection.creation.is_in_memory_db(name):
        for leftover in (f"{name}-wal", f"{name}-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.remove(leftover)


def wanted(config: pytest.Config) -> bool:
    """Whether this is an xdist controller about to start workers that need databases."""
    if hasattr(config, "workerinput"):
        return False
    if not config.pluginmanager.hasplugin("xdist") or not config.getoption("numprocesses"):
        return False
    if config.getoption("dist") == "no" or config.getoption("collectonly"):
        return False
    return not (config.getoption("reuse_db") or config.getoption("nomigrations"))


class TemplateController:
    """In the xdist controller: make the migrated template, name it to every worker, drop it."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.templates: dict[str, str] = {}
        self.original_names: dict[str, str] = {}

    def _blocker(self) -> DjangoDbBlocker:
        return self.config.stash[blocking_manager_key]

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        # Before xdist's own pytest_sessionstart (trylast) starts the workers.
        from django.db import connections

        verbosity = self.config.option.verbose
        with self._blocker().unblock():
            for alias in connections:
                connection = connections[alias]
                self.original_names[alias] = connection.settings_dict["NAME"]
                connection.creation.create_test_db(
                    verbosity=verbosity, autoclobber=True, serialize=False, keepdb=False
                )
                self.templates[alias] = connection.settings_dict["NAME"]
                # A PostgreSQL template must have no session open while it is copied.
                connection.close()

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[WORKERINPUT_KEY] = dict(self.templates)

    @pytest.hookimpl(trylast=True)  # after xdist's pytest_sessionfinish stopped the workers
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        from django.db import connections

        with self._blocker().unblock():
            for alias, original in self.original_names.items():
                _destroy(connections[alias], original, self.config.option.verbose)


@pytest.fixture(scope="session")
def django_db_setup(
    request: pytest.FixtureRequest,
    django_test_environment: None,
    django_db_blocker: DjangoDbBlocker,
    django_db_modify_db_settings: None,
) -> Iterator[None]:
    """In an xdist worker: its test databases are clones of the controller's templates
    (replaces pytest-django's fixture, which would create and migrate each one)."""
    from django.conf import settings
    from django.db import connections

    workerinput = request.config.workerinput  # type: ignore[attr-defined]
    templates: dict[str, str] = workerinput[WORKERINPUT_KEY]
    suffix: str = workerinput["workerid"]
    verbosity = request.config.option.verbose
    aliases, serialized_aliases = _get_databases_for_setup(request.session.items)
    original_names: dict[str, str] = {}
    with django_db_blocker.unblock():
        for alias in sorted(aliases):
            connection = connections[alias]
            original_names[alias] = connection.settings_dict["NAME"]
            clone = _clone(connection, templates[alias], suffix, verbosity)
            settings.DATABASES[alias]["NAME"] = clone
            connection.settings_dict["NAME"] = clone
            connection.close()
            if alias in serialized_aliases:  # as create_test_db(serialize=True) would
                connection._test_serialized_contents = (  # type: ignore[attr-defined]
                    connection.creation.serialize_db_to_string()
                )
    yield
    with django_db_blocker.unblock():
        for alias, original in original_names.items():
            _destroy(connections[alias], original, verbosity)
