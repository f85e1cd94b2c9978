"""The gateway's behaviour in front of the handler: routes, stage, CORS, limits, errors."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from localgateway.integrations import ThreadInvoker
from localgateway.server import GatewayApp
from localgateway.spec import load_spec
from tests.localgateway.conftest import TEMPLATE

pytestmark = pytest.mark.anyio

ORIGIN = "https://app.example.com"


async def test_request_reaches_the_handler_as_a_v2_event(client: httpx.AsyncClient) -> None:
    response = await client.get("/prod/v1/pets?species=cat&species=dog", headers={"X-Custom": "1"})

    assert response.status_code == 200
    event = response.json()
    assert event["version"] == "2.0"
    assert event["rawPath"] == "/prod/v1/pets"
    assert event["rawQueryString"] == "species=cat&species=dog"
    assert event["queryStringParameters"] == {"species": "cat,dog"}
    assert event["routeKey"] == "ANY /{proxy+}"
    assert event["pathParameters"] == {"proxy": "v1/pets"}
    assert event["requestContext"]["stage"] == "prod"
    assert event["requestContext"]["http"]["sourceIp"] == "203.0.113.9"
    assert event["headers"]["x-custom"] == "1"
    assert response.headers["apigw-requestid"] == event["requestContext"]["requestId"]


async def test_response_cookies_become_set_cookie_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/prod/v1/pets")

    assert response.headers.get_list("set-cookie") == ["session=abc; HttpOnly", "theme=dark"]


@pytest.mark.parametrize("path", ["/v1/pets", "/dev/v1/pets", "/", "/production/v1"])
async def test_outside_the_stage_is_404(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)

    assert response.status_code == 404
    assert response.content == b'{"message":"Not Found"}'  # AWS's bytes: compact JSON


async def test_default_stage_serves_at_the_root(
    make_client: Callable[..., httpx.AsyncClient],
) -> None:
    async with make_client(stage="$default") as client:
        response = await client.get("/v1/pets")

    assert response.status_code == 200
    assert response.json()["requestContext"]["stage"] == "$default"
    assert response.json()["rawPath"] == "/v1/pets"


async def test_preflight_is_answered_by_the_gateway(client: httpx.AsyncClient) -> None:
    response = await client.options(
        "/prod/v1/pets",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-api-key",
        },
    )

    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert response.headers["access-control-allow-methods"] == "GET,POST,PUT,PATCH,DELETE"
    assert response.headers["access-control-allow-headers"] == "content-type,x-api-key"
    assert response.headers["access-control-max-age"] == "600"
    assert response.content == b""  # the handler (which echoes) was not called


async def test_preflight_from_an_unknown_origin_gets_no_cors_headers(
    client: httpx.AsyncClient,
) -> None:
    response = await client.options(
        "/prod/v1/pets",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )

    assert response.status_code == 204
    assert "access-control-allow-origin" not in response.headers


async def test_backend_cors_headers_are_replaced(client: httpx.AsyncClient) -> None:
    allowed = await client.get("/prod/v1/pets", headers={"Origin": ORIGIN})
    denied = await client.get("/prod/v1/pets", headers={"Origin": "https://evil.example"})
    no_origin = await client.get("/prod/v1/pets")

    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    assert allowed.headers["access-control-expose-headers"] == "x-ratelimit-remaining"
    # The echo handler sends "access-control-allow-origin: *"; the gateway drops it.
    assert "access-control-allow-origin" not in denied.headers
    assert "access-control-allow-origin" not in no_origin.headers


async def test_plain_options_without_preflight_headers_goes_to_the_handler(
    client: httpx.AsyncClient,
) -> None:
    response = await client.options("/prod/v1/pets")

    assert response.status_code == 200
    assert response.json()["requestContext"]["http"]["method"] == "OPTIONS"


async def test_body_over_10_mb_is_413(client: httpx.AsyncClient) -> None:
    response = await client.post("/prod/v1/photos", content=b"x" * (10 * 1024 * 1024 + 1))

    assert response.status_code == 413
    assert response.json() == {"message": "Request Too Long"}


async def test_event_over_lambdas_6_mb_is_413(client: httpx.AsyncClient) -> None:
    # 5 MB of binary is about 6.7 MB of base64: over Lambda's invoke limit, under 10 MB.
    response = await client.post(
        "/prod/v1/photos", content=b"x" * (5 * 1024 * 1024), headers={"content-type": "image/jpeg"}
    )

    assert response.status_code == 413


async def test_binary_body_arrives_base64(client: httpx.AsyncClient) -> None:
    payload = bytes(range(256))

    response = await client.post(
        "/prod/v1/photos", content=payload, headers={"content-type": "image/png"}
    )

    event = response.json()
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == payload


async def test_headers_over_the_limit_are_rejected(client: httpx.AsyncClient) -> None:
    response = await client.get("/prod/v1/pets", headers={"X-Big": "a" * 16 * 1024})

    assert response.status_code == 431
    assert response.json() == {"message": "Request Header Fields Too Large"}


async def test_function_timeout_is_500_like_a_lambda_error(
    make_client: Callable[..., httpx.AsyncClient],
) -> None:
    async with make_client("tests.localgateway.handlers.slow") as client:  # function timeout 2 s
        response = await client.get("/prod/v1/pets")

    assert response.status_code == 500
    assert response.json() == {"message": "Internal Server Error"}


async def test_integration_timeout_is_503(make_client: Callable[..., httpx.AsyncClient]) -> None:
    async with make_client("tests.localgateway.handlers.slow", timeout=0.5) as client:
        response = await client.get("/prod/v1/pets")

    assert response.status_code == 503
    assert response.json() == {"message": "Service Unavailable"}


@pytest.mark.parametrize(
    "handler",
    ["boom", "bad_status", "unserialisable"],
)
async def test_handler_failures_are_500(
    make_client: Callable[..., httpx.AsyncClient], handler: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with make_client(f"tests.localgateway.handlers.{handler}") as client:
        response = await client.get("/prod/v1/pets")

    assert response.status_code == 500
    assert response.json() == {"message": "Internal Server Error"}


@pytest.mark.parametrize(
    ("handler", "body"),
    [("non_dict", b"[1, 2, 3]"), ("plain_dict", b'{"hello": "world"}')],
)
async def test_results_without_status_code_are_inferred(
    make_client: Callable[..., httpx.AsyncClient], handler: str, body: bytes
) -> None:
    async with make_client(f"tests.localgateway.handlers.{handler}") as client:
        response = await client.get("/prod/v1/pets")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content == body


async def test_binary_responses_are_decoded(make_client: Callable[..., httpx.AsyncClient]) -> None:
    async with make_client("tests.localgateway.handlers.binary") as client:
        response = await client.get("/prod/logo.png")

    assert response.content == b"\x89PNG\r\n\x1a\n\x00\xff"
    assert response.headers["content-type"] == "image/png"


async def test_route_throttling_answers_429(make_client: Callable[..., httpx.AsyncClient]) -> None:
    async with make_client(throttle_rate=0.001, throttle_burst=2) as client:
        statuses = [(await client.get("/prod/v1/pets")).status_code for _ in range(4)]

    assert statuses == [200, 200, 429, 429]


async def test_one_access_log_line_in_the_template_format(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="localgateway.access"):
        response = await client.get("/prod/v1/pets")
        await client.get("/nowhere")

    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "localgateway.access"]
    assert lines[0] == {
        "requestId": response.headers["apigw-requestid"],
        "routeKey": "ANY /{proxy+}",
        "status": "200",
        "ip": "203.0.113.9",
        "error": "-",
    }
    assert lines[1]["status"] == "404"
    assert len(lines) == 2


async def test_head_has_no_body(client: httpx.AsyncClient) -> None:
    response = await client.head("/prod/v1/pets")

    assert response.status_code == 200
    assert response.content == b""
    assert int(response.headers["content-length"]) > 0


async def test_client_disconnect_mid_body_sends_nothing() -> None:
    app = GatewayApp(
        load_spec(TEMPLATE), invoker=ThreadInvoker("tests.localgateway.handlers.echo", 1)
    )
    messages = iter(
        [{"type": "http.request", "body": b"part", "more_body": True}, {"type": "http.disconnect"}]
    )
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return next(messages)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/prod/v1/pets",
        "raw_path": b"/prod/v1/pets",
        "query_string": b"",
        "headers": [(b"host", b"h")],
        "client": ("1.2.3.4", 1),
        "server": ("127.0.0.1", 3000),
        "scheme": "http",
        "http_version": "1.1",
    }
    await app(scope, receive, send)

    assert sent == []


async def test_a_response_over_6_mb_is_500(make_client: Callable[..., httpx.AsyncClient]) -> None:
    async with make_client("tests.localgateway.handlers.huge") as client:
        response = await client.get("/prod/v1/pets")

    assert response.status_code == 500
    assert response.json() == {"message": "Internal Server Error"}


async def test_thread_slots_stay_taken_until_an_abandoned_call_ends(tmp_path: Path) -> None:
    from localgateway.events import LambdaContext
    from localgateway.integrations import InvocationTimeoutError

    invoker = ThreadInvoker("tests.localgateway.handlers.nap", 1)

    def context() -> LambdaContext:
        return LambdaContext(function_name="nap", timeout_ms=5000)

    with pytest.raises(InvocationTimeoutError):
        # Abandoned at its deadline; it goes on holding until released below.
        await invoker.invoke({"hold": str(tmp_path)}, context(), 0.2)
    with pytest.raises(InvocationTimeoutError):
        await invoker.invoke({"nap": 0}, context(), 0.3)  # no free slot while it holds
    (tmp_path / "release").touch()
    # The abandoned call ends and frees its slot (a generous bound, not a speed test) ...
    assert invoker.slots.acquire(timeout=60)
    invoker.slots.release()
    # ... and the next call gets it.
    assert (await invoker.invoke({"nap": 0}, context(), 60))["body"] == "awake"
