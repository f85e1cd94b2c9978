"""Refused requests are counted per key and UTC day (throttle, quota), held by the process and
written at most once per REFUSAL_FLUSH_SECONDS; admitted requests write nothing."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.api_keys import refusals
from apps.api_keys.models import DailyRefusals, KeyMeter, UserDailyRefusals
from tests.api_keys.clock import START, FakeClock
from tests.redis_service import REDIS_URL, redis_or_skip

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]


def statuses(client: Any, count: int) -> list[int]:
    return [client.get("/v1/pets").status_code for _ in range(count)]


def counted(key: Any) -> list[tuple[datetime.date, int, int]]:
    """What the database holds once this process has written its pending counts."""
    refusals.refusals_flush()
    return list(
        DailyRefusals.objects.filter(key=key)
        .order_by("date")
        .values_list("date", "throttled", "quota_refused")
    )


def test_throttled_requests_are_counted_for_the_key_and_day(make_key, key_client, clock) -> None:
    key = make_key(rate=0.001, burst=2)

    assert statuses(key_client(key), 5) == [200, 200, 429, 429, 429]

    assert counted(key) == [(START.date(), 3, 0)]


def test_quota_refusals_are_counted_apart(make_key, key_client, clock) -> None:
    key = make_key(limit=2)

    assert statuses(key_client(key), 5) == [200, 200, 429, 429, 429]

    assert counted(key) == [(START.date(), 0, 3)]
    assert KeyMeter.objects.get(pk=key.pk).period_count == 2  # refusals are still not used


def test_each_utc_day_has_its_own_row(make_key, key_client, clock: FakeClock) -> None:
    key = make_key(limit=1)
    client = key_client(key)
    statuses(client, 2)
    clock.set(START + datetime.timedelta(days=1))
    statuses(client, 3)

    assert counted(key) == [
        (START.date(), 0, 1),
        (START.date() + datetime.timedelta(days=1), 0, 2),
    ]


def test_keys_are_counted_separately(make_key, key_client, make_plan, clock) -> None:
    plan = make_plan(limit=0)
    first, second = make_key(plan=plan), make_key(plan=plan)
    statuses(key_client(first), 2)
    statuses(key_client(second), 1)

    assert counted(first) == [(START.date(), 0, 2)]
    assert counted(second) == [(START.date(), 0, 1)]


def test_an_admitted_request_does_not_touch_the_refusals(make_key, key_client, clock) -> None:
    key = make_key(limit=10)

    with CaptureQueriesContext(connection) as queries:
        assert statuses(key_client(key), 3) == [200, 200, 200]

    table = DailyRefusals._meta.db_table
    assert not [q["sql"] for q in queries.captured_queries if table in q["sql"]]
    assert counted(key) == []


def test_a_failed_write_still_refuses_and_leaves_the_connection_usable(
    make_key, key_client, clock, monkeypatch: pytest.MonkeyPatch, caplog, settings: Any
) -> None:
    settings.API_KEYS = {**settings.API_KEYS, "REFUSAL_FLUSH_SECONDS": 0}
    key = make_key(limit=0)
    broken = "INSERT INTO no_such_table VALUES (%s, %s, %s, %s)"
    monkeypatch.setattr(refusals, "upsert_sql", lambda vendor, kind="key": broken)

    response = key_client(key).get("/v1/pets")

    assert response.status_code == 429
    assert response.json() == {"message": "Limit Exceeded"}
    assert "1 refusal count(s) could not be written" in caplog.text
    # The test runs inside a transaction: the savepoint kept it working.
    assert KeyMeter.objects.filter(pk=key.pk).exists()


class Monotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def monotonic(monkeypatch: pytest.MonkeyPatch) -> Monotonic:
    clock = Monotonic()
    monkeypatch.setattr(refusals, "_monotonic", clock)
    return clock


def written() -> list[tuple[int, int, int]]:
    """The rows in the database now, without writing what the process holds."""
    return list(
        DailyRefusals.objects.order_by("key_id").values_list("key_id", "throttled", "quota_refused")
    )


def test_refusals_are_held_then_written_together_a_second_later(
    make_key, make_plan, key_client, clock, monotonic: Monotonic
) -> None:
    plan = make_plan(limit=0)
    first, second = make_key(plan=plan), make_key(plan=plan)

    with CaptureQueriesContext(connection) as queries:
        statuses(key_client(first), 3)
        statuses(key_client(second), 2)
        monotonic.now += 0.9
        statuses(key_client(first), 1)
    table = DailyRefusals._meta.db_table
    assert not [q for q in queries.captured_queries if table in q["sql"]]
    assert written() == []

    monotonic.now += 0.1  # a second after the first one was held
    statuses(key_client(second), 1)

    # The request's start wrote everything held; its own refusal is held anew.
    assert written() == [(first.pk, 0, 4), (second.pk, 0, 2)]
    assert refusals.refusals_flush() == 1
    assert written() == [(first.pk, 0, 4), (second.pk, 0, 3)]


def test_a_refusal_that_finds_the_counts_due_writes_them(make_key, monotonic: Monotonic) -> None:
    key = make_key()
    refusals.refusal_count(key_id=key.pk, reason="throttle", now=START)
    monotonic.now += 1
    refusals.refusal_count(key_id=key.pk, reason="quota", now=START)

    assert written() == [(key.pk, 1, 1)]


def test_the_next_request_of_any_kind_writes_counts_that_are_due(
    make_key, key_client, clock, monotonic: Monotonic
) -> None:
    key = make_key(limit=0)
    statuses(key_client(key), 2)
    assert written() == []

    Client().get("/health")
    assert written() == []  # not due yet
    monotonic.now += 1
    Client().get("/health")

    assert written() == [(key.pk, 0, 2)]


def test_a_flush_period_of_0_writes_each_refusal_at_once(
    make_key, key_client, clock, settings: Any, monotonic: Monotonic
) -> None:
    settings.API_KEYS = {**settings.API_KEYS, "REFUSAL_FLUSH_SECONDS": 0}
    key = make_key(rate=0.001, burst=1)

    statuses(key_client(key), 3)

    assert written() == [(key.pk, 2, 0)]


def test_record_writes_one_refusal_at_once(make_key) -> None:
    key = make_key()

    refusals.refusal_record(key_id=key.pk, reason="throttle", now=START)
    refusals.refusal_record(key_id=key.pk, reason="quota", now=START)

    assert written() == [(key.pk, 1, 1)]


def test_other_reasons_are_not_counted(make_key) -> None:
    key = make_key()

    for reason in (None, "gone", "stale"):
        refusals.refusal_record(key_id=key.pk, reason=reason, now=START)
        refusals.refusal_count(key_id=key.pk, reason=reason, now=START)

    assert counted(key) == []


def test_a_request_throttled_in_redis_is_counted_too(
    make_key, key_client, clock, settings: Any
) -> None:
    url = REDIS_URL
    client = redis_or_skip()
    prefix = f"test-apikeys-{uuid.uuid4().hex}"
    settings.API_KEYS = {**settings.API_KEYS, "REDIS_URL": url, "REDIS_KEY_PREFIX": prefix}
    key = make_key(rate=0.001, burst=1)
    try:
        assert statuses(key_client(key), 3) == [200, 429, 429]
    finally:
        for name in client.scan_iter(match=f"{prefix}:*"):
            client.delete(name)

    assert counted(key) == [(START.date(), 2, 0)]


def test_token_users_refusals_go_to_their_own_table(make_key, user: Any) -> None:
    key = make_key()
    refusals.refusal_count(key_id=user.pk, reason="throttle", now=START, kind="user")
    refusals.refusal_count(key_id=key.pk, reason="quota", now=START)
    refusals.refusal_count(key_id=user.pk, reason="throttle", now=START, kind="nobody")

    assert refusals.refusals_flush() == 2
    assert written() == [(key.pk, 0, 1)]
    assert list(UserDailyRefusals.objects.values_list("user_id", "throttled", "quota_refused")) == [
        (user.pk, 1, 0)
    ]
