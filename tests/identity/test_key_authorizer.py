"""The optional Lambda authorizer for x-api-key: its decisions, and the API function that
trusts its context (from requestContext only), skips the key lookup and still meters
every request."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.api_keys.models import APIKey, KeyMeter
from apps.api_keys.services import api_key_revoke
from lambda_runtime.handler import authorize_api_key
from tests.api_keys.factories import APIKeyFactory, UsagePlanFactory
from tests.factories import PetFactory
from tests.identity.conftest import Invoke, body
from tests.lambda_runtime import events
from tests.lambda_runtime.conftest import LambdaContext
from tests.lambda_runtime.events import load

pytestmark = pytest.mark.django_db


AUTHORIZER_EVENT = "apigw-v2-custom-authorizer-v2-request.json"


def authorizer_event(raw_key: str | None) -> dict[str, Any]:
    """The payload 2.0 authorizer input (aws-lambda-go sample) for a request with this key."""
    event = load(AUTHORIZER_EVENT)
    event["headers"] = {"host": "abc.execute-api.eu-west-1.amazonaws.com"}
    event["identitySource"] = []
    if raw_key is not None:
        event["headers"]["x-api-key"] = raw_key
        event["identitySource"] = [raw_key]
    return event


def decide(raw_key: str | None) -> dict[str, Any]:
    return dict(
        authorize_api_key(json.loads(json.dumps(authorizer_event(raw_key))), LambdaContext())
    )


def with_context(context: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """An API request event as API Gateway sends it after the authorizer allowed it."""
    event = events.http_api(events.V2_LAMBDA_AUTHORIZER, **kwargs)
    event["requestContext"]["authorizer"] = {"lambda": context}
    return event


def test_a_good_key_is_allowed_with_owner_key_and_plan_as_context(user: Any) -> None:
    plan = UsagePlanFactory(name="Gold", limit=500)
    key = APIKeyFactory(owner=user, plan=plan)

    answer = decide(key.raw_key)

    assert answer == {
        "isAuthorized": True,
        "context": {
            "keyId": str(key.pk),
            "keyPrefix": key.prefix,
            "ownerId": str(user.pk),
            "planId": str(plan.pk),
            "planName": "Gold",
            "planRate": "1000.000",
            "planBurst": "1000",
            "planLimit": "500",
            "planPeriod": "DAY",
            "planOffset": "0",
        },
    }


@pytest.mark.parametrize("kind", ["missing", "malformed", "unknown", "wrong", "revoked", "expired"])
def test_an_unusable_key_is_denied(user: Any, kind: str) -> None:
    key = APIKeyFactory(owner=user)
    raw = {
        "missing": None,
        "malformed": "not a key",
        "unknown": "ZZZZZZZZ.abcdefabcdefabcdefabcdefabcdefab",
        "wrong": key.prefix + ".wrongsecretwrongsecretwrongsecret",
        "revoked": key.raw_key,
        "expired": key.raw_key,
    }[kind]
    if kind == "revoked":
        api_key_revoke(key=key)
    if kind == "expired":
        APIKey.objects.filter(pk=key.pk).update(
            expiry_date=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
        )

    assert decide(raw) == {"isAuthorized": False}


def test_a_database_error_is_raised_not_cached_as_a_deny(
    user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = APIKeyFactory(owner=user)

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("database unavailable")

    monkeypatch.setattr("apps.api_keys.authorizer.api_key_from_raw", broken)
    with pytest.raises(RuntimeError):
        decide(key.raw_key)


def test_the_function_trusts_the_context_without_reading_the_key(invoke: Invoke, user: Any) -> None:
    key = APIKeyFactory(owner=user)
    context = decide(key.raw_key)["context"]
    PetFactory(owner=user, name="Rex")

    with CaptureQueriesContext(connection) as queries:
        # Whatever x-api-key says, the authorizer's context decides.
        result = invoke(with_context(context, headers={"x-api-key": "ignored.value"}))

    assert result["statusCode"] == 200
    assert [pet["name"] for pet in body(result)["results"]] == ["Rex"]
    # No read of the key, its owner or its plan: the meter's UPDATE and the pets' SELECT.
    tables = ("api_keys_apikey", "auth_user", "api_keys_usageplan")
    assert not [q["sql"] for q in queries.captured_queries if any(t in q["sql"] for t in tables)]
    assert result["headers"]["x-ratelimit-remaining"] == "unlimited"


def test_metering_with_the_context_is_exact_and_enforced(invoke: Invoke, user: Any) -> None:
    key = APIKeyFactory(owner=user, plan=UsagePlanFactory(limit=3))
    context = decide(key.raw_key)["context"]

    statuses = [invoke(with_context(context))["statusCode"] for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    assert KeyMeter.objects.get(pk=key.pk).period_count == 3


def test_a_revoked_key_works_until_the_cached_answer_expires(invoke: Invoke, user: Any) -> None:
    # The documented window: API Gateway reuses the allowed answer for the TTL.
    key = APIKeyFactory(owner=user)
    context = decide(key.raw_key)["context"]
    api_key_revoke(key=key)

    assert invoke(with_context(context))["statusCode"] == 200
    assert decide(key.raw_key) == {"isAuthorized": False}  # the next authorizer call


def test_a_deleted_key_is_forbidden_even_from_a_cached_answer(invoke: Invoke, user: Any) -> None:
    key = APIKeyFactory(owner=user)
    context = decide(key.raw_key)["context"]
    APIKey.objects.filter(pk=key.pk).delete()

    result = invoke(with_context(context))

    assert result["statusCode"] == 403
    assert body(result) == {"message": "Forbidden"}


def test_usage_with_the_context_describes_the_key(invoke: Invoke, user: Any) -> None:
    key = APIKeyFactory(owner=user, name="ci key")
    context = decide(key.raw_key)["context"]

    document = body(invoke(with_context(context, path="/v1/usage")))

    assert document["key"] == {"prefix": key.prefix, "name": "ci key", "expires_at": None}
    assert document["quota"]["used"] == 1


@pytest.mark.parametrize(
    "change",
    [
        {"keyId": "one"},
        {"planRate": "0"},
        {"planPeriod": "YEAR"},
        {"planBurst": 5},
        {"keyPrefix": None},
    ],
)
def test_a_context_not_made_by_the_authorizer_falls_back_to_the_header(
    invoke: Invoke, user: Any, change: dict[str, Any]
) -> None:
    key = APIKeyFactory(owner=user)
    context = decide(key.raw_key)["context"] | change

    without_key = invoke(with_context(context))
    with_key = invoke(with_context(context, headers={"x-api-key": key.raw_key}))

    assert without_key["statusCode"] == 403
    assert with_key["statusCode"] == 200


def test_a_context_sent_as_a_header_authenticates_no_one(invoke: Invoke, user: Any) -> None:
    key = APIKeyFactory(owner=user)
    context = decide(key.raw_key)["context"]
    event = events.http_api(
        headers={"x-authorizer-context": json.dumps(context), **{k: v for k, v in context.items()}}
    )

    assert invoke(event)["statusCode"] == 403
