"""Reads for the admin's usage overview: requests and refusals per plan, key and token user,
and the keys closest to their quota.

Built from what metering records anyway: admitted requests per key (or token user) and day
(DailyUsage, UserDailyUsage, and the current day's count on each meter), refusals per day
(DailyRefusals, UserDailyRefusals), and each meter's count in the current quota period. A
fixed number of aggregate queries (one more per plan with a quota), whatever the number of
keys or requests; keys and users are grouped by their current plan.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Model, Q, Sum

from apps.api_keys.models import (
    APIKey,
    DailyRefusals,
    DailyUsage,
    KeyMeter,
    MeterFields,
    UsagePlan,
    UserDailyRefusals,
    UserDailyUsage,
    UserMeter,
)
from apps.api_keys.periods import period_end, period_start
from apps.api_keys.selectors import default_user_plan

DAYS = 30
KEY_ROWS = 50
USER_ROWS = 10
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
class UserRow:
    user: Any  # the user model
    plan: UsagePlan | None
    counts: Counts


@dataclass
class PlanRow:
    plan: UsagePlan
    keys: int
    users: int = 0
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
    more_keys: int  # keys with usage beyond the KEY_ROWS shown
    users: list[UserRow]
    more_users: int
    closest: list[QuotaRow]
    daily_requests: list[tuple[datetime.date, int]]


@dataclass(frozen=True)
class _Source:
    """Where one kind of metered party's numbers live."""

    meter: type[MeterFields]
    daily: type[Model]
    refusals: type[Model]
    owner: str  # the foreign key naming the key or user in `daily` and `refusals`


KEYS = _Source(KeyMeter, DailyUsage, DailyRefusals, "key")
USERS = _Source(UserMeter, UserDailyUsage, UserDailyRefusals, "user")


def _ranked(counts: dict[int, Counts], rows: int) -> tuple[list[tuple[int, Counts]], int]:
    ordered = sorted(counts.items(), key=lambda item: (-item[1].total, item[0]))
    return ordered[:rows], max(0, len(ordered) - rows)


def usage_overview(*, now: datetime.datetime, days: int = DAYS) -> UsageOverview:
    """The `days` UTC days ending today: every plan, the busiest keys and token users, and
    the keys closest to their quota."""
    last = now.astimezone(datetime.UTC).date()
    first = last - datetime.timedelta(days=days - 1)
    per_day: dict[datetime.date, int] = defaultdict(int)
    per_key = _per_owner(KEYS, first, last, per_day)
    per_user = _per_owner(USERS, first, last, per_day)
    keys, more_keys = _ranked(per_key, KEY_ROWS)
    users, more_users = _ranked(per_user, USER_ROWS)
    totals = Counts()
    for counts in (*per_key.values(), *per_user.values()):
        totals.add(counts)
    key_objects = APIKey.objects.select_related("owner", "plan").in_bulk([pk for pk, _ in keys])
    meters = UserMeter.objects.select_related("user", "plan").in_bulk([pk for pk, _ in users])
    default = default_user_plan()
    return UsageOverview(
        first=first,
        last=last,
        totals=totals,
        plans=_per_plan(per_key, per_user, default),
        keys=[KeyRow(key_objects[pk], counts) for pk, counts in keys if pk in key_objects],
        more_keys=more_keys,
        users=[
            UserRow(meters[pk].user, meters[pk].plan or default, counts)
            for pk, counts in users
            if pk in meters
        ],
        more_users=more_users,
        closest=closest_to_quota(now=now),
        daily_requests=[
            (day, per_day.get(day, 0))
            for day in (first + datetime.timedelta(days=n) for n in range(days))
        ],
    )


def _per_owner(
    source: _Source, first: datetime.date, last: datetime.date, per_day: dict[datetime.date, int]
) -> dict[int, Counts]:
    """Counts per key (or user) in the window; admitted requests are added to `per_day`."""
    per_owner: dict[int, Counts] = defaultdict(Counts)
    owner_id = f"{source.owner}_id"
    # Past days are archived; the meter's day (today, or the last active day) is not, and
    # wins over an archived row of the same day (as the key page's chart counts it).
    archived = source.daily._default_manager.filter(date__range=(first, last)).exclude(
        **{f"{source.owner}__{_meter_relation(source)}__day": F("date")}
    )
    for owner, count in archived.values_list(owner_id).annotate(n=Sum("count")):
        per_owner[owner].requests += count
    for day, count in archived.values_list("date").annotate(n=Sum("count")):
        per_day[day] += count
    current = source.meter._default_manager.filter(day__range=(first, last), day_count__gt=0)
    for owner, meter_day, count in current.values_list("pk", "day", "day_count"):
        per_owner[owner].requests += count
        if meter_day is not None:  # always, by the filter; the column is nullable
            per_day[meter_day] += count
    refused = (
        source.refusals._default_manager.filter(date__range=(first, last))
        .values(owner_id)
        .annotate(throttled_sum=Sum("throttled"), quota_sum=Sum("quota_refused"))
    )
    for row in refused:
        per_owner[row[owner_id]].throttled += row["throttled_sum"]
        per_owner[row[owner_id]].quota_refused += row["quota_sum"]
    return dict(per_owner)


def _meter_relation(source: _Source) -> str:
    """The reverse one-to-one name from the key (or user) to its meter."""
    return "meter" if source is KEYS else "usage_meter"


def _per_plan(
    per_key: dict[int, Counts], per_user: dict[int, Counts], default: UsagePlan | None
) -> list[PlanRow]:
    """Every plan (idle ones too), with its keys and token users counted and their usage."""
    plans = UsagePlan.objects.annotate(
        key_total=Count("api_keys", distinct=True), user_total=Count("user_meters", distinct=True)
    ).order_by("name")
    rows = {plan.pk: PlanRow(plan, keys=plan.key_total, users=plan.user_total) for plan in plans}
    if default is not None and default.pk in rows:  # token users without a plan of their own
        rows[default.pk].users += UserMeter.objects.filter(plan__isnull=True).count()
    key_plan = dict(APIKey.objects.filter(pk__in=per_key).values_list("pk", "plan_id"))
    user_plan = dict(UserMeter.objects.filter(pk__in=per_user).values_list("pk", "plan_id"))
    fallback = default.pk if default is not None else None
    for owners, plan_of in ((per_key, key_plan), (per_user, user_plan)):
        for owner, counts in owners.items():
            plan_id = plan_of.get(owner) or fallback
            if plan_id in rows:
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
