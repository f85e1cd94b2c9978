"""The local REST API's API keys and usage plans, from the admin's data, through the real
Lambda handler: API Gateway's 403/429 answers before the function, the key named in the
event, Django's own metering off, and the same outcomes as the HTTP API front door where
both apply (docs/api-keys.md, docs/rest-api.md)."""

from __future__ import annotations

import datetime
import json
import logging
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from apps.api_keys.models import APIKey, DailyRefusals, KeyMeter, UsagePlan
from apps.api_keys.services import api_key_revoke
from localgateway.integrations import ThreadInvoker
from localgateway.rest.server import RestGatewayApp
from localgateway.rest.spec import load_rest_spec
from localgateway.rest.usage_plans import key_id
from localgateway.server import GatewayApp
from localgateway.spec import load_spec
from tests.api_keys.clock import START, fake_clock
from tests.api_keys.factories import APIKeyFactory, UsagePlanFactory

pytestmark = [pytest.mark.anyio, pytest.mark.django_db(transaction=True)]

TEMPLATE = Path(__file__).parent / "fixtures" / "rest.yaml"
HANDLER = "lambda_runtime.handler.handler"
ECHO = "tests.localgateway.handlers.rest_echo"


@pytest.fixture(autouse=True)
def _settings(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Async tests read the database between requests; the gateway runs the handler in
    # threads, as rungateway does.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.ROOT_URLCONF = "gatewayproject.urls"
    # What rungateway sets in REST mode (and the template's REST front door on AWS).
    settings.API_KEYS = {
        **settings.API_KEYS,
        "GATEWAY_METERING": True,
        "CLOCK": "tests.api_keys.clock.fake_clock",
        "KEY_CACHE_SECONDS": 0,
    }
    fake_clock.set(START)
    yield
    fake_clock.set(START)


@pytest.fixture(autouse=True)
def _default_plan(transactional_db: None) -> None:
    """The "Default" plan a data migration makes; each transactional test's flush drops it."""
    UsagePlan.objects.get_or_create(
        name="Default", defaults={"rate": 10, "burst": 20, "limit": 10_000, "period": "DAY"}
    )


def client_for(app: Any) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:3000")


@pytest.fixture
def rest() -> Callable[..., httpx.AsyncClient]:
    def make(handler: str = HANDLER) -> httpx.AsyncClient:
        spec = load_rest_spec(TEMPLATE, parameters={"FrontDoor": "RestApi", "Handler": handler})
        return client_for(RestGatewayApp(spec, invoker=ThreadInvoker(handler, 4)))

    return make


def http_api() -> httpx.AsyncClient:
    spec = load_spec(TEMPLATE, parameters={"FrontDoor": "HttpApi", "Handler": HANDLER})
    return client_for(GatewayApp(spec, invoker=ThreadInvoker(HANDLER, 4)))


def make_key(**plan: Any) -> APIKey:
    fields = {"rate": Decimal("1000"), "burst": 1000, "limit": None} | plan
    return APIKeyFactory(plan=UsagePlanFactory(**fields))


def metered(key: APIKey) -> int:
    return int(KeyMeter.objects.get(key=key).period_count)


async def test_a_valid_key_reaches_the_app_counted_once(rest: Any) -> None:
    key = make_key(limit=100)
    async with rest() as client:
        response = await client.get("/prod/v1/pets", headers={"x-api-key": key.raw_key})

    assert response.status_code == 200
    assert response.json()["count"] == 0
    # Counted by the gateway's usage plan only: the app saw identity.apiKeyId and left it.
    assert metered(key) == 1
    # The quota headers are the app's own metering's: API Gateway sends none.
    assert "x-ratelimit-remaining" not in response.headers


async def test_the_event_names_the_key_the_gateway_checked(rest: Any) -> None:
    key = make_key()
    async with rest(ECHO) as client:
        keyed = await client.get("/prod/v1/pets", headers={"x-api-key": key.raw_key})
        public = await client.get("/prod/health", headers={"x-api-key": key.raw_key})

    identity = keyed.json()["requestContext"]["identity"]
    assert identity["apiKey"] == key.raw_key
    assert identity["apiKeyId"] == key_id(key.pk)
    # A method that needs no key: no key named, and nothing metered for it.
    assert public.json()["requestContext"]["identity"]["apiKey"] is None
    assert metered(key) == 1


@pytest.mark.parametrize("case", ["missing", "unknown", "malformed", "revoked", "expired"])
async def test_a_missing_unknown_or_disabled_key_is_a_403_before_the_function(
    rest: Any, case: str
) -> None:
    key = make_key()
    headers = {
        "missing": {},
        "unknown": {"x-api-key": "Zz9yXw8v" + "a" * 32},
        "malformed": {"x-api-key": "not a key"},
        "revoked": {"x-api-key": key.raw_key},
        "expired": {"x-api-key": key.raw_key},
    }[case]
    if case == "revoked":
        api_key_revoke(key=key)
    if case == "expired":
        APIKey.objects.filter(pk=key.pk).update(expiry_date=START - datetime.timedelta(hours=1))
    async with rest(ECHO) as client:
        response = await client.get("/prod/v1/pets", headers=headers)

    assert response.status_code == 403
    assert response.json() == {"message": "Forbidden"}
    assert response.headers["x-amzn-errortype"] == "ForbiddenException"
    assert metered(key) == 0


async def test_quota_is_limit_exceeded_and_refusals_are_not_counted(rest: Any) -> None:
    key = make_key(limit=2)
    async with rest(ECHO) as client:
        statuses = [
            (await client.get("/prod/v1/pets", headers={"x-api-key": key.raw_key})).status_code
            for _ in range(2)
        ]
        refused = await client.get("/prod/v1/pets", headers={"x-api-key": key.raw_key})

    assert statuses == [200, 200]
    assert refused.status_code == 429
    assert refused.json() == {"message": "Limit Exceeded"}
    assert refused.headers["x-amzn-errortype"] == "LimitExceededException"
    assert metered(key) == 2
    # Counted as refused for the admin's usage overview, as on the HTTP API front door.
    assert DailyRefusals.objects.get(key=key).quota_refused == 1


async def test_an_empty_bucket_is_too_many_requests_until_it_refills(rest: Any) -> None:
    key = make_key(rate=Decimal("1"), burst=1)
    headers = {"x-api-key": key.raw_key}
    async with rest(ECHO) as client:
        first = await client.get("/prod/v1/pets", headers=headers)
        throttled = await client.get("/prod/v1/pets", headers=headers)
        fake_clock.advance(1)  # one token back at 1 request/s
        again = await client.get("/prod/v1/pets", headers=headers)

    assert (first.status_code, again.status_code) == (200, 200)
    assert throttled.status_code == 429
    assert throttled.json() == {"message": "Too Many Requests"}
    assert throttled.headers["x-amzn-errortype"] == "TooManyRequestsException"
    assert metered(key) == 2
    assert DailyRefusals.objects.get(key=key).throttled == 1


async def test_the_body_validator_answers_before_the_app(rest: Any) -> None:
    key = make_key()
    headers = {"x-api-key": key.raw_key}
    async with rest() as client:
        invalid = await client.post("/prod/v1/pets", json={"name": "Rex"}, headers=headers)
        valid = await client.post(
            "/prod/v1/pets", json={"name": "Rex", "species": "dog"}, headers=headers
        )

    assert invalid.status_code == 400
    body = invalid.json()
    # The template's BAD_REQUEST_BODY: the app's {"message", "errors"} shape.
    assert body["message"] == "Invalid request body"
    assert "'species' is a required property" in body["errors"]["body"][0]
    assert valid.status_code == 201, valid.text
    assert valid.json()["name"] == "Rex"


@pytest.mark.parametrize(
    ("plan", "requests", "expected"),
    [
        ({"limit": 2}, 3, [200, 200, (429, "Limit Exceeded")]),
        ({"rate": Decimal("1"), "burst": 2}, 3, [200, 200, (429, "Too Many Requests")]),
        ({"limit": 0}, 1, [(429, "Limit Exceeded")]),
    ],
)
async def test_enforcement_matches_the_http_api_front_door(
    rest: Any, plan: dict[str, Any], requests: int, expected: list[Any]
) -> None:
    """Where both front doors apply a usage plan, a client sees the same statuses and
    messages: Django meters on the HTTP API, the gateway on the REST API."""
    outcomes = {}
    for door, client_of in (("http", http_api), ("rest", rest)):
        key = make_key(**plan)
        fake_clock.set(START)
        async with client_of() as client:
            seen = []
            for _ in range(requests):
                response = await client.get("/prod/v1/pets", headers={"x-api-key": key.raw_key})
                seen.append(
                    response.status_code
                    if response.status_code == 200
                    else (response.status_code, response.json()["message"])
                )
            missing = await client.get("/prod/v1/pets")
        outcomes[door] = (seen, missing.status_code, missing.json())

    assert outcomes["http"] == outcomes["rest"]
    assert outcomes["rest"] == (expected, 403, {"message": "Forbidden"})


async def test_the_access_log_names_the_key_its_plan_and_the_refusal(
    rest: Any, caplog: pytest.LogCaptureFixture
) -> None:
    key = make_key(limit=1)
    headers = {"x-api-key": key.raw_key}
    with caplog.at_level(logging.INFO, logger="localgateway.access"):
        async with rest(ECHO) as client:
            admitted = await client.get("/prod/v1/pets", headers=headers)
            await client.get("/prod/v1/pets", headers=headers)

    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "localgateway.access"]
    assert [line["status"] for line in lines] == ["200", "429"]
    assert lines[0]["requestId"] == admitted.headers["x-amzn-requestid"]
    assert lines[0]["resourcePath"] == "/v1/{proxy+}"
    assert lines[0]["apiKeyId"] == key_id(key.pk)
    assert lines[0]["usagePlanId"] == f"localplan{key.plan_id}"
    assert lines[1]["errorType"] == "QUOTA_EXCEEDED"
    assert lines[1]["apiKeyId"] == key_id(key.pk)  # the key its usage plan refused
    assert lines[1]["error"] == "usage plan quota"
    assert raw_key_absent(lines, key.raw_key)


def raw_key_absent(lines: list[dict[str, Any]], raw_key: str) -> bool:
    return all(raw_key not in json.dumps(line) for line in lines)


async def test_usage_reads_what_the_local_gateway_counted(rest: Any) -> None:
    """No REST API to ask GetUsage locally: /v1/usage reads the key's meter, which the
    local gateway's usage plan filled (once per request, this one included)."""
    key = make_key(limit=10)
    headers = {"x-api-key": key.raw_key}
    async with rest() as client:
        await client.get("/prod/v1/pets", headers=headers)
        usage = await client.get("/prod/v1/usage", headers=headers)

    assert usage.status_code == 200, usage.text
    quota = usage.json()["quota"]
    assert (quota["used"], quota["remaining"], quota["limit"]) == (2, 8, 10)
    assert metered(key) == 2
