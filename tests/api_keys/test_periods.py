"""Period arithmetic: UTC boundaries with offsets, and whole seconds to a reset."""

from __future__ import annotations

import datetime

import pytest

from apps.api_keys.periods import period_end, period_start, seconds_until

UTC = datetime.UTC


def d(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "period", "offset", "start", "end"),
    [
        (d(2026, 1, 14, 12), "DAY", 0, d(2026, 1, 14), d(2026, 1, 15)),
        (d(2026, 1, 14, 0), "DAY", 0, d(2026, 1, 14), d(2026, 1, 15)),
        (d(2026, 1, 14, 23, 59, 59), "DAY", 0, d(2026, 1, 14), d(2026, 1, 15)),
        # 2026-01-14 is a Wednesday; offset 0 = Sunday, 1 = Monday, 3 = Wednesday.
        (d(2026, 1, 14, 12), "WEEK", 0, d(2026, 1, 11), d(2026, 1, 18)),
        (d(2026, 1, 14, 12), "WEEK", 1, d(2026, 1, 12), d(2026, 1, 19)),
        (d(2026, 1, 14, 12), "WEEK", 3, d(2026, 1, 14), d(2026, 1, 21)),
        (d(2026, 1, 14, 12), "WEEK", 4, d(2026, 1, 8), d(2026, 1, 15)),
        (d(2026, 1, 11, 0), "WEEK", 0, d(2026, 1, 11), d(2026, 1, 18)),
        (d(2026, 1, 14, 12), "MONTH", 0, d(2026, 1, 1), d(2026, 2, 1)),
        (d(2026, 1, 14, 12), "MONTH", 14, d(2025, 12, 15), d(2026, 1, 15)),
        (d(2026, 1, 15, 0), "MONTH", 14, d(2026, 1, 15), d(2026, 2, 15)),
        (d(2026, 3, 1, 12), "MONTH", 27, d(2026, 2, 28), d(2026, 3, 28)),
        (d(2026, 12, 31, 23), "MONTH", 0, d(2026, 12, 1), d(2027, 1, 1)),
        (d(2026, 1, 2), "MONTH", 4, d(2025, 12, 5), d(2026, 1, 5)),
    ],
)
def test_period_bounds(now, period, offset, start, end) -> None:
    assert period_start(now, period, offset) == start
    assert period_end(start, period) == end
    assert start <= now < end


def test_a_non_utc_time_uses_utc_boundaries() -> None:
    tokyo = datetime.timezone(datetime.timedelta(hours=9))
    now = datetime.datetime(2026, 1, 15, 8, 0, tzinfo=tokyo)  # 2026-01-14 23:00 UTC

    assert period_start(now, "DAY") == d(2026, 1, 14)


@pytest.mark.parametrize("function", [period_start, period_end])
def test_an_unknown_period_is_an_error(function) -> None:
    with pytest.raises(ValueError, match="Unknown period"):
        function(d(2026, 1, 1), "YEAR")


@pytest.mark.parametrize(
    ("delta", "expected"), [(0.0, 1), (0.2, 1), (1.0, 1), (1.001, 2), (3600, 3600), (-5, 1)]
)
def test_seconds_until_rounds_up_to_at_least_one(delta: float, expected: int) -> None:
    now = d(2026, 1, 1)

    assert seconds_until(now + datetime.timedelta(seconds=delta), now) == expected
