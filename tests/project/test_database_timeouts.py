"""A database that stops answering never hangs a request: timeouts, a deadline, and a JSON 503.

The silent-server tests run a fresh interpreter (the local settings, as `runserver` and the
container build them) against a server that accepts TCP and never replies; the deadline
tests interrupt real blocked calls on the test database.
"""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError, connection
from django.test import Client

from apps.common.deadlines import Watchdog, deadline, watchdog
from gatewayproject.settings import base
from tests.faults import silent_server
from tests.subprocesses import run_python

POSTGRES = "django.db.backends.postgresql"

REQUEST_SCRIPT = """
import json, sys, time, django
django.setup()
from django.test import Client
path, headers = sys.argv[1], json.loads(sys.argv[2])
started = time.monotonic()
response = Client().get(path, **headers)
print(json.dumps({
    "status": response.status_code,
    "body": response.content.decode(),
    "retry_after": response.get("Retry-After"),
    "seconds": time.monotonic() - started,
}))
"""


def _against_silent_server(path: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    with silent_server() as server:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "gatewayproject.settings.local",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{server.port}/silent",
            "DJANGO_ALLOWED_HOSTS": "testserver",
            "DJANGO_LOG_LEVEL": "CRITICAL",
        }
        script = f"import sys; sys.argv[1:] = {[path, json.dumps(headers or {})]!r}\n"
        # Generous: only a hang (the behaviour before the timeouts) runs into it.
        result = run_python(script + REQUEST_SCRIPT, env=env, timeout=120)
        accepted = len(server.accepted)
    assert result.returncode == 0, result.stderr
    outcome: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    outcome["accepted"] = accepted
    return outcome


def test_health_is_503_not_a_hang_when_the_database_never_replies() -> None:
    outcome = _against_silent_server("/health")

    assert outcome["accepted"] >= 1  # It did reach the silent server.
    assert outcome["status"] == 503
    assert outcome["body"] == '{"message":"Service Unavailable"}'
    assert outcome["retry_after"] == "5"
    # The 3 s connect timeout answered, not the 120 s a hang runs into; the bound is loose
    # because a busy machine stretches the 3 s (it is the order that matters, not speed).
    assert outcome["seconds"] < 60


def test_an_api_request_is_a_json_503_when_the_database_never_replies() -> None:
    outcome = _against_silent_server("/v1/pets", {"HTTP_X_API_KEY": "abcdefgh.secret"})

    assert outcome["status"] == 503
    assert outcome["body"] == '{"message":"Service Unavailable"}'
    assert outcome["retry_after"] == "5"


# --- Settings ---------------------------------------------------------------------------


