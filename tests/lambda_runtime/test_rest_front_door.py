"""REST API events (payload 1.0) through the handler: the app's routes, and metering that
leaves to API Gateway what its usage plan already counted, and nothing else."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from botocore.stub import Stubber
from django.urls import set_script_prefix

from apps.api_keys.gateway import client as gateway_client
from apps.api_keys.gateway.models import GatewayAPIKey, SyncState
from apps.api_keys.models import KeyMeter
from apps.api_keys.services import api_key_revoke
from tests.api_keys.factories import APIKeyFactory, UsagePlanFactory
from tests.factories import UserFactory
from tests.lambda_runtime import events
from tests.lambda_runtime.conftest import Invoke, body_json, header

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _real_routes(settings: Any) -> Iterator[None]:
    settings.ROOT_URLCONF = "gatewayproject.urls"
    yield
    # The handler set this thread's script prefix to the stage ("/prod") for each event.
    set_script_prefix("/")


@pytest.fixture
def key() -> Any:
    plan = UsagePlanFactory(rate=Decimal("100"), burst=100, limit=1000)
    return APIKeyFactory(owner=UserFactory(), plan=plan)


def rest_event(
    raw_key: str, *, metered_key: str | None, path: str = "/v1/pets", key_id: str = "k1x2y3"
) -> dict[str, Any]:
    """A REST event for GET `path` with x-api-key; `metered_key`: the key value API
    Gateway says it checked against a usage plan (None: a method that needs no key)."""
    event = events.rest(path=path, headers={"x-api-key": [raw_key]}, stage="prod")
    identity = event["requestContext"]["identity"]
    identity["apiKey"] = metered_key
    identity["apiKeyId"] = key_id if metered_key is not None else None
    return event


def metered(key: Any) -> int:
    return int(KeyMeter.objects.get(key=key).period_count)


def test_a_rest_event_reaches_the_app(invoke: Invoke, key: Any) -> None:
    result = invoke(rest_event(key.raw_key, metered_key=None))

    assert result["statusCode"] == 200
    assert body_json(result)["count"] == 0
    # A REST response: multiValueHeaders (payload 1.0), not cookies.
    assert "multiValueHeaders" in result


def test_what_the_gateway_metered_is_not_metered_again(
    invoke: Invoke, key: Any, settings: Any
) -> None:
    settings.API_KEYS = {**settings.API_KEYS, "GATEWAY_METERING": True}

    result = invoke(rest_event(key.raw_key, metered_key=key.raw_key))

    assert result["statusCode"] == 200
    assert metered(key) == 0
    # No quota figures: API Gateway holds them (and its own 429s).
    assert header(result, "x-ratelimit-remaining") is None


@pytest.mark.parametrize(
    ("setting", "metered_key", "why"),
    [
        (False, "same", "the setting is off: Django meters every keyed request"),
        (True, None, "the method needs no key: API Gateway metered nothing"),
        (True, "another" + "x" * 33, "API Gateway checked a different key value"),
    ],
)
def test_everything_else_is_metered_here(
    invoke: Invoke, key: Any, settings: Any, setting: bool, metered_key: str | None, why: str
) -> None:
    settings.API_KEYS = {**settings.API_KEYS, "GATEWAY_METERING": setting}
    checked = key.raw_key if metered_key == "same" else metered_key

    result = invoke(rest_event(key.raw_key, metered_key=checked))

    assert result["statusCode"] == 200, why
    assert metered(key) == 1, why
    assert header(result, "x-ratelimit-remaining") == "999", why


def test_http_api_events_are_always_metered_here(invoke: Invoke, key: Any, settings: Any) -> None:
    settings.API_KEYS = {**settings.API_KEYS, "GATEWAY_METERING": True}

    result = invoke(events.http_api(path="/v1/pets", headers={"x-api-key": key.raw_key}))

    assert result["statusCode"] == 200
    assert metered(key) == 1


def test_a_revoked_key_is_refused_here_even_if_the_gateway_let_it_through(
    invoke: Invoke, key: Any, settings: Any
) -> None:
    """The sync disables revoked keys in API Gateway, but Django never relies on it, nor on
    the copy of the key this process kept from the request before."""
    settings.API_KEYS = {**settings.API_KEYS, "GATEWAY_METERING": True}
    event = rest_event(key.raw_key, metered_key=key.raw_key)
    assert invoke(event)["statusCode"] == 200
    api_key_revoke(key=key)

    result = invoke(event)

    assert result["statusCode"] == 403
    assert body_json(result) == {"message": "Forbidden"}


def test_usage_reads_api_gateways_figures_when_it_metered(
    invoke: Invoke, key: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    settings.API_KEYS = {
        **settings.API_KEYS,
        "GATEWAY_METERING": True,
        "GATEWAY_REST_API_ID": "abc123",
        "GATEWAY_STAGE": "prod",
        "CLOCK": "tests.api_keys.clock.fake_clock",
    }
    GatewayAPIKey.objects.create(
        key=key, gateway_id="gk1", gateway_plan_id="gp1", state=SyncState.SYNCED
    )
    gateway_client._client.cache_clear()
    today = datetime.date(2026, 1, 14)  # tests.api_keys.clock.START
    stub = Stubber(gateway_client.client())
    stub.add_response(
        "get_usage",
        {"usagePlanId": "gp1", "items": {"gk1": [[37, 963]]}},
        {"usagePlanId": "gp1", "keyId": "gk1", "startDate": str(today), "endDate": str(today)},
    )
    usage = rest_event(key.raw_key, metered_key=key.raw_key, path="/v1/usage")
    with stub:
        result = invoke(usage)
        again = invoke(usage)
    gateway_client._client.cache_clear()

    assert result["statusCode"] == 200
    quota = body_json(result)["quota"]
    assert (quota["used"], quota["remaining"], quota["limit"]) == (37, 963, 1000)
    # The second read is served from the short cache: one GetUsage call in all.
    assert body_json(again)["quota"]["used"] == 37
    stub.assert_no_pending_responses()
    assert metered(key) == 0


def test_usage_is_a_503_when_api_gateway_cannot_say(
    invoke: Invoke, key: Any, settings: Any
) -> None:
    settings.API_KEYS = {
        **settings.API_KEYS,
        "GATEWAY_METERING": True,
        "GATEWAY_REST_API_ID": "abc123",
        "GATEWAY_STAGE": "prod",
    }

    # No record of the key in API Gateway (made before the sync, say).
    result = invoke(rest_event(key.raw_key, metered_key=key.raw_key, path="/v1/usage"))

    assert result["statusCode"] == 503
    assert header(result, "retry-after") is not None
    assert body_json(result)["message"] == "Service Unavailable"
