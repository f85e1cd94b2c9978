"""Usage counters: admit a request against a key's (or token user's) throttle and quota.

The policy classes only call `get_usage_store().admit(key=..., now=...)`, where `key` is
anything Metered: an API key, or a token user's UserSubject. With `recheck=True` (a key
this process may have kept from an earlier request, apps.api_keys.lookup) the UPDATE also
requires the key row to be as it was read, and a refusal reads the key again: STALE then
tells the caller to authenticate anew. The database
store keeps everything in the meter row and admits with ONE conditional UPDATE that
refills the token bucket, takes a token and counts the request only when a token is left
and the quota is not used up. The WHERE clause reads only that row, so PostgreSQL
re-checks it on the newest row version when concurrent updates queue on the row lock:
under N concurrent requests against a quota of Q exactly Q are admitted. SQLite
serialises writers. RETURNING (SQLite >= 3.35, PostgreSQL) hands back the new counts
without a second query.
"""

from __future__ import annotations

import datetime
import math
import re
from contextlib import nullcontext
from functools import lru_cache
from typing import Any, NamedTuple, Protocol

from django.contrib.auth import get_user_model
from django.core.signals import setting_changed
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.backends.base.operations import BaseDatabaseOperations

from apps.api_keys import conf, lookup
from apps.api_keys.models import APIKey, KeyMeter, MeterFields, UsagePlan
from apps.api_keys.periods import UTC, period_end, period_start, seconds_until

THROTTLE = "throttle"
QUOTA = "quota"
GONE = "gone"  # the meter (its key or user) was deleted after the request read it
STALE = "stale"  # the kept key changed since it was read: authenticate again


class Admission(NamedTuple):
    """The outcome of one request against a key's plan, with the quota's state after it."""

    admitted: bool
    reason: str | None  # THROTTLE, QUOTA, GONE or STALE when rejected
    limit: int | None  # None: unlimited
    used: int
    resets_at: datetime.datetime
    retry_after: int | None  # seconds, when rejected

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else max(0, self.limit - self.used)


class Metered(Protocol):
    """What is counted: an APIKey, or apps.api_keys.users.UserSubject for a token user.

    `meter` is its meter row as read with the request (KeyMeter or UserMeter); its type
    says which table the counters update.
    """

    @property
    def pk(self) -> Any: ...

    @property
    def plan(self) -> UsagePlan: ...

    @property
    def meter(self) -> MeterFields: ...


class UsageStore(Protocol):
    """Where usage state lives; implementations must be exact across processes."""

    def admit(
        self, *, key: Metered, now: datetime.datetime, recheck: bool = False
    ) -> Admission: ...


def bucket_level(tokens: float, bucket_at: float, *, plan: UsagePlan, now_ts: float) -> float:
    """Tokens in the bucket at `now_ts` after refilling at the plan's rate, capped at burst."""
    refilled = tokens + max(0.0, now_ts - bucket_at) * float(plan.rate)
    return min(float(plan.burst), refilled)


def throttle_wait(level: float, plan: UsagePlan) -> int:
    """Whole seconds (at least 1) until the bucket holds a token again."""
    return max(1, math.ceil((1.0 - level) / float(plan.rate)))


def used_in_period(
    meter_start: datetime.datetime | None, count: int, start: datetime.datetime
) -> int:
    """The meter's count if it belongs to the period starting at `start`, else 0."""
    return count if meter_start is not None and meter_start >= start else 0


# A refill that never runs backwards (clocks of different hosts may disagree slightly),
# capped at the bucket size. Plan changes apply from the next request.
_LEVEL = "(CASE WHEN {raw} > %(burst)s THEN %(burst)s ELSE {raw} END)".format(
    raw="(CASE WHEN %(now_ts)s > bucket_at "
    "THEN tokens + (%(now_ts)s - bucket_at) * %(rate)s ELSE tokens END)"
)
# Counts belong to the stored period/day unless `now` is in a later one. ">=" rather
# than "=" so a host whose clock lags a little never moves a period or day backwards.
_SAME_PERIOD = "period_start >= %(period)s"
_SAME_DAY = "day >= %(day)s"