def _configured(monkeypatch: pytest.MonkeyPatch, pooler: str = "none", **env: str) -> Any:
    for name in ("DATABASE_CONNECT_TIMEOUT", "DATABASE_STATEMENT_TIMEOUT", "DATABASE_POOLER"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(base, "DATABASE_TIMEOUTS", base.database_timeouts())
    monkeypatch.setenv("DATABASE_POOLER", pooler)
    return base.configure_database({"ENGINE": POSTGRES, "NAME": "app", "OPTIONS": {}})


def test_postgresql_gets_connect_and_statement_timeouts_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    options = _configured(monkeypatch)["OPTIONS"]

    assert options["connect_timeout"] == 3
    assert options["options"] == "-c statement_timeout=10000"


def test_the_timeouts_are_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    options = _configured(
        monkeypatch, DATABASE_CONNECT_TIMEOUT="7", DATABASE_STATEMENT_TIMEOUT="2.5"
    )["OPTIONS"]

    assert options["connect_timeout"] == 7
    assert options["options"] == "-c statement_timeout=2500"


def test_zero_turns_a_timeout_off(monkeypatch: pytest.MonkeyPatch) -> None:
    options = _configured(
        monkeypatch, DATABASE_CONNECT_TIMEOUT="0", DATABASE_STATEMENT_TIMEOUT="0"
    )["OPTIONS"]

    assert "connect_timeout" not in options
    assert "options" not in options


def test_a_transaction_pooler_gets_no_startup_options(monkeypatch: pytest.MonkeyPatch) -> None:
    """PgBouncer refuses the `options` startup parameter; RDS Proxy sets it in InitQuery."""
    options = _configured(monkeypatch, pooler="proxy")["OPTIONS"]

    assert options["connect_timeout"] == 3
    assert "options" not in options


@pytest.mark.parametrize("value", ["-1", "30", "45", "soon"])
def test_a_timeout_at_or_past_api_gateways_is_refused(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("DATABASE_REQUEST_TIMEOUT", value)

    with pytest.raises((ImproperlyConfigured, ValueError)):
        base.database_timeouts()


def test_the_defaults_fit_inside_the_lambda_and_gateway_timeouts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("CONNECT", "STATEMENT", "REQUEST"):
        monkeypatch.delenv(f"DATABASE_{name}_TIMEOUT", raising=False)
    defaults = base.database_timeouts()
    lambda_timeout, gateway_timeout = 25, 30  # infra/template.yaml Globals; API Gateway's limit

    for seconds in defaults.values():
        assert 0 < seconds < lambda_timeout < gateway_timeout
    # The server's own cancel (a clean error) comes before the watchdog's.
    assert defaults["STATEMENT"] < defaults["REQUEST"]


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_sessions_run_with_the_statement_timeout() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "10s"


# --- The deadline -------------------------------------------------------------------------


def _blocking_query() -> str:
    if connection.vendor == "postgresql":
        return "SELECT pg_sleep(60)"
    # SQLite: an endless recursive query (no sleep function), interruptible like any other.
    return "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT max(i) FROM n"


@pytest.fixture
def quick_watchdog(monkeypatch: pytest.MonkeyPatch) -> Watchdog:
    fast = Watchdog(interval=0.02)
    monkeypatch.setattr("apps.common.deadlines.watchdog", fast)
    return fast


@pytest.mark.django_db(transaction=True)
def test_a_deadline_interrupts_a_call_that_would_block_for_a_minute(
    quick_watchdog: Watchdog,
) -> None:
    backend = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 0")  # Only the deadline can end it.
        backend = connection.connection.info.backend_pid
    started = time.monotonic()

    with pytest.raises(OperationalError), deadline(0.5), connection.cursor() as cursor:
        cursor.execute(_blocking_query())

    assert time.monotonic() - started < 30  # Interrupted, not waited out (60 s / forever).
    assert quick_watchdog.fired == 1
    connection.close()  # A PostgreSQL connection whose socket was shut is done.
    with connection.cursor() as cursor:  # And the next one works.
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
        if backend is not None:
            # The server only notices a vanished client when it next writes to it; with
            # statement_timeout off here, end the sleeping backend ourselves.
            cursor.execute("SELECT pg_terminate_backend(%s)", [backend])


@pytest.mark.django_db
def test_a_deadline_that_is_met_fires_nothing(quick_watchdog: Watchdog) -> None:
    with deadline(5), connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    time.sleep(0.1)

    assert quick_watchdog.check(time.monotonic() + 10) == 0
    assert quick_watchdog.fired == 0


def test_a_deadline_of_zero_arms_nothing() -> None:
    before = dict(watchdog._armed)

    with deadline(0):
        assert watchdog._armed == before


def test_a_deadline_covers_only_its_own_threads_connections(quick_watchdog: Watchdog) -> None:
    armed_in: list[int] = []

    def other() -> None:
        armed_in.append(quick_watchdog.arm(60))

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    token = quick_watchdog.arm(60)

    (_, theirs), (_, ours) = quick_watchdog._armed[armed_in[0]], quick_watchdog._armed[token]
    assert {id(w) for w in theirs}.isdisjoint(id(w) for w in ours)
    quick_watchdog.disarm(token)
    quick_watchdog.disarm(armed_in[0])


@pytest.mark.django_db
def test_health_runs_under_its_own_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[float] = []
    real_arm = watchdog.arm

    def arm(seconds: float) -> int:
        seen.append(seconds)
        return real_arm(seconds)

    monkeypatch.setattr(watchdog, "arm", arm)

    assert Client().get("/health").status_code == 200
    assert seen
    assert max(seen) <= 4  # 3 s connect + this, within a load balancer's 5 s


@pytest.mark.django_db(transaction=True)
def test_a_deadline_sooner_than_the_watchdogs_next_look_still_fires_on_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lazy = Watchdog(interval=120)  # idle, it would look again in two minutes
    monkeypatch.setattr("apps.common.deadlines.watchdog", lazy)
    with deadline(60):  # the thread now sleeps towards this one's due time
        pass
    backend = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 0")
        backend = connection.connection.info.backend_pid
    started = time.monotonic()

    with pytest.raises(OperationalError), deadline(0.5), connection.cursor() as cursor:
        cursor.execute(_blocking_query())

    assert time.monotonic() - started < 30
    assert lazy.fired == 1
    connection.close()
    if backend is not None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [backend])


@pytest.mark.django_db
def test_deadlines_that_are_met_do_not_wake_the_watchdog(monkeypatch: pytest.MonkeyPatch) -> None:
    watch = Watchdog(interval=0.05)  # looks often while idle, not while a deadline is armed
    monkeypatch.setattr("apps.common.deadlines.watchdog", watch)
    with deadline(60):
        time.sleep(0.2)  # the thread's first look, then it sleeps towards the deadline
        woken = watch.wakeups
        for _ in range(20):  # requests that meet theirs, each due after the first
            with deadline(60), connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        time.sleep(0.5)

        assert watch.wakeups == woken
    assert watch.fired == 0
