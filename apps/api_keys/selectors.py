"""Reads: the key behind a request (one query), its usage this period, its daily history."""

from __future__ import annotations

import datetime
import logging
import re
from typing import Any, NamedTuple

from rest_framework_api_key.crypto import KeyGenerator

from apps.api_keys import conf
from apps.api_keys.counters import Metered, used_in_period
from apps.api_keys.lookup import api_key_by_prefix, api_key_read
from apps.api_keys.models import APIKey, KeyMeter, MeterFields, UsagePlan
from apps.api_keys.periods import period_end, period_start

logger = logging.getLogger(__name__)

# API Gateway key values are 20-128 characters; ours are "<8>.<32>" alphanumerics. Anything
# longer or of another shape is refused before hashing or touching the database.
MAX_KEY_LENGTH = 128
KEY_FORMAT = re.compile(r"[A-Za-z0-9]{1,16}\.[A-Za-z0-9]{1,111}")
# The same key as the REST API front door spells it: no dot, the prefix its first 8
# characters (apps.api_keys.gateway.names.gateway_value).
GATEWAY_KEY_FORMAT = re.compile(r"[A-Za-z0-9]{9,128}")
PREFIX_LENGTH = 8

_generator = KeyGenerator()
# Verified against when the prefix is unknown, so an unknown prefix costs the same hash
# and compare as a known one and response times do not reveal which prefixes exist.
_DUMMY_HASH = _generator.hash("unknown.prefix-dummy-secret-for-constant-time")


class KeyRejectedError(Exception):
    """The presented key cannot be used; `reason` is for logs only, never for clients."""

    def __init__(self, reason: str, prefix: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.prefix = prefix


def api_key_from_raw(*, raw_key: str, now: datetime.datetime, kept: bool = False) -> APIKey:
    """The usable key for a raw `prefix.secret`, with plan, owner and meter, in one query.

    `kept=True` accepts the key as this process kept it from an earlier request (no query;
    apps.api_keys.lookup); only for callers whose metering re-checks it (`recheck`).

    Raises KeyRejectedError for a malformed, unknown, wrong, revoked or expired key, or one
    whose owner is inactive.
    """
    canonical = canonical_key(raw_key)
    if canonical is None:
        raise KeyRejectedError("malformed")
    raw_key = canonical
    prefix = raw_key.partition(".")[0]
    key = api_key_by_prefix(prefix) if kept else api_key_read(prefix)
    # Always one constant-time verify, whether or not the prefix exists.
    valid = _generator.verify(raw_key, key.hashed_key if key is not None else _DUMMY_HASH)
    if key is None:
        raise KeyRejectedError("unknown prefix", prefix)
    if not valid:
        raise KeyRejectedError("wrong secret", prefix)
    if reason := key.refusal_reason(now):
        raise KeyRejectedError(reason, prefix)
    if not hasattr(key, "meter"):  # only for keys inserted without save()
        key.meter = KeyMeter.objects.get_or_create(key=key)[0]
    return key


def canonical_key(raw_key: str) -> str | None:
    """`prefix.secret` for a key in either spelling (with or without the dot), else None."""
    if len(raw_key) > MAX_KEY_LENGTH:
        return None
    if KEY_FORMAT.fullmatch(raw_key):
        return raw_key
    if GATEWAY_KEY_FORMAT.fullmatch(raw_key):
        return f"{raw_key[:PREFIX_LENGTH]}.{raw_key[PREFIX_LENGTH:]}"
    return None


class PeriodUsage(NamedTuple):
    """A key's quota in the period that contains `now`."""

    limit: int | None
    used: int
    period: str
    period_start: datetime.datetime
    resets_at: datetime.datetime

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else max(0, self.limit - self.used)


def api_key_period_usage(*, key: Metered, now: datetime.datetime) -> PeriodUsage:
    """Usage this period from the key's (or token user's) meter, as loaded with it."""
    plan: UsagePlan = key.plan
    start = period_start(now, plan.period, plan.offset)
    meter = getattr(key, "meter", None)
    used = used_in_period(meter.period_start, meter.period_count, start) if meter else 0
    return PeriodUsage(plan.limit, used, plan.period, start, period_end(start, plan.period))


def api_key_daily_usage(
    *, key: APIKey, today: datetime.date, days: int = 30
) -> list[tuple[datetime.date, int]]:
    """Requests per UTC day for the `days` days ending `today`, oldest first, zeros included."""
    return meter_daily_usage(meter=KeyMeter, owner_pk=key.pk, today=today, days=days)


def meter_daily_usage(
    *, meter: type[MeterFields], owner_pk: Any, today: datetime.date, days: int = 30
) -> list[tuple[datetime.date, int]]:
    """Daily counts of a key's or token user's meter (KeyMeter or UserMeter)."""
    first = today - datetime.timedelta(days=days - 1)
    owner = meter.daily_owner_field
    counts = dict(
        meter.daily_model._default_manager.filter(
            **{owner: owner_pk, "date__gte": first, "date__lte": today}
        ).values_list("date", "count")
    )
    # The meter's day has not been archived yet (it moves on the next day's first request).
    row = meter._default_manager.filter(pk=owner_pk).first()
    if row is not None and row.day is not None and first <= row.day <= today:
        counts[row.day] = row.day_count
    return [
        (day, int(counts.get(day, 0)))
        for day in (first + datetime.timedelta(days=n) for n in range(days))
    ]


def api_key_usage_document(
    *, key: Metered, now: datetime.datetime, used: int | None = None
) -> dict[str, object]:
    """GET /v1/usage's body for a key or a token user (`key` null, `token` says who).

    `used`: the count this request's admission returned.
    """
    plan = key.plan
    usage = api_key_period_usage(key=key, now=now)
    if used is not None:
        usage = PeriodUsage(usage.limit, used, usage.period, usage.period_start, usage.resets_at)
    return {
        "key": (
            {"prefix": key.prefix, "name": key.name, "expires_at": key.expiry_date}
            if isinstance(key, APIKey)
            else None
        ),
        "token": getattr(key, "identity", None) or None,
        "plan": {"name": plan.name, "description": plan.description},
        "throttle": {"rate": float(plan.rate), "burst": plan.burst},
        "quota": {
            "limit": usage.limit,
            "used": usage.used,
            "remaining": usage.remaining,
            "period": usage.period,
            "offset": plan.offset,
            "period_start": usage.period_start,
            "resets_at": usage.resets_at,
        },
    }


def default_user_plan() -> UsagePlan | None:
    """The plan of token users without one of their own (API_KEYS["DEFAULT_USER_PLAN"])."""
    return UsagePlan.objects.filter(name=conf.api_key_settings().DEFAULT_USER_PLAN).first()
