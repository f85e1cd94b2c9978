"""Quota period arithmetic: UTC boundaries of DAY, WEEK and MONTH periods with an offset."""

from __future__ import annotations

import datetime

UTC = datetime.UTC


def _midnight(moment: datetime.datetime) -> datetime.datetime:
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _add_months(moment: datetime.datetime, months: int) -> datetime.datetime:
    index = moment.year * 12 + moment.month - 1 + months
    return moment.replace(year=index // 12, month=index % 12 + 1)


def period_start(now: datetime.datetime, period: str, offset: int = 0) -> datetime.datetime:
    """The UTC start of the period that contains `now`.

    DAY: today's midnight. WEEK: the last midnight on weekday `offset` (0 = Sunday).
    MONTH: the last midnight on day `offset + 1` of a month (offset is at most 27).
    """
    today = _midnight(now)
    if period == "DAY":
        return today
    if period == "WEEK":
        days_since_sunday = (today.weekday() + 1) % 7  # Python's weekday(): Monday is 0
        return today - datetime.timedelta(days=(days_since_sunday - offset) % 7)
    if period == "MONTH":
        start = today.replace(day=offset + 1)
        return start if start <= today else _add_months(start, -1)
    raise ValueError(f"Unknown period {period!r}")


def period_end(start: datetime.datetime, period: str) -> datetime.datetime:
    """The start of the next period (when the quota resets), given this period's start."""
    if period == "DAY":
        return start + datetime.timedelta(days=1)
    if period == "WEEK":
        return start + datetime.timedelta(days=7)
    if period == "MONTH":
        return _add_months(start, 1)
    raise ValueError(f"Unknown period {period!r}")


def seconds_until(moment: datetime.datetime, now: datetime.datetime) -> int:
    """Whole seconds from `now` until `moment`, rounded up, at least 1 (for Retry-After)."""
    remaining = (moment - now).total_seconds()
    whole = int(remaining)
    return max(1, whole + (1 if remaining > whole else 0))
