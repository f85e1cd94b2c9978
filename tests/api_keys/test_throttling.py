"""Throttle (token bucket) and quota over HTTP, with an injected clock: no sleeping."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client

from apps.api_keys.models import KeyMeter
from apps.api_keys.services import api_key_revoke
from tests.api_keys.clock import FakeClock
from tests.factories import PetFactory, UserFactory

pytestmark = pytest.mark.django_db

TOO_MANY = {"message": "Too Many Requests"}
LIMIT_EXCEEDED = {"message": "Limit Exceeded"}


def statuses(client: Any, count: int, path: str = "/v1/pets") -> list[int]:
    return [client.get(path).status_code for _ in range(count)]


def stored_count(key: Any) -> int:
    return int(KeyMeter.objects.get(pk=key.pk).period_count)


# --- Token bucket ---


def test_a_burst_admits_at_most_burst_requests_at_once(make_key, key_client, clock) -> None:
    client = key_client(make_key(rate=1, burst=5))

    assert statuses(client, 8) == [200] * 5 + [429] * 3


def test_throttled_response_is_too_many_requests_with_retry_after(
    make_key, key_client, clock
) -> None:
    client = key_client(make_key(rate=0.25, burst=1))
    client.get("/v1/pets")

    response = client.get("/v1/pets")

    assert response.status_code == 429
    assert response.json() == TOO_MANY
    assert response["Retry-After"] == "4"  # one token per 4 s


def test_the_bucket_refills_at_the_plans_rate(make_key, key_client, clock: FakeClock) -> None:
    client = key_client(make_key(rate=2, burst=5))
    assert statuses(client, 6) == [200] * 5 + [429]

    clock.advance(0.5)  # one token
    assert statuses(client, 2) == [200, 429]
    clock.advance(1.5)  # three tokens
    assert statuses(client, 4) == [200, 200, 200, 429]


def test_an_idle_bucket_never_holds_more_than_burst(make_key, key_client, clock) -> None:
    client = key_client(make_key(rate=100, burst=3))
    statuses(client, 3)

    clock.advance(3600)

    assert statuses(client, 5) == [200, 200, 200, 429, 429]


def test_a_clock_that_runs_backwards_adds_no_tokens(make_key, key_client, clock) -> None:
    client = key_client(make_key(rate=1, burst=2))
    statuses(client, 2)

    clock.advance(-30)

    assert statuses(client, 1) == [429]


def test_throttled_requests_do_not_count_against_the_quota(make_key, key_client, clock) -> None:
    key = make_key(rate=1, burst=2, limit=100)
    client = key_client(key)

    statuses(client, 10)

    assert stored_count(key) == 2


def test_keys_have_separate_buckets(make_key, key_client, make_plan, clock) -> None:
    plan = make_plan(rate=1, burst=1)
    first, second = make_key(plan=plan), make_key(plan=plan)

    assert statuses(key_client(first), 2) == [200, 429]
    assert statuses(key_client(second), 2) == [200, 429]


def test_a_revoked_key_in_a_burst_is_forbidden_from_then_on(make_key, key_client, clock) -> None:
    key = make_key(rate=1, burst=10)
    client = key_client(key)

    before = statuses(client, 3)
    api_key_revoke(key=key)
    after = [client.get("/v1/pets") for _ in range(3)]

    assert before == [200, 200, 200]
    assert [r.status_code for r in after] == [403, 403, 403]
    assert all(r.json() == {"message": "Forbidden"} for r in after)
    assert stored_count(key) == 3


# --- Quota ---


def test_the_quota_admits_limit_requests_then_limit_exceeded(
    make_key, key_client, clock: FakeClock
) -> None:
    key = make_key(limit=3, period="DAY")
    client = key_client(key)

    assert statuses(client, 3) == [200] * 3
    response = client.get("/v1/pets")

    assert response.status_code == 429
    assert response.json() == LIMIT_EXCEEDED
    # Noon UTC: twelve hours to midnight.
    assert response["Retry-After"] == str(12 * 3600)
    assert stored_count(key) == 3


def test_a_limit_of_zero_blocks_every_request(make_key, key_client, clock) -> None:
    response = key_client(make_key(limit=0)).get("/v1/pets")

    assert response.status_code == 429
    assert response.json() == LIMIT_EXCEEDED


def test_refused_requests_are_not_counted(make_key, key_client, clock) -> None:
    key = make_key(limit=2)
    client = key_client(key)

    statuses(client, 7)

    assert stored_count(key) == 2


def test_the_quota_resets_at_the_utc_day_boundary(make_key, key_client, clock: FakeClock) -> None:
    client = key_client(make_key(limit=2, period="DAY"))
    clock.set(datetime.datetime(2026, 1, 14, 23, 59, 59, tzinfo=datetime.UTC))
    assert statuses(client, 3) == [200, 200, 429]

    clock.set(datetime.datetime(2026, 1, 15, 0, 0, 0, tzinfo=datetime.UTC))
    response = client.get("/v1/usage")

    assert response.status_code == 200
    assert response.json()["quota"]["used"] == 1


def test_retry_after_at_one_second_before_the_boundary_is_one(
    make_key, key_client, clock: FakeClock
) -> None:
    client = key_client(make_key(limit=1, period="DAY"))
    clock.set(datetime.datetime(2026, 1, 14, 23, 59, 59, 500000, tzinfo=datetime.UTC))
    client.get("/v1/pets")

    response = client.get("/v1/pets")

    assert response["Retry-After"] == "1"


@pytest.mark.parametrize(
    ("offset", "last_blocked", "first_open"),
    [
        # Weeks start on Sunday (offset 0) or Monday (offset 1), at 00:00 UTC.
        (0, datetime.datetime(2026, 1, 17, 23, 59), datetime.datetime(2026, 1, 18)),
        (1, datetime.datetime(2026, 1, 18, 23, 59), datetime.datetime(2026, 1, 19)),
    ],
)
def test_a_weekly_quota_resets_on_the_offset_weekday(
    make_key, key_client, clock: FakeClock, offset, last_blocked, first_open
) -> None:
    client = key_client(make_key(limit=1, period="WEEK", offset=offset))
    assert statuses(client, 2) == [200, 429]

    clock.set(last_blocked.replace(tzinfo=datetime.UTC))
    assert statuses(client, 1) == [429]
    clock.set(first_open.replace(tzinfo=datetime.UTC))
    assert statuses(client, 2) == [200, 429]


def test_a_monthly_quota_resets_on_day_offset_plus_one(
    make_key, key_client, clock: FakeClock
) -> None:
    client = key_client(make_key(limit=1, period="MONTH", offset=14))  # resets on the 15th
    assert statuses(client, 2) == [200, 429]

    clock.set(datetime.datetime(2026, 1, 15, tzinfo=datetime.UTC))
    assert statuses(client, 2) == [200, 429]
    clock.set(datetime.datetime(2026, 2, 14, 23, 59, tzinfo=datetime.UTC))
    assert statuses(client, 1) == [429]
    clock.set(datetime.datetime(2026, 2, 15, tzinfo=datetime.UTC))
    assert statuses(client, 1) == [200]


# --- Plan changes ---


def test_raising_the_limit_mid_period_applies_to_the_next_request(
    make_key, key_client, clock
) -> None:
    key = make_key(limit=2)
    client = key_client(key)
    assert statuses(client, 3) == [200, 200, 429]

    key.plan.limit = 4
    key.plan.save()

    assert statuses(client, 3) == [200, 200, 429]
    assert stored_count(key) == 4


def test_lowering_the_limit_below_usage_blocks_at_once(make_key, key_client, clock) -> None:
    key = make_key(limit=10)
    client = key_client(key)
    statuses(client, 5)

    key.plan.limit = 3
    key.plan.save()

    assert client.get("/v1/pets").json() == LIMIT_EXCEEDED


def test_removing_the_limit_makes_the_plan_unlimited(make_key, key_client, clock) -> None:
    key = make_key(limit=1)
    client = key_client(key)
    statuses(client, 2)

    key.plan.limit = None
    key.plan.save()

    assert statuses(client, 3) == [200, 200, 200]


def test_lowering_the_burst_caps_the_bucket_at_the_next_request(
    make_key, key_client, clock
) -> None:
    key = make_key(rate=1, burst=10)
    client = key_client(key)
    statuses(client, 1)

    key.plan.burst = 2
    key.plan.save()

    assert statuses(client, 3) == [200, 200, 429]


def test_moving_a_key_to_another_plan_applies_at_once(
    make_key, key_client, make_plan, clock
) -> None:
    key = make_key(limit=1)
    client = key_client(key)
    statuses(client, 2)

    key.plan = make_plan(limit=5)
    key.save()

    assert statuses(client, 5) == [200, 200, 200, 200, 429]


# --- X-RateLimit-* headers ---


def test_keyed_responses_carry_quota_headers_whatever_the_status(
    make_key, key_client, user, clock
) -> None:
    client = key_client(make_key(limit=5))
    someone_elses = PetFactory(owner=UserFactory(username="carol"))

    responses = [
        client.get("/v1/pets"),  # 200
        client.post("/v1/pets", {"name": ""}, format="json"),  # 400
        client.get(f"/v1/pets/{someone_elses.pk}"),  # 404
        client.delete("/v1/pets"),  # 405
    ]

    assert [r.status_code for r in responses] == [200, 400, 404, 405]
    assert [r["X-RateLimit-Remaining"] for r in responses] == ["4", "3", "2", "1"]
    for response in responses:
        assert response["X-RateLimit-Limit"] == "5"
        assert response["X-RateLimit-Reset"] == str(12 * 3600)


def test_a_quota_refusal_carries_the_headers_too(make_key, key_client, clock) -> None:
    client = key_client(make_key(limit=1))
    client.get("/v1/pets")

    response = client.get("/v1/pets")

    assert response.status_code == 429
    assert (response["X-RateLimit-Limit"], response["X-RateLimit-Remaining"]) == ("1", "0")
    assert response["X-RateLimit-Reset"] == response["Retry-After"]


def test_a_throttle_refusal_carries_the_quota_headers(make_key, key_client, clock) -> None:
    client = key_client(make_key(rate=1, burst=1, limit=10))
    client.get("/v1/pets")

    response = client.get("/v1/pets")

    assert response.json() == TOO_MANY
    assert (response["X-RateLimit-Limit"], response["X-RateLimit-Remaining"]) == ("10", "9")


def test_an_unlimited_plan_says_unlimited(make_key, key_client, clock) -> None:
    response = key_client(make_key(limit=None)).get("/v1/pets")

    assert response["X-RateLimit-Limit"] == "unlimited"
    assert response["X-RateLimit-Remaining"] == "unlimited"
    assert response["X-RateLimit-Reset"] == str(12 * 3600)


def test_requests_without_a_key_carry_no_quota_headers(clock) -> None:
    responses = [Client().get("/v1/pets"), Client().get("/health"), Client().get("/nope")]

    for response in responses:
        assert "X-RateLimit-Limit" not in response


def test_staff_sessions_are_not_metered(make_key, clock) -> None:
    client = Client()
    client.force_login(UserFactory(username="staff", is_staff=True))

    response = client.get("/v1/pets")

    assert response.status_code == 200
    assert "X-RateLimit-Limit" not in response
    assert KeyMeter.objects.filter(period_count__gt=0).count() == 0


def test_changing_day_to_month_keeps_todays_count(make_key, key_client, clock) -> None:
    key = make_key(limit=3, period="DAY")
    client = key_client(key)
    statuses(client, 2)

    key.plan.period = "MONTH"
    key.plan.save()

    assert statuses(client, 2) == [200, 429]


def test_changing_month_to_day_starts_from_zero(make_key, key_client, clock: FakeClock) -> None:
    key = make_key(limit=2, period="MONTH")
    client = key_client(key)
    clock.set(datetime.datetime(2026, 1, 13, 12, tzinfo=datetime.UTC))
    statuses(client, 2)
    clock.set(datetime.datetime(2026, 1, 14, 12, tzinfo=datetime.UTC))

    key.plan.period = "DAY"
    key.plan.save()

    assert statuses(client, 3) == [200, 200, 429]


@pytest.mark.urls("tests.project.urls_boom")
def test_a_500_after_admission_carries_the_headers_and_counts(make_key, clock: FakeClock) -> None:
    key = make_key(limit=5)
    client = Client(raise_request_exception=False, HTTP_X_API_KEY=key.raw_key)

    response = client.get("/v1/boom")

    assert response.status_code == 500
    assert response.json() == {"message": "Internal Server Error"}
    assert (response["X-RateLimit-Limit"], response["X-RateLimit-Remaining"]) == ("5", "4")
    assert stored_count(key) == 1
