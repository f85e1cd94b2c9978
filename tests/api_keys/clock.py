"""A settable clock for API_KEYS["CLOCK"], so refills and period boundaries need no sleeping."""

from __future__ import annotations

import datetime

START = datetime.datetime(2026, 1, 14, 12, 0, tzinfo=datetime.UTC)  # a Wednesday


class FakeClock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime.datetime:
        return self.now

    def set(self, moment: datetime.datetime) -> None:
        self.now = moment

    def advance(self, seconds: float) -> None:
        self.now += datetime.timedelta(seconds=seconds)


fake_clock = FakeClock()
