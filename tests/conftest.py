"""Fixtures shared by every test: users, and API clients authenticated the default way."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.urls import clear_script_prefix, set_urlconf
from rest_framework.test import APIClient

from apps.api_keys import lookup, refusals
from apps.common.events import DomainEvent, subscribe, unsubscribe
from tests.api_keys.factories import APIKeyFactory
from tests.factories import UserFactory

# The PostgreSQL leg (`make test-postgres`: pytest -m "both_databases or postgres") runs what
# can behave differently on the two databases, not the whole suite a second time: every
# app's models, queries, services, selectors, admin, migrations and API suites (by file
# name), the modules below (row locks, conditional updates and unique-key races, counters,
# the key lookup's SQL, commit hooks, database timeouts), every module that reads
# `connection.vendor`, and any module that sets `pytestmark = pytest.mark.both_databases`
# itself. See docs/testing.md.
BOTH_DATABASES_FILE_NAMES = frozenset(
    {
        "test_api.py",
        "test_views.py",
        "test_models.py",
        "test_queries.py",
        "test_selectors.py",
        "test_services.py",
        "test_admin.py",
        "test_concurrency.py",
        "test_migrations.py",
    }
)
BOTH_DATABASES_MODULES = frozenset(
    {
        "tests/api_keys/test_counters.py",
        "tests/api_keys/test_lookup.py",
        "tests/api_keys/test_throttling.py",
        "tests/common/test_events.py",
        "tests/idempotency/test_stores.py",
        "tests/identity/test_authentication.py",
        "tests/identity/test_metering.py",
        "tests/photos/test_notifications.py",
        "tests/pets/test_conditional.py",
        "tests/photos/test_uploads.py",
        "tests/project/test_database_timeouts.py",
    }
)
ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    # A renamed module would silently drop out of the PostgreSQL leg: fail loudly instead.
    missing = sorted(m for m in BOTH_DATABASES_MODULES if not (ROOT / m).is_file())
    if missing:
        raise pytest.UsageError(
            f"tests/conftest.py BOTH_DATABASES_MODULES names missing files: {missing}"
        )


@functools.cache
def _runs_on_both_databases(path: Path) -> bool:
    if path.name in BOTH_DATABASES_FILE_NAMES:
        return True
    if path.relative_to(ROOT).as_posix() in BOTH_DATABASES_MODULES:
        return True
    return "connection.vendor" in path.read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def _default_url_prefix() -> Iterator[None]:
    """Every test starts with Django's default script prefix and URLconf.

    Both are thread-local and outlive a request: one through a real WSGI handler (the Lambda
    adapter under a stage) leaves the thread's prefix at /prod/, the test client never
    resets it, and a later test's reverse() would carry the stage.
    """
    yield
    clear_script_prefix()
    set_urlconf(None)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _runs_on_both_databases(item.path):
            item.add_marker(pytest.mark.both_databases)


@pytest.fixture(autouse=True)
def _no_kept_keys() -> Iterator[None]:
    """Each test starts with no API key kept from another (apps.api_keys.lookup), and no
    refusal counts held from another (apps.api_keys.refusals)."""
    lookup.forget()
    refusals.discard()
    yield
    lookup.forget()
    refusals.discard()


@pytest.fixture
def user() -> AbstractBaseUser:
    return UserFactory(username="alice")


@pytest.fixture
def other_user() -> AbstractBaseUser:
    return UserFactory(username="bob")


@pytest.fixture
def anon_client() -> APIClient:
    return APIClient()


@pytest.fixture
def auth_headers(db: None) -> Callable[[AbstractBaseUser], dict[str, str]]:
    """HTTP headers (lower-case names) that authenticate as `user` the way /v1 expects.

    Tests that build raw requests (Lambda events, the local gateway) use this, so they keep
    working when the default authentication scheme changes.
    """

    def make(user: AbstractBaseUser) -> dict[str, str]:
        # A fresh key on a roomy plan (UsagePlanFactory), so no test is throttled by accident.
        return {"x-api-key": APIKeyFactory(owner=user).raw_key}

    return make


@pytest.fixture
def client_for(
    auth_headers: Callable[[AbstractBaseUser], dict[str, str]],
) -> Callable[[AbstractBaseUser], APIClient]:
    """An API client that authenticates as `user` the way /v1 expects by default."""

    def make(user: AbstractBaseUser) -> APIClient:
        client = APIClient()
        meta = {
            "HTTP_" + name.upper().replace("-", "_"): value
            for name, value in auth_headers(user).items()
        }
        client.credentials(**meta)
        return client

    return make


@pytest.fixture
def api(client_for: Callable[[AbstractBaseUser], APIClient], user: AbstractBaseUser) -> APIClient:
    """A client for `user`."""
    return client_for(user)


@pytest.fixture
def published() -> Iterator[list[DomainEvent]]:
    """Every domain event delivered (after commit) while the test runs, in order."""
    received: list[DomainEvent] = []
    subscribe(received.append, dispatch_uid="tests.published")
    yield received
    unsubscribe(dispatch_uid="tests.published")
