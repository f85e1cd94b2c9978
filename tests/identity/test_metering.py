"""A token user is metered like a key: throttle, quota, 429 shapes, headers, /v1/usage, the
plan staff assign (else the default plan) and the daily history the admin charts."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from apps.api_keys import refusals
from apps.api_keys.models import UsagePlan, UserDailyRefusals, UserDailyUsage, UserMeter
from apps.identity.models import IdentityLink
from tests.api_keys.factories import UsagePlanFactory
from tests.identity.conftest import ISSUER, Invoke, body, claims_for, jwt_event
from tests.redis_service import REDIS_URL, redis_or_skip

pytestmark = pytest.mark.django_db


def _assign(plan: UsagePlan, subject: str = "sub-alice") -> None:
    """What staff do in the admin: a meter with a plan for the (signed-in) user."""
    user = IdentityLink.objects.get(subject=subject).user
    UserMeter.objects.update_or_create(user=user, defaults={"plan": plan})


def _sign_in(invoke: Invoke, subject: str = "sub-alice") -> dict[str, Any]:
    return invoke(jwt_event(claims_for(subject)))


def test_token_user_gets_the_default_plan_and_rate_limit_headers(
    invoke: Invoke, clock: Any
) -> None:
    result = _sign_in(invoke)

    assert result["statusCode"] == 200
    headers = result["headers"]
    assert headers["x-ratelimit-limit"] == "10000"  # the "Default" plan of the migration
    assert headers["x-ratelimit-remaining"] == "9999"
    assert UserMeter.objects.get().plan is None  # no assignment: the default applies


def test_quota_used_up_is_a_429_limit_exceeded_and_not_counted(invoke: Invoke, clock: Any) -> None:
    _sign_in(invoke)
    _assign(UsagePlanFactory(limit=2))

    second = _sign_in(invoke)
    third = _sign_in(invoke)

    assert second["statusCode"] == 200
    assert second["headers"]["x-ratelimit-remaining"] == "0"
    assert third["statusCode"] == 429
    assert body(third) == {"message": "Limit Exceeded"}
    assert int(third["headers"]["retry-after"]) == 12 * 3600  # to the next UTC midnight
    assert UserMeter.objects.get().period_count == 2
    # Counted as refused for the admin's usage overview, per user and day.
    refusals.refusals_flush()
    refused = UserDailyRefusals.objects.get()
    assert (refused.user_id, refused.throttled, refused.quota_refused) == (
        UserMeter.objects.get().pk,
        0,
        1,
    )


def test_an_empty_bucket_is_a_429_too_many_requests(invoke: Invoke, clock: Any) -> None:
    _sign_in(invoke)
    _assign(UsagePlanFactory(rate=Decimal("0.5"), burst=1))

    first = _sign_in(invoke)
    second = _sign_in(invoke)
    clock.advance(2)
    later = _sign_in(invoke)

    assert first["statusCode"] == 200
    assert second["statusCode"] == 429
    assert body(second) == {"message": "Too Many Requests"}
    assert second["headers"]["retry-after"] == "2"
    assert later["statusCode"] == 200


def test_users_are_metered_apart(invoke: Invoke, clock: Any) -> None:
    _sign_in(invoke, "sub-alice")
    _assign(UsagePlanFactory(limit=2), "sub-alice")  # the sign-in counted one
    _sign_in(invoke, "sub-bob")
    _assign(UsagePlanFactory(limit=2), "sub-bob")

    assert _sign_in(invoke, "sub-alice")["statusCode"] == 200
    assert _sign_in(invoke, "sub-bob")["statusCode"] == 200
    assert _sign_in(invoke, "sub-alice")["statusCode"] == 429


def test_usage_describes_the_token_user_and_plan(invoke: Invoke, clock: Any) -> None:
    _sign_in(invoke)
    _assign(UsagePlanFactory(name="Gold", limit=100))

    result = invoke(jwt_event(claims_for(scope="openid"), path="/v1/usage"))

    assert result["statusCode"] == 200
    document = body(result)
    assert document["key"] is None
    assert document["token"] == {"issuer": ISSUER, "subject": "sub-alice"}
    assert document["plan"]["name"] == "Gold"
    assert (document["quota"]["limit"], document["quota"]["used"]) == (100, 2)  # both requests


def test_no_plan_at_all_is_a_403_not_a_500(invoke: Invoke, clock: Any) -> None:
    UsagePlan.objects.filter(name="Default").delete()

    result = _sign_in(invoke)

    assert result["statusCode"] == 403
    assert body(result) == {"message": "Forbidden"}


def test_a_new_day_archives_yesterday_for_the_chart(
    invoke: Invoke, clock: Any, admin_client: Any
) -> None:
    _sign_in(invoke)
    _sign_in(invoke)
    clock.advance(24 * 3600)
    _sign_in(invoke)

    archived = UserDailyUsage.objects.get()
    assert (archived.date, archived.count) == (datetime.date(2026, 1, 14), 2)
    user = get_user_model().objects.get(username__startswith="token-")
    page = admin_client.get(f"/admin/api_keys/usermeter/{user.pk}/change/")
    assert page.status_code == 200
    assert "2026-01-14: 2 requests" in page.content.decode()


def test_staff_assign_a_plan_without_touching_the_counters(
    invoke: Invoke, clock: Any, admin_client: Any
) -> None:
    _sign_in(invoke)
    gold = UsagePlanFactory(name="Gold")
    meter = UserMeter.objects.get()

    response = admin_client.post(f"/admin/api_keys/usermeter/{meter.pk}/change/", {"plan": gold.pk})

    assert response.status_code == 302
    meter.refresh_from_db()
    assert (meter.plan, meter.period_count) == (gold, 1)


def test_with_redis_a_token_user_has_a_bucket_of_its_own(
    invoke: Invoke, clock: Any, settings: Any
) -> None:
    client = redis_or_skip()
    prefix = f"test-identity-{uuid.uuid4().hex}"
    settings.API_KEYS = {**settings.API_KEYS, "REDIS_URL": REDIS_URL, "REDIS_KEY_PREFIX": prefix}
    try:
        _sign_in(invoke)
        user_id = IdentityLink.objects.get().user_id
        _assign(UsagePlanFactory(rate=Decimal("0.001"), burst=2))

        statuses = [_sign_in(invoke)["statusCode"] for _ in range(3)]

        assert statuses == [200, 200, 429]  # the bucket is capped at the new burst, 2
        assert client.exists(f"{prefix}:bucket:user:{user_id}")
        assert UserMeter.objects.get().period_count == 3  # the refused one is not counted
    finally:
        for name in client.scan_iter(match=f"{prefix}:*"):
            client.delete(name)