_SET_COUNTS = f"""
    period_count = CASE WHEN {_SAME_PERIOD} THEN period_count + 1 ELSE 1 END,
    period_start = CASE WHEN {_SAME_PERIOD} THEN period_start ELSE %(period)s END,
    prev_day = CASE WHEN {_SAME_DAY} THEN prev_day ELSE day END,
    prev_day_count = CASE WHEN {_SAME_DAY} THEN prev_day_count ELSE day_count END,
    day_count = CASE WHEN {_SAME_DAY} THEN day_count + 1 ELSE 1 END,
    day = CASE WHEN {_SAME_DAY} THEN day ELSE %(day)s END,
    last_used_at = %(now)s"""
_SET_BUCKET = f"""
    tokens = {_LEVEL} - 1,
    bucket_at = CASE WHEN %(now_ts)s > bucket_at THEN %(now_ts)s ELSE bucket_at END,"""
_QUOTA_LEFT = f"(CASE WHEN {_SAME_PERIOD} THEN period_count ELSE 0 END) < %(limit)s"
_RETURNING = "RETURNING period_count, day_count, prev_day, prev_day_count"


def _key_as_read() -> str:
    """EXISTS: the key row still allows requests, on the plan (row) it was read with."""
    quote = connection.ops.quote_name
    key, plan = APIKey._meta, UsagePlan._meta
    user = get_user_model()._meta

    def column(alias: str, meta: Any, name: str) -> str:
        return f"{alias}.{quote(meta.get_field(name).column)}"

    tables = (
        f"{quote(key.db_table)} k "
        f"INNER JOIN {quote(user.db_table)} u ON u.{quote(user.pk.column)} = "
        f"{column('k', key, 'owner')} "
        f"INNER JOIN {quote(plan.db_table)} p ON p.{quote(plan.pk.column)} = "
        f"{column('k', key, 'plan')}"
    )
    conditions = " AND ".join(
        [
            f"k.{quote(key.pk.column)} = %(key_id)s",
            f"{column('k', key, 'revoked')} = %(false)s",
            f"({column('k', key, 'expiry_date')} IS NULL "
            f"OR {column('k', key, 'expiry_date')} > %(now)s)",
            f"{column('u', user, 'is_active')} = %(true)s",
            f"p.{quote(plan.pk.column)} = %(plan_id)s",
            f"{column('p', plan, 'updated_at')} = %(plan_updated_at)s",
        ]
    )
    # Names from _meta only; every value is a query parameter.
    return f"EXISTS (SELECT 1 FROM {tables} WHERE {conditions})"  # noqa: S608


@lru_cache(maxsize=16)
def admission_sql(
    *,
    bucket: bool,
    quota: bool,
    vendor: str = "",
    meter: type[MeterFields] = KeyMeter,
    recheck: bool = False,
) -> str:
    """The conditional UPDATE for a plan with/without a quota and a database bucket;
    `recheck` (KeyMeter only) also requires the key row to be as read.

    Cached per vendor (its quoting) and meter table: it is built from constants only.
    """
    quote = connection.ops.quote_name
    conditions = [f"{quote(meter._meta.pk.column)} = %(key_id)s"]
    if bucket:
        conditions.append(f"{_LEVEL} >= 1")
    if quota:
        conditions.append(_QUOTA_LEFT)
    if recheck:
        conditions.append(_key_as_read())
    table = quote(meter._meta.db_table)
    sets = (_SET_BUCKET if bucket else "") + _SET_COUNTS
    # Built from the constants above only; every value is a query parameter.
    where = " AND ".join(conditions)
    sql = f"UPDATE {table} SET {sets} WHERE {where} {_RETURNING}"  # noqa: S608
    if vendor == "sqlite":
        # In sqlite3's own named style, converted here once as Django's SQLite cursor would
        # convert it on every call (`sql % {name: ":name"}`, about 60,000 instructions for
        # this statement): that conversion then finds no placeholder left to rewrite.
        sql = sql % {name: f":{name}" for name in _PARAMETER.findall(sql)}
    return sql


