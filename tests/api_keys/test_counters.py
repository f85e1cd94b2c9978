"""The database usage counters: one conditional UPDATE, daily history, skewed clocks."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection

from apps.api_keys.counters import (
    QUOTA,
    THROTTLE,
    DatabaseUsageStore,
    adapted_datetime,
    admission_sql,
    get_usage_store,
    period_bounds,
    used_in_period,
)
from apps.api_keys.models import DailyUsage, KeyMeter
from apps.api_keys.periods import period_end, period_start
from tests.api_keys.clock import START

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def at(day: int, hour: int = 12, month: int = 1) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, tzinfo=UTC)


def admit(key, now: datetime.datetime, store: DatabaseUsageStore | None = None):
    """As the throttle does: the key as read for this request, then admit."""
    key.meter = KeyMeter.objects.get(pk=key.pk)
    key.plan.refresh_from_db()
    return (store or DatabaseUsageStore()).admit(key=key, now=now)


def test_admission_reports_the_quota_after_the_request(make_key) -> None:
    key = make_key(limit=10)

    first = admit(key, START)
    second = admit(key, START)

    assert (first.admitted, first.used, first.remaining) == (True, 1, 9)
    assert (second.used, second.remaining) == (2, 8)
    assert first.resets_at == datetime.datetime(2026, 1, 15, tzinfo=UTC)


def test_a_refusal_names_its_reason(make_key) -> None:
    throttled_key = make_key(rate=1, burst=1)
    quota_key = make_key(limit=1)
    admit(throttled_key, START)
    admit(quota_key, START)

    throttled = admit(throttled_key, START)
    over_quota = admit(quota_key, START)

    assert (throttled.admitted, throttled.reason, throttled.retry_after) == (False, THROTTLE, 1)
    assert (over_quota.admitted, over_quota.reason) == (False, QUOTA)
    assert over_quota.retry_after == 12 * 3600


def test_when_both_are_exhausted_the_quota_is_reported(make_key) -> None:
    key = make_key(rate=1, burst=1, limit=1)
    admit(key, START)

    assert admit(key, START).reason == QUOTA


def test_the_first_request_of_a_day_archives_the_previous_day_once(make_key) -> None:
    key = make_key()
    for _ in range(3):
        admit(key, at(14))
    admit(key, at(15, hour=0))
    admit(key, at(15, hour=1))

    assert list(DailyUsage.objects.values_list("date", "count")) == [
        (datetime.date(2026, 1, 14), 3)
    ]
    meter = KeyMeter.objects.get(pk=key.pk)
    assert (meter.day, meter.day_count) == (datetime.date(2026, 1, 15), 2)


def test_days_without_requests_leave_no_rows(make_key) -> None:
    key = make_key()
    admit(key, at(10))
    admit(key, at(14))
    admit(key, at(20))

    assert list(DailyUsage.objects.values_list("date", "count")) == [
        (datetime.date(2026, 1, 10), 1),
        (datetime.date(2026, 1, 14), 1),
    ]


def test_refused_requests_are_not_in_the_daily_history(make_key) -> None:
    key = make_key(limit=2)
    for _ in range(5):
        admit(key, at(14))
    admit(key, at(15))

    assert DailyUsage.objects.get().count == 2


def test_a_lagging_clock_never_moves_the_period_or_day_backwards(make_key) -> None:
    key = make_key(limit=2)
    admit(key, at(15, hour=0))  # a host already past midnight
    late = at(14, hour=23)  # another host one hour behind

    admitted = admit(key, late)
    refused = admit(key, late)

    assert admitted.admitted
    assert admitted.used == 2
    assert not refused.admitted
    meter = KeyMeter.objects.get(pk=key.pk)
    assert (meter.day, meter.day_count) == (datetime.date(2026, 1, 15), 2)
    assert not DailyUsage.objects.exists()


def test_last_used_at_is_the_last_admitted_request(make_key) -> None:
    key = make_key(rate=1, burst=1)
    admit(key, START)
    admit(key, START + datetime.timedelta(milliseconds=10))  # refused

    assert KeyMeter.objects.get(pk=key.pk).last_used_at == START
    key.refresh_from_db()
    assert key.last_used_at == START


def test_without_a_bucket_only_the_quota_is_checked(make_key) -> None:
    key = make_key(rate=1, burst=1, limit=3)
    store = DatabaseUsageStore(bucket=False)

    results = [admit(key, START, store).admitted for _ in range(4)]

    assert results == [True, True, True, False]


def test_the_statement_only_has_the_clauses_it_needs() -> None:
    full = admission_sql(bucket=True, quota=True)
    bare = admission_sql(bucket=False, quota=False)

    assert full.startswith("UPDATE")
    assert "RETURNING" in full
    assert "%(limit)s" in full
    assert "%(burst)s" in full
    assert "%(limit)s" not in bare
    assert "tokens" not in bare


def test_on_sqlite_the_statement_is_in_sqlite3s_own_parameter_style() -> None:
    ours = admission_sql(bucket=True, quota=True, vendor="sqlite", recheck=True)
    pyformat = admission_sql(bucket=True, quota=True, vendor="postgresql", recheck=True)

    # Django's SQLite cursor would make the same text of the pyformat one on every call.
    assert "%" not in ours
    assert ours == pyformat % {name: f":{name}" for name in PARAMETER_NAMES}
    assert "%(limit)s" in pyformat


PARAMETER_NAMES = [
    "key_id",
    "now",
    "period",
    "day",
    "now_ts",
    "rate",
    "burst",
    "limit",
    "false",
    "true",
    "plan_id",
    "plan_updated_at",
]


NOWS = [
    datetime.datetime(2026, 1, 14, 12, tzinfo=UTC),
    datetime.datetime(2026, 1, 14, 0, tzinfo=UTC),
    datetime.datetime(2026, 1, 14, 23, 59, 59, 999999, tzinfo=UTC),
    datetime.datetime(2026, 3, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=5))),
    datetime.datetime(2026, 2, 28, 22, tzinfo=datetime.timezone(datetime.timedelta(hours=-5))),
]


@pytest.mark.parametrize("now", NOWS)
@pytest.mark.parametrize(("period", "offset"), [("DAY", 0), ("WEEK", 3), ("MONTH", 27)])
def test_a_days_period_bounds_are_the_periods_of_each_moment_in_it(now, period, offset) -> None:
    start = period_start(now, period, offset)

    today = now.astimezone(UTC).date()

    assert period_bounds(today, period, offset) == (start, period_end(start, period))


def test_a_kept_adaptation_is_djangos_and_goes_when_settings_change(settings) -> None:
    moment = datetime.datetime(2026, 1, 14, 12, tzinfo=UTC)

    kept = adapted_datetime(connection.ops, moment)

    assert kept == connection.ops.adapt_datetimefield_value(moment)
    assert adapted_datetime.cache_info().currsize > 0
    settings.USE_TZ = True  # any change: the adaptation reads USE_TZ and TIME_ZONE
    assert adapted_datetime.cache_info().currsize == 0


@pytest.mark.parametrize(
    ("meter_start", "count", "expected"),
    [(None, 5, 0), (at(13), 5, 0), (at(14, 0), 5, 5), (at(15, 0), 5, 5)],
)
def test_used_in_period(meter_start, count, expected) -> None:
    assert used_in_period(meter_start, count, at(14, 0)) == expected


def test_the_database_store_is_the_default(settings) -> None:
    settings.API_KEYS = {**settings.API_KEYS, "REDIS_URL": ""}

    assert isinstance(get_usage_store(), DatabaseUsageStore)
