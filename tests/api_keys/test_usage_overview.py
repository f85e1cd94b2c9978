"""The admin's usage overview: requests and refusals per plan and key over 30 days, the keys
closest to their quota, links to each key; staff only; a fixed number of queries."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.api_keys import refusals
from apps.api_keys import usage_overview as overview_module
from apps.api_keys.models import (
    DailyRefusals,
    DailyUsage,
    KeyMeter,
    UserDailyRefusals,
    UserDailyUsage,
    UserMeter,
)
from apps.api_keys.services import api_key_revoke
from apps.api_keys.usage_overview import usage_overview
from tests.api_keys.clock import START, FakeClock
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]

URL = "/admin/api_keys/apikey/usage/"
TODAY = START.date()


def ago(days: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=days)


@pytest.fixture
def staff_client() -> Client:
    client = Client()
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def usage(make_key, make_plan, key_client, clock: FakeClock) -> dict[str, Any]:
    """Gold (quota 100): `busy` with history; Free (quota 3): `tight` refused, `idle` unused."""
    gold, free = make_plan(name="Gold", limit=100), make_plan(name="Free", limit=3)
    busy, tight, idle = make_key(plan=gold), make_key(plan=free), make_key(plan=free)
    DailyUsage.objects.create(key=busy, date=ago(5), count=40)
    DailyUsage.objects.create(key=busy, date=ago(29), count=2)  # the window's first day
    DailyUsage.objects.create(key=busy, date=ago(30), count=1000)  # outside the window
    DailyRefusals.objects.create(key=busy, date=ago(3), throttled=4, quota_refused=0)
    DailyRefusals.objects.create(key=busy, date=ago(31), throttled=500, quota_refused=500)
    for _ in range(7):
        key_client(busy).get("/v1/pets")
    for _ in range(5):  # 3 admitted, 2 refused for quota
        key_client(tight).get("/v1/pets")
    refusals.refusals_flush()  # what the process held (apps.api_keys.refusals)
    return {"gold": gold, "free": free, "busy": busy, "tight": tight, "idle": idle}


def test_counts_per_key_and_plan_over_30_days(usage: dict[str, Any], clock: FakeClock) -> None:
    overview = usage_overview(now=clock.now)

    assert (overview.first, overview.last) == (ago(29), TODAY)
    keys = {row.key.pk: row.counts for row in overview.keys}
    busy, tight = keys[usage["busy"].pk], keys[usage["tight"].pk]
    assert (busy.requests, busy.throttled, busy.quota_refused) == (49, 4, 0)
    assert (tight.requests, tight.throttled, tight.quota_refused) == (3, 0, 2)
    assert usage["idle"].pk not in keys
    assert [row.key.pk for row in overview.keys] == [usage["busy"].pk, usage["tight"].pk]
    plans = {row.plan.name: row for row in overview.plans}
    assert plans["Gold"].keys == 1
    assert plans["Free"].keys == 2
    assert (plans["Gold"].counts.requests, plans["Gold"].counts.throttled) == (49, 4)
    assert (plans["Free"].counts.requests, plans["Free"].counts.quota_refused) == (3, 2)
    assert (overview.totals.requests, overview.totals.throttled) == (52, 4)
    assert overview.totals.quota_refused == 2
    days = dict(overview.daily_requests)
    assert len(days) == 30
    assert (days[ago(29)], days[ago(5)], days[TODAY]) == (2, 40, 10)


def test_the_meters_day_is_not_counted_twice(make_key, clock: FakeClock) -> None:
    key = make_key()
    # An archived row for the day the meter still holds: the meter's count wins.
    KeyMeter.objects.filter(pk=key.pk).update(day=TODAY, day_count=9)
    DailyUsage.objects.create(key=key, date=TODAY, count=5)

    overview = usage_overview(now=clock.now)

    assert overview.keys[0].counts.requests == 9
    assert dict(overview.daily_requests)[TODAY] == 9


def test_closest_to_quota_by_share_used_active_keys_only(
    usage: dict[str, Any], make_key, clock: FakeClock
) -> None:
    revoked = make_key(plan=usage["free"])
    KeyMeter.objects.filter(pk=revoked.pk).update(period_start=START, period_count=3)
    api_key_revoke(key=revoked)

    closest = usage_overview(now=clock.now).closest

    # tight: 3/3 (100%), busy: 7/100 this period (its history is in past periods).
    assert [(row.key.pk, row.used, row.limit, row.percent) for row in closest] == [
        (usage["tight"].pk, 3, 3, 100),
        (usage["busy"].pk, 7, 100, 7),
    ]


def test_a_used_count_from_an_earlier_period_is_not_headroom(make_key, clock: FakeClock) -> None:
    key = make_key(limit=10)
    yesterday = START - datetime.timedelta(days=1)
    KeyMeter.objects.filter(pk=key.pk).update(period_start=yesterday, period_count=9)

    assert usage_overview(now=clock.now).closest == []


def test_the_page_shows_the_tables_with_links_to_each_key(
    staff_client: Client, usage: dict[str, Any]
) -> None:
    response = staff_client.get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    for name in ("busy", "tight"):
        assert f'href="/admin/api_keys/apikey/{usage[name].pk}/change/"' in html
    assert f'href="/admin/api_keys/usageplan/{usage["gold"].pk}/change/"' in html
    plans = html[html.index('id="usage-plans"') : html.index('id="usage-closest"')]
    row = plans[plans.index(">Gold<") + 1 :].split("</tr>")[0]
    gold_row = re.sub(r"<[^>]+>", " ", row)
    assert gold_row.split() == ["Gold", "1", "0", "49", "4", "0"]
    assert '<meter min="0" max="100" value="100">' in html
    assert 'role="img"' in html  # the 30-day chart of every key's requests


def test_an_empty_project_says_so(staff_client: Client, clock: FakeClock) -> None:
    html = staff_client.get(URL).content.decode()

    assert "No key made a request in these days." in html
    assert "No key has used any of a quota this period." in html


def test_only_staff_who_may_view_keys_see_it(usage: dict[str, Any]) -> None:
    anonymous = Client().get(URL)
    staff = UserFactory(username="helpdesk", is_staff=True)
    no_permission = Client()
    no_permission.force_login(staff)
    refused = no_permission.get(URL)
    staff.user_permissions.add(
        Permission.objects.get(codename="view_apikey", content_type__app_label="api_keys")
    )
    allowed = Client()
    allowed.force_login(staff)

    assert anonymous.status_code == 302
    assert "/admin/login/" in anonymous["Location"]
    assert refused.status_code == 403
    assert allowed.get(URL).status_code == 200


def test_the_key_list_links_to_the_overview(staff_client: Client) -> None:
    html = staff_client.get("/admin/api_keys/apikey/").content.decode()

    assert f'href="{URL}"' in html


def test_more_keys_than_shown_are_counted(
    staff_client: Client, make_key, make_plan, monkeypatch: pytest.MonkeyPatch, clock
) -> None:
    monkeypatch.setattr(overview_module, "KEY_ROWS", 2)
    plan = make_plan()
    for n in range(4):
        DailyUsage.objects.create(key=make_key(plan=plan), date=ago(1), count=10 + n)

    overview = usage_overview(now=clock.now)

    assert [row.counts.requests for row in overview.keys] == [13, 12]
    assert overview.more_keys == 2
    assert "2 more key(s) with usage are not shown." in staff_client.get(URL).content.decode()


def test_the_page_costs_the_same_queries_for_3_or_30_keys(
    staff_client: Client, make_key, make_plan, clock: FakeClock
) -> None:
    plans = [make_plan(limit=50), make_plan(limit=None)]

    def add_keys(count: int) -> int:
        for n in range(count):
            key = make_key(plan=plans[n % 2])
            DailyUsage.objects.create(key=key, date=ago(2), count=n + 1)
            DailyRefusals.objects.create(key=key, date=ago(2), throttled=1, quota_refused=n)
            KeyMeter.objects.filter(pk=key.pk).update(
                day=TODAY, day_count=1, period_start=START, period_count=n + 1
            )
        with CaptureQueriesContext(connection) as queries:
            assert staff_client.get(URL).status_code == 200
        return len(queries.captured_queries)

    assert add_keys(3) == add_keys(27)


def test_token_users_count_per_plan_and_in_their_own_table(
    staff_client: Client, usage: dict[str, Any], clock: FakeClock
) -> None:
    assigned = UserFactory(username="tokenuser")
    unassigned = UserFactory(username="defaultuser")
    UserMeter.objects.create(user=assigned, plan=usage["gold"], day=TODAY, day_count=5)
    UserMeter.objects.create(user=unassigned, day=ago(1), day_count=2)
    UserDailyUsage.objects.create(user=assigned, date=ago(3), count=10)
    UserDailyRefusals.objects.create(user=assigned, date=ago(3), throttled=1, quota_refused=6)

    overview = usage_overview(now=clock.now)

    plans = {row.plan.name: row for row in overview.plans}
    gold, default = plans["Gold"], plans["Default"]
    assert (gold.keys, gold.users) == (1, 1)
    assert (gold.counts.requests, gold.counts.throttled, gold.counts.quota_refused) == (64, 5, 6)
    assert (default.users, default.counts.requests) == (1, 2)  # no plan: the default plan
    users = [(row.user.pk, row.plan.name, row.counts.total) for row in overview.users]
    assert users == [(assigned.pk, "Gold", 22), (unassigned.pk, "Default", 2)]
    assert dict(overview.daily_requests)[TODAY] == 15  # 10 keyed + 5 by the token user
    html = staff_client.get(URL).content.decode()
    assert f'href="/admin/api_keys/usermeter/{assigned.pk}/change/"' in html
