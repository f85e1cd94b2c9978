"""Refused requests per key and UTC day (throttle, quota): one upsert per refusal, none otherwise.

The admin's usage overview needs them per key; the access log's EMF metrics have them per
plan only (a key is no metric dimension). Admitted requests keep their one metering UPDATE;
a refusal, which already costs the store a read, adds this one statement. A database error
here is logged and the request still gets its 429: the count is for reporting only.
"""

from __future__ import annotations

import datetime
import logging
from contextlib import nullcontext
from functools import lru_cache

from django.db import DatabaseError, connection, transaction

from apps.api_keys.counters import QUOTA, THROTTLE
from apps.api_keys.models import DailyRefusals

logger = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def upsert_sql(vendor: str) -> str:
    """INSERT ... ON CONFLICT DO UPDATE (PostgreSQL, SQLite >= 3.24): atomic across processes.

    Cached per vendor (its quoting); built from model metadata only.
    """
    quote = connection.ops.quote_name
    meta = DailyRefusals._meta
    table = quote(meta.db_table)
    key, date = quote(meta.get_field("key").column), quote(meta.get_field("date").column)
    throttled, quota = quote("throttled"), quote("quota_refused")
    return (
        f"INSERT INTO {table} ({key}, {date}, {throttled}, {quota}) "  # noqa: S608
        f"VALUES (%s, %s, %s, %s) ON CONFLICT ({key}, {date}) DO UPDATE SET "
        f"{throttled} = {table}.{throttled} + excluded.{throttled}, "
        f"{quota} = {table}.{quota} + excluded.{quota}"
    )


def refusal_record(*, key_id: int, reason: str | None, now: datetime.datetime) -> None:
    """Count one request refused for `reason` (THROTTLE or QUOTA; others are not counted)."""
    if reason not in (THROTTLE, QUOTA):
        return
    day = connection.ops.adapt_datefield_value(now.astimezone(datetime.UTC).date())
    params = (key_id, day, int(reason == THROTTLE), int(reason == QUOTA))
    try:
        # A savepoint only inside a transaction: a failed statement must not break it.
        guard = transaction.atomic() if connection.in_atomic_block else nullcontext()
        with guard, connection.cursor() as cursor:
            cursor.execute(upsert_sql(connection.vendor), params)
    except DatabaseError:
        logger.warning("A refused request could not be counted", exc_info=True)