_PARAMETER = re.compile(r"%\((\w+)\)s")


def _as_date(value: Any) -> datetime.date | None:
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value))


class DatabaseUsageStore:
    """Throttle and quota in the meter row; `bucket=False` leaves the bucket to Redis."""

    def __init__(self, *, bucket: bool = True) -> None:
        self.bucket = bucket

    def admit(self, *, key: Metered, now: datetime.datetime, recheck: bool = False) -> Admission:
        plan = key.plan
        recheck = recheck and isinstance(key, APIKey)
        today = now.astimezone(datetime.UTC).date()
        start, resets_at = period_bounds(today, plan.period, plan.offset)
        # The first admitted request of a new day moves yesterday's count to DailyUsage;
        # only then is the UPDATE wrapped in a transaction with that insert.
        meter_day = key.meter.day
        rolling_over = meter_day is None or meter_day < today
        with transaction.atomic() if rolling_over else nullcontext():
            row = self._update(key=key, start=start, today=today, now=now, recheck=recheck)
            if row is not None and rolling_over:
                self._archive_previous_day(key, row)
        if row is not None:
            if rolling_over:
                # As the row now says: a meter kept across requests (apps.api_keys.lookup)
                # then rolls over once a day, not at every request.
                key.meter.day = today
            return Admission(True, None, plan.limit, int(row[0]), resets_at, None)
        return self._rejection(key=key, plan=plan, start=start, now=now, recheck=recheck)

    def _update(
        self,
        *,
        key: Metered,
        start: datetime.datetime,
        today: datetime.date,
        now: datetime.datetime,
        recheck: bool,
    ) -> tuple[Any, ...] | None:
        plan = key.plan
        # This thread's connection, looked up once: each `connection.<name>` goes through
        # the per-thread proxy again, and this runs on every metered request.
        db = connections[DEFAULT_DB_ALIAS]
        ops = db.ops
        params: dict[str, Any] = {
            "key_id": key.pk,
            "now": ops.adapt_datetimefield_value(now),
            # The same for every request of a period (a day) or of a plan's version.
            "period": adapted_datetime(ops, start),
            "day": ops.adapt_datefield_value(today),
        }
        if self.bucket:
            params |= {"now_ts": now.timestamp(), "rate": float(plan.rate), "burst": plan.burst}
        if plan.limit is not None:
            params["limit"] = plan.limit
        if recheck:
            updated_at = adapted_datetime(ops, plan.updated_at)
            params |= {"false": False, "true": True, "plan_id": plan.pk}
            params["plan_updated_at"] = updated_at
        sql = admission_sql(
            bucket=self.bucket,
            quota=plan.limit is not None,
            vendor=db.vendor,
            meter=type(key.meter),
            recheck=recheck,
        )
        with db.cursor() as cursor:
            cursor.execute(sql, params)
            # fetchall() runs the statement to completion, so SQLite commits it now.
            rows = cursor.fetchall()
        return tuple(rows[0]) if rows else None

    def _archive_previous_day(self, key: Metered, row: tuple[Any, ...]) -> None:
        day_count, prev_day, prev_count = int(row[1]), _as_date(row[2]), int(row[3])
        # day_count == 1: this request opened the day, so it alone archives the last one.
        if day_count == 1 and prev_day is not None and prev_count > 0:
            meter = type(key.meter)
            daily, owner = meter.daily_model, meter.daily_owner_field
            daily._default_manager.bulk_create(
                [daily(**{f"{owner}_id": key.pk, "date": prev_day, "count": prev_count})],
                update_conflicts=True,
                unique_fields=[owner, "date"],
                update_fields=["count"],
            )

    def _rejection(
        self,
        *,
        key: Metered,
        plan: UsagePlan,
        start: datetime.datetime,
        now: datetime.datetime,
        recheck: bool,
    ) -> Admission:
        """Nothing was admitted: one more read tells a used-up quota from an empty bucket
        (with `recheck`, a read of the whole key: it may have changed since it was kept)."""
        meter: MeterFields | None
        if recheck and isinstance(key, APIKey):
            stored = reread(key, now=now)
            if stored is None:
                return Admission(False, STALE, plan.limit, 0, period_end(start, plan.period), None)
            meter = stored.meter
        else:
            meter = type(key.meter)._default_manager.filter(pk=key.pk).first()
        if meter is None:  # deleted with its key (or user) since it was read
            return Admission(False, GONE, plan.limit, 0, period_end(start, plan.period), None)
        used = used_in_period(meter.period_start, meter.period_count, start)
        level = bucket_level(meter.tokens, meter.bucket_at, plan=plan, now_ts=now.timestamp())
        return rejection(plan=plan, used=used, start=start, now=now, level=level)


