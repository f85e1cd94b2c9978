"""Fixtures shared by every test: users, and API clients authenticated the default way."""

from __future__ import annotations

import functools
import pickle
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.urls import clear_script_prefix, set_urlconf
from rest_framework.test import APIClient

import localgateway.intrinsics
from apps.api_keys import lookup, refusals
from apps.common.events import DomainEvent, subscribe, unsubscribe
from tests import template_db
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
# Modules whose module-scoped fixtures start servers or processes (rungateway, gunicorn,
# runserver, redis-server, a production-settings interpreter). Under pytest-xdist each runs
# whole on one worker, before the single tests (`pytest_xdist_make_scheduler` below), so its
# fixtures start once per run, not once on every worker that drew one of its tests. None may
# use a transactional database: pytest-django runs those last because they empty every table
# (the plans the migrations made included), and going first they would do it under the
# tests that follow on the same worker.
SHARED_SERVER_MODULES = frozenset(
    {
        "tests/api_keys/test_redis_acl.py",
        "tests/lambda_runtime/test_handler.py",
        "tests/localgateway/test_rungateway.py",
        "tests/localgateway/test_stack.py",
        "tests/localgateway/test_upstream.py",
        "tests/project/test_chunked.py",
        "tests/project/test_container.py",
        "tests/realtime/test_live.py",
    }
)
ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    # A renamed module would silently drop out of the PostgreSQL leg: fail loudly instead.
    for name, modules in [
        ("BOTH_DATABASES_MODULES", BOTH_DATABASES_MODULES),
        ("SHARED_SERVER_MODULES", SHARED_SERVER_MODULES),
    ]:
        missing = sorted(m for m in modules if not (ROOT / m).is_file())
        if missing:
            raise pytest.UsageError(f"tests/conftest.py {name} names missing files: {missing}")
    # Under xdist, the test database is migrated once and cloned per worker (tests/template_db.py).
    if template_db.wanted(config):
        config.pluginmanager.register(template_db.TemplateController(config), "template-db")
    elif template_db.WORKERINPUT_KEY in getattr(config, "workerinput", {}):
        config.pluginmanager.register(template_db, "template-db")


@functools.cache
def _runs_on_both_databases(path: Path) -> bool:
    if path.name in BOTH_DATABASES_FILE_NAMES:
        return True
    if path.relative_to(ROOT).as_posix() in BOTH_DATABASES_MODULES:
        return True
    return "connection.vendor" in path.read_text(encoding="utf-8")


@pytest.fixture(autouse=True, scope="session")
def _each_template_parsed_once() -> Iterator[None]:
    """Each distinct template text is parsed once per test process.

    The gateway tests build their specs from `infra/template.yaml` (over 5,000 lines) in
    process dozens of times, and the SAM translator's parser (pure-Python PyYAML) takes
    about 0.3 s of CPU for it each time. The parse is a pure function of the text: its
    result is kept (pickled) and every caller gets a fresh copy, as a new parse would give.
    A text that fails to parse is not kept, so its error is raised every time.
    """
    parse = localgateway.intrinsics.yaml_parse
    parsed: dict[str, bytes] = {}

    def parse_once(text: Any) -> Any:
        if not isinstance(text, str):
            return parse(text)
        if text not in parsed:
            parsed[text] = pickle.dumps(parse(text))
        return pickle.loads(parsed[text])  # noqa: S301 (our own bytes)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(localgateway.intrinsics, "yaml_parse", parse_once)
        yield


@pytest.fixture(autouse=True, scope="session")
def _aws_models_loaded_once() -> Iterator[None]:
    """One botocore data loader per test process, shared by every boto3 session.

    moto resets boto3's default session and django-storages makes a session per storage, so
    nearly every test that reaches S3 or API Gateway made a new session, whose new loader
    read and parsed botocore's JSON models again (S3's alone is megabytes): most of the CPU
    of the photo and gateway-sync tests. A loader only reads those files and keeps what it
    read; all of one session's clients already share it.
    """
    import botocore.session
    from botocore.loaders import Loader, create_loader

    loaders: dict[str | None, Loader] = {}

    def shared_loader(search_path_string: str | None = None) -> Loader:
        if search_path_string not in loaders:
            loaders[search_path_string] = create_loader(search_path_string)
        return loaders[search_path_string]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.session, "create_loader", shared_loader)
        yield


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


def _transactional(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        return True
    fixtures = set(getattr(item, "fixturenames", ()))
    return bool(fixtures & {"transactional_db", "live_server", "django_db_reset_sequences"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _runs_on_both_databases(item.path):
            item.add_marker(pytest.mark.both_databases)
        if item.path.relative_to(ROOT).as_posix() in SHARED_SERVER_MODULES and _transactional(item):
            raise pytest.UsageError(
                f"{item.nodeid} uses a transactional database: its module cannot be in "
                "SHARED_SERVER_MODULES (tests/conftest.py), which xdist runs first"
            )


@pytest.hookimpl(optionalhook=True)  # without xdist (-p no:xdist) there is no such hook
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """With `-n` (xdist's default `--dist load`): every test on its own, as `load` does,
    except that each SHARED_SERVER_MODULES module goes to one worker whole. Those units are
    the longest, and xdist hands out the largest first, so they do not end the run last.
    (xdist's own `loadgroup` marks do not group under pytest 9: it renames items through an
    attribute pytest no longer reads.)"""
    if config.getoption("dist") != "load":
        return None  # an explicit --dist other than load is honoured as given
    from xdist.scheduler import LoadScopeScheduling

    class SharedServerScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if module in SHARED_SERVER_MODULES else nodeid

    return SharedServerScheduling(config, log)


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
