"""infra/template.yaml's REST API (FrontDoor=rest) served locally with the real handler: its
mock preflight and maintenance switch, its key-required routes, its validators and its
gateway responses in the app's error shape."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from apps.api_keys.models import KeyMeter, UsagePlan
from localgateway.integrations import ThreadInvoker
from localgateway.rest.server import RestGatewayApp
from localgateway.rest.spec import front_door, load_rest_spec
from tests.api_keys.clock import START, fake_clock
from tests.api_keys.factories import APIKeyFactory, UsagePlanFactory

pytestmark = [pytest.mark.anyio, pytest.mark.django_db(transaction=True)]

TEMPLATE = Path(__file__).resolve().parents[2] / "infra" / "template.yaml"
HANDLER = "lambda_runtime.handler.handler"
ORIGIN = "https://app.example.com"  # the template's default CorsAllowedOrigins


class CountingInvoker(ThreadInvoker):
    calls = 0

    async def invoke(self, event: dict[str, Any], context: Any, timeout: float) -> Any:
        type(self).calls += 1
        return await super().invoke(event, context, timeout)


@pytest.fixture(autouse=True)
def _settings(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.ROOT_URLCONF = "gatewayproject.urls"
    settings.API_KEYS = {
        **settings.API_KEYS,
        "GATEWAY_METERING": True,
        "CLOCK": "tests.api_keys.clock.fake_clock",
    }
    fake_clock.set(START)
    CountingInvoker.calls = 0
    yield
    fake_clock.set(START)


@pytest.fixture(autouse=True)
def _default_plan(transactional_db: None) -> None:
    UsagePlan.objects.get_or_create(
        name="Default", defaults={"rate": 10, "burst": 20, "limit": 10_000, "period": "DAY"}
    )


@pytest.fixture
def gateway() -> Callable[..., httpx.AsyncClient]:
    def make(**parameters: str) -> httpx.AsyncClient:
        spec = load_rest_spec(TEMPLATE, parameters={"FrontDoor": "rest", **parameters})
        app = RestGatewayApp(spec, invoker=CountingInvoker(HANDLER, 4))
        transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 50000))
        return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:3000")

    return make


def test_front_door_rest_is_served_as_the_rest_api_and_both_as_the_http_api() -> None:
    assert front_door(TEMPLATE, api=None, parameters={"FrontDoor": "rest"}) == "rest"
    assert front_door(TEMPLATE, api=None, parameters={"FrontDoor": "both"}) == "http"
    assert front_door(TEMPLATE, api="RestApi", parameters={"FrontDoor": "both"}) == "rest"
    assert front_door(TEMPLATE, api=None, parameters={}) == "http"


async def test_the_preflight_echoes_an_allowed_origin_without_the_function(
    gateway: Any,
) -> None:
    preflight = {"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}
    async with gateway() as client:
        allowed = await client.options("/prod/v1/pets", headers=preflight)
        other = await client.options(
            "/prod/v1/pets/7", headers={**preflight, "Origin": "https://evil.example"}
        )

    assert CountingInvoker.calls == 0
    assert allowed.status_code == 204
    assert allowed.content == b""
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    assert "POST" in allowed.headers["access-control-allow-methods"].split(",")
    assert "x-api-key" in allowed.headers["access-control-allow-headers"].split(",")
    assert allowed.headers["access-control-max-age"] == "600"
    assert allowed.headers["vary"] == "Origin"
    assert other.status_code == 204
    assert "access-control-allow-origin" not in other.headers


async def test_maintenance_is_a_503_with_retry_after_for_every_route(gateway: Any) -> None:
    async with gateway(MaintenanceMode="true", MaintenanceRetryAfter="120") as client:
        responses = [
            await client.get("/prod/v1/pets"),
            await client.post("/prod/v1/pets", json={"name": "Rex", "species": "dog"}),
            await client.get("/prod/health"),
        ]
        # The switch is an integration: a method's validator still runs before it, as on
        # AWS, so a body the model refuses is a 400 even in maintenance.
        invalid = await client.post("/prod/v1/pets", json={})

    assert CountingInvoker.calls == 0
    for response in responses:
        assert response.status_code == 503
        assert response.headers["retry-after"] == "120"
        assert response.headers["content-type"] == "application/json"
        assert response.json() == {"message": "Service Unavailable"}
    assert invalid.status_code == 400


async def test_metered_routes_need_a_key_and_are_counted_once(gateway: Any) -> None:
    key = APIKeyFactory(plan=UsagePlanFactory(rate=Decimal("100"), burst=100, limit=10))
    async with gateway() as client:
        missing = await client.get("/prod/v1/pets")
        keyed = await client.get("/prod/v1/pets", headers={"x-api-key": key.raw_key})
        public = await client.get("/prod/health")

    assert missing.status_code == 403
    assert missing.json() == {"message": "Forbidden"}
    assert keyed.status_code == 200
    assert public.status_code == 200
    assert KeyMeter.objects.get(key=key).period_count == 1


async def test_gateway_errors_have_the_apps_error_shape(gateway: Any) -> None:
    key = APIKeyFactory()
    headers = {"x-api-key": key.raw_key}
    async with gateway() as client:
        gateway_400 = await client.post("/prod/v1/pets", json={"name": "Rex"}, headers=headers)
        app_400 = await client.post(
            "/prod/v1/pets", json={"name": "Rex", "species": "dog", "birth_date": "x"},
            headers=headers,
        )  # fmt: skip
        no_method = await client.delete("/prod/health")
        no_stage = await client.get("/dev/health")

    assert gateway_400.status_code == app_400.status_code == 400
    # API Gateway's validator and the app answer with the same shape.
    for body in (gateway_400.json(), app_400.json()):
        assert set(body) == {"message", "errors"}
        assert isinstance(body["message"], str)
        assert isinstance(body["errors"], dict)
    assert gateway_400.json()["message"] == "Invalid request body"
    # No such method or stage: the template's MISSING_AUTHENTICATION_TOKEN response.
    for response in (no_method, no_stage):
        assert response.status_code == 403
        assert response.json() == {"message": "Forbidden"}


@pytest.mark.parametrize(
    "plan",
    [{"limit": 2}, {"rate": Decimal("1"), "burst": 2}],
    ids=["quota", "throttle"],
)
async def test_both_front_doors_enforce_a_plan_alike(plan: dict[str, Any]) -> None:
    """FrontDoor=both: the same key and plan through the HTTP API (Django meters) and the
    REST API (the gateway meters) give the client the same statuses and messages."""
    from localgateway.server import GatewayApp
    from localgateway.spec import load_spec

    parameters = {"FrontDoor": "both"}
    apps = {
        "http": GatewayApp(
            load_spec(TEMPLATE, parameters=parameters), invoker=ThreadInvoker(HANDLER, 4)
        ),
        "rest": RestGatewayApp(
            load_rest_spec(TEMPLATE, api="RestApi", parameters=parameters),
            invoker=ThreadInvoker(HANDLER, 4),
        ),
    }
    seen: dict[str, list[Any]] = {}
    for door, app in apps.items():
        key = APIKeyFactory(plan=UsagePlanFactory(**{"rate": Decimal("1000"), **plan}))
        fake_clock.set(START)
        transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            for _ in range(3):
                response = await client.get("/prod/v1/pets", headers={"x-api-key": key.raw_key})
                seen.setdefault(door, []).append((response.status_code, response.json()))
        # Counted once either way: by Django on the HTTP API, by the gateway on the REST API.
        assert KeyMeter.objects.get(key=key).period_count == 2

    assert [status for status, _ in seen["http"]] == [200, 200, 429]
    assert seen["http"][2] == seen["rest"][2]
    assert [status for status, _ in seen["rest"]] == [200, 200, 429]


class Clock:
    """Epoch seconds the gateway's stage cache reads."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_the_stage_caches_the_public_documents_only() -> None:
    """RestCacheClusterSize above 0: /v1/openapi.json is cached per Host, Accept, format and
    lang for RestCacheTtl; owner data never; max-age=0 refetches."""
    clock = Clock()
    spec = load_rest_spec(
        TEMPLATE,
        parameters={"FrontDoor": "rest", "RestCacheClusterSize": "0.5", "RestCacheTtl": "60"},
    )
    app = RestGatewayApp(spec, invoker=CountingInvoker(HANDLER, 4), clock=clock)
    key = APIKeyFactory()
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:

        async def calls_for(path: str, **headers: str) -> int:
            before = CountingInvoker.calls
            response = await client.get(path, headers=headers)
            assert response.status_code == 200, response.text
            return CountingInvoker.calls - before

        document = "/prod/v1/openapi.json"
        assert await calls_for(document) == 1
        assert await calls_for(document) == 0  # from the cache
        assert await calls_for(document, accept="application/json") == 1
        assert await calls_for(f"{document}?lang=de") == 1
        assert await calls_for(document, **{"cache-control": "max-age=0"}) == 1
        clock.now += 61  # past RestCacheTtl
        assert await calls_for(document) == 1
        assert await calls_for("/prod/v1/pets", **{"x-api-key": key.raw_key}) == 1
        assert await calls_for("/prod/v1/pets", **{"x-api-key": key.raw_key}) == 1
        assert await calls_for("/prod/health") == 1
        assert await calls_for("/prod/health") == 1
    # The cached document still counted nothing against a key: it needs none.
    assert KeyMeter.objects.get(key=key).period_count == 2


async def test_without_a_cache_cluster_nothing_is_cached(gateway: Any) -> None:
    async with gateway() as client:
        for _ in range(2):
            await client.get("/prod/v1/openapi.json")

    assert CountingInvoker.calls == 2
