"""Refused requests are counted per key and UTC day (throttle, quota); admitted ones are not."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.api_keys import refusals
from apps.api_keys.models import DailyRefusals, KeyMeter
from tests.api_keys.clock import START, FakeClock

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]


def statuses(client: Any, count: int) -> list[int]:
    return [client.get("/v1/pets").status_code for _ in range(count)]


def counted(key: Any) -> list[tuple[datetime.date, int, int]]:
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


def test_a_failed_count_still_refuses_and_leaves_the_connection_usable(
    make_key, key_client, clock, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    key = make_key(limit=0)
    monkeypatch.setattr(
        refusals, "upsert_sql", lambda vendor: "INSERT INTO no_such_table VALUES (%s, %s, %s, %s)"
    )

    response = key_client(key).get("/v1/pets")

    assert response.status_code == 429
    assert response.json() == {"message": "Limit Exceeded"}
    assert "A refused request could not be counted" in caplog.text
    # The test runs inside a transaction: the savepoint kept it working.
    assert KeyMeter.objects.filter(pk=key.pk).exists()


def test_other_reasons_are_not_counted(make_key) -> None:
    key = make_key()

    for reason in (None, "gone", "stale"):
        refusals.refusal_record(key_id=key.pk, reason=reason, now=START)

    assert counted(key) == []
