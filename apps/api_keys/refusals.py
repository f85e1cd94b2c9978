"""Refused requests per key (or token user) and UTC day, for the admin's usage overview.

A refusal must stay cheap: with the Redis store a throttled request costs the database
nothing (docs/scaling.md), and a flood of them must not turn into a flood of writes. So
the API counts refusals in the process (`refusal_count`) and writes what it holds at most
once per API_KEYS["REFUSAL_FLUSH_SECONDS"] (default 1 s): the first refusal, or the first
request of any kind, that finds the oldest pending count that old writes them all, one
atomic upsert per key and day. Admitted requests write nothing here. What a process holds
when it ends (at most about a second of its refusals) is not counted; the EMF metrics
(by plan) count every refusal. A database error is logged and the counts are dropped: the
request still gets its 429. `refusal_record` writes one refusal at once (the local REST
gateway, which counts its own refusals). A meter's `bucket_kind` ("key" or "user") says
which table its refusals go to.
"""

from __future__ import annotations

import datetime
import logging
import threading
import time
from collections.abc import Iterable
from contextlib import nullcontext
from functools import lru_cache
from typing import Any, cast

from django.db import DatabaseError, connection, models, transaction

from apps.api_keys.conf import api_key_settings
from apps.api_keys.counters import QUOTA, THROTTLE
from apps.api_keys.models import DailyRefusals, UserDailyRefusals

logger = logging.getLogger(__name__)

Row = tuple[int, datetime.date, int, int]  # key (or user) id, day, throttled, quota refused
# A meter's bucket_kind -> the table of its refusals and the column naming its owner.
TABLES: dict[str, tuple[type[models.Model], str]] = {
    "key": (DailyRefusals, "key"),
    "user": (UserDailyRefusals, "user"),
}


@lru_cache(maxsize=8)
def upsert_sql(vendor: str, kind: str = "key") -> str:
    """INSERT ... ON CONFLICT DO UPDATE (PostgreSQL, SQLite >= 3.24): atomic across processes.

    Cached per vendor (its quoting) and kind; built from model metadata only.
    """
    quote = connection.ops.quote_name
    model, owner = TABLES[kind]
    meta = model._meta
    table = quote(meta.db_table)
    owner_field = cast("models.Field[Any, Any]", meta.get_field(owner))
    key, date = quote(owner_field.column), quote("date")
    throttled, quota = quote("throttled"), quote("quota_refused")
    return (
        f"INSERT INTO {table} ({key}, {date}, {throttled}, {quota}) "  # noqa: S608
        f"VALUES (%s, %s, %s, %s) ON CONFLICT ({key}, {date}) DO UPDATE SET "
        f"{throttled} = {table}.{throttled} + excluded.{throttled}, "
        f"{quota} = {table}.{quota} + excluded.{quota}"
    )


def _write(rows: Iterable[Row], kind: str = "key") -> None:
    # In key and day order, so two processes writing the same rows lock them alike.
    params = [
        (key, connection.ops.adapt_datefield_value(day), t, q) for key, day, t, q in sorted(rows)
    ]
    try:
        # A savepoint only inside a transaction: a failed statement must not break it.
        guard = transaction.atomic() if connection.in_atomic_block else nullcontext()
        with guard, connection.cursor() as cursor:
            cursor.executemany(upsert_sql(connection.vendor, kind), params)
    except DatabaseError:
        logger.warning("%d refusal count(s) could not be written", len(params), exc_info=True)


def _day(now: datetime.datetime) -> datetime.date:
    return now.astimezone(datetime.UTC).date()


def refusal_record(
    *, key_id: int, reason: str | None, now: datetime.datetime, kind: str = "key"
) -> None:
    """Write one request refused for `reason` now (THROTTLE or QUOTA; others are not counted)."""
    if reason in (THROTTLE, QUOTA):
        _write([(key_id, _day(now), int(reason == THROTTLE), int(reason == QUOTA))], kind)


class _Pending:
    """This process's refusal counts not written yet, and since when (monotonic seconds)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: dict[tuple[str, int, datetime.date], list[int]] = {}
        self.since: float | None = None

    def add(self, kind: str, key_id: int, day: datetime.date, reason: str) -> None:
        with self.lock:
            row = self.counts.setdefault((kind, key_id, day), [0, 0])
            row[0 if reason == THROTTLE else 1] += 1
            if self.since is None:
                self.since = _monotonic()

    def due(self, interval: float) -> bool:
        since = self.since
        return since is not None and _monotonic() - since >= interval

    def take(self) -> dict[str, list[Row]]:
        """The held counts by kind, forgotten here."""
        with self.lock:
            counts, self.counts, self.since = self.counts, {}, None
        rows: dict[str, list[Row]] = {}
        for (kind, key, day), (t, q) in counts.items():
            rows.setdefault(kind, []).append((key, day, t, q))
        return rows


_pending = _Pending()
_monotonic = time.monotonic  # replaced in tests


def refusal_count(
    *, key_id: int, reason: str | None, now: datetime.datetime, kind: str = "key"
) -> None:
    """Count one refused request in this process; write the pending counts if they are due."""
    if reason not in (THROTTLE, QUOTA) or kind not in TABLES:
        return
    _pending.add(kind, key_id, _day(now), reason)
    if _pending.due(api_key_settings().REFUSAL_FLUSH_SECONDS):
        refusals_flush()


def refusals_flush() -> int:
    """Write every pending count now; how many key-days (and user-days) were written."""
    written = 0
    for kind, rows in _pending.take().items():
        _write(rows, kind)
        written += len(rows)
    return written


def flush_if_due(**kwargs: Any) -> None:
    """`request_started` receiver: a process whose refusals stopped still writes them."""
    if _pending.since is not None and _pending.due(api_key_settings().REFUSAL_FLUSH_SECONDS):
        refusals_flush()


def discard() -> None:
    """Drop the pending counts unwritten (tests)."""
    _pending.take()