@lru_cache(maxsize=64)
def period_bounds(
    today: datetime.date, period: str, offset: int
) -> tuple[datetime.datetime, datetime.datetime]:
    """The start and end of the quota period containing the UTC day `today`.

    `period_start` reads only the day of `now` (its UTC midnight), so every request of a
    day shares the answer; worked out per request it cost about 20,000 instructions.
    """
    start = period_start(datetime.datetime.combine(today, datetime.time(), UTC), period, offset)
    return start, period_end(start, period)


@lru_cache(maxsize=64)
def adapted_datetime(ops: BaseDatabaseOperations, value: datetime.datetime) -> Any:
    """`ops.adapt_datetimefield_value(value)`, kept for values that recur (the period's
    start, a plan's `updated_at`): on SQLite each adaptation (to naive text in the
    connection's time zone) costs about 29,000 instructions. Cleared when settings change,
    as the adaptation reads USE_TZ and the database's TIME_ZONE."""
    return ops.adapt_datetimefield_value(value)


def _forget_adapted(**kwargs: Any) -> None:
    adapted_datetime.cache_clear()


setting_changed.connect(_forget_adapted, dispatch_uid="apps.api_keys.counters.adapted")


def reread(key: APIKey, *, now: datetime.datetime) -> APIKey | None:
    """The key as stored now (one query, kept again), if it still allows requests on the plan
    `key` was read with; None when it no longer does (revoked, expired, owner inactive,
    deleted, another plan or an edited one): the caller authenticates again."""
    stored = lookup.api_key_read(key.prefix)
    if stored is None or not lookup.unchanged(key, stored) or stored.refusal_reason(now):
        return None
    return stored if hasattr(stored, "meter") else None


def rejection(
    *, plan: UsagePlan, used: int, start: datetime.datetime, now: datetime.datetime, level: float
) -> Admission:
    """A refusal: the quota when it is used up (the longer wait), else the throttle.

    `level` is the bucket's token level now, for the throttle's Retry-After.
    """
    resets_at = period_end(start, plan.period)
    if plan.limit is not None and used >= plan.limit:
        return Admission(False, QUOTA, plan.limit, used, resets_at, seconds_until(resets_at, now))
    return Admission(False, THROTTLE, plan.limit, used, resets_at, throttle_wait(level, plan))


@lru_cache(maxsize=4)
def _store_for(redis_url: str, prefix: str, password: str = "") -> UsageStore:
    if not redis_url:
        return DatabaseUsageStore()
    from apps.api_keys.redis_bucket import RedisUsageStore

    return RedisUsageStore(url=redis_url, prefix=prefix, password=password or None)


def get_usage_store() -> UsageStore:
    """The configured store: the database, or Redis buckets when API_KEYS["REDIS_URL"] is set."""
    config = conf.api_key_settings()
    return _store_for(config.REDIS_URL, config.REDIS_KEY_PREFIX, config.REDIS_PASSWORD)
