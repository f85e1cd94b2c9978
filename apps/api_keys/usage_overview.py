"""Reads for the admin's usage overview: requests and refusals per plan and key, quota headroom.

Built from what metering records anyway: admitted requests per key and day (DailyUsage,
and today's count on the meter), refusals per key and day (DailyRefusals), and each
meter's count in the current quota period. A handful of aggregate queries, whatever the
number of requests; keys are grouped by their current plan.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, F, Q, Sum

from apps.api_keys.models import APIKey, DailyRefusals, DailyUsage, KeyMeter, UsagePlan
from apps.api_keys.periods import period_end, period_start

DAYS = 30
KEY_ROWS = 50
CLOSEST_ROWS = 10


@dataclass
class Counts:
    requests: int = 0
    throttled: int = 0
    quota_refused: int = 0

    @property
    def total(self) -> int:
        return self.requests + self.throttled + self.quota_refused

    def add(self, other: Counts) -> None:
        self.requests += other.requests
        self.throttled += other.throttled
        self.quota_refused += other.quota_refused


@dataclass
class KeyRow:
    key: APIKey
    counts: Counts


@dataclass
class PlanRow:
    plan: UsagePlan
    keys: int
    counts: Counts = field(default_factory=Counts)


@dataclass(frozen=True)
class QuotaRow:
    key: APIKey
    used: int
    limit: int
    resets_at: datetime.datetime

    @property
    def percent(self) -> int:
        return min(100, int(self.used * 100 / self.limit))


@dataclass
class UsageOverview:
    first: datetime.date
    last: datetime.date
    totals: Counts
    plans: list[PlanRow]
    keys: list[KeyRow]
    more_keys: int  # active keys beyond the KEY_ROWS shown
    closest: list[QuotaRow]
    daily_requests: list[tuple[datetime.date, int]]


def usage_overview(*, now: datetime.datetime, days: int = DAYS) -> UsageOverview:
    """The `days` UTC days ending today, every plan, the busiest keys, the fullest quotas."""
    last = now.astimezone(datetime.UTC).date()
    first = last - datetime.timedelta(days=days - 1)
    per_key, per_day = _per_key_and_day(first, last)
    ranked = sorted(per_key.items(), key=lambda item: (-item[1].total, item[0]))
    shown = ranked[:KEY_ROWS]
    keys = APIKey.objects.select_related("owner", "plan").in_bulk([pk for pk, _ in shown])
    totals = Counts()
    for counts in per_key.values():
        totals.add(counts)
    return UsageOverview(
        first=first,
        last=last,
        totals=totals,
        plans=_per_plan(per_key),
        keys=[KeyRow(keys[pk], counts) for pk, counts in shown if pk in keys],
        more_keys=max(0, len(ranked) - KEY_ROWS),
        closest=closest_to_quota(now=now),
        daily_requests=[
            (day, per_day.get(day, 0))
            for day in (first + datetime.timedelta(days=n) for n in range(days))
        ],
    )


def _per_key_and_day(
    first: datetime.date, last: datetime.date
) -> tuple[dict[int, Counts], dict[datetime.date, int]]:
    """Counts per key in the window, and admitted requests per day."""
    per_key: dict[int, Counts] = defaultdict(Counts)
    per_day: dict[datetime.date, int] = defaultdict(int)
    # Past days are archived; the meter's day (today, or the key's last active day) is not,
    # and wins over an archived row of the same day (as the key page's chart counts it).
    archived = DailyUsage.objects.filter(date__range=(first, last)).exclude(
        key__meter__day=F("date")
    )
    for key_id, count in archived.values_list("key_id").annotate(n=Sum("count")):
        per_key[key_id].requests += count
    for day, count in archived.values_list("date").annotate(n=Sum("count")):
        per_day[day] += count
    current = KeyMeter.objects.filter(day__range=(first, last), day_count__gt=0)
    for key_id, meter_day, count in current.values_list("key_id", "day", "day_count"):
        per_key[key_id].requests += count
        if meter_day is not None:  # always, by the filter; the column is nullable
            per_day[meter_day] += count
    refused = (
        DailyRefusals.objects.filter(date__range=(first, last))
        .values("key_id")
        .annotate(throttled_sum=Sum("throttled"), quota_sum=Sum("quota_refused"))
    )
    for row in refused:
        per_key[row["key_id"]].throttled += row["throttled_sum"]
        per_key[row["key_id"]].quota_refused += row["quota_sum"]
    return dict(per_key), dict(per_day)


def _per_plan(per_key: dict[int, Counts]) -> list[PlanRow]:
    """Every plan (idle ones too), with its key count and its keys' counts summed."""
    rows = {
        plan.pk: PlanRow(plan, keys=plan.key_total)
        for plan in UsagePlan.objects.annotate(key_total=Count("api_keys")).order_by("name")
    }
    plan_of = dict(APIKey.objects.filter(pk__in=per_key).values_list("pk", "plan_id"))
    for key_id, counts in per_key.items():
        if (plan_id := plan_of.get(key_id)) in rows:
            rows[plan_id].counts.add(counts)
    return list(rows.values())


def closest_to_quota(*, now: datetime.datetime, limit: int = CLOSEST_ROWS) -> list[QuotaRow]:
    """Active keys with the largest share of their quota used this period (quota plans only)."""
    rows: list[QuotaRow] = []
    for plan in UsagePlan.objects.filter(limit__gt=0):
        quota = int(plan.limit or 0)  # never 0 here: filtered above
        start = period_start(now, plan.period, plan.offset)
        keys = (
            APIKey.objects.filter(plan=plan, revoked=False, meter__period_start__gte=start)
            .filter(Q(expiry_date__isnull=True) | Q(expiry_date__gt=now))
            .filter(meter__period_count__gt=0)
            .select_related("owner", "plan", "meter")
            .order_by("-meter__period_count", "pk")[:limit]
        )
        resets_at = period_end(start, plan.period)
        rows.extend(QuotaRow(key, key.meter.period_count, quota, resets_at) for key in keys)
    rows.sort(key=lambda row: (-row.used / row.limit, row.key.pk))
    return rows[:limit]
