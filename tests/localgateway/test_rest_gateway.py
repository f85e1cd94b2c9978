"""The REST API variant in front of the handler: payload 1.0 events, REST's results and
errors, the mock integration, request validators and the template's gateway responses."""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from localgateway.integrations import ThreadInvoker
from localgateway.rest.server import RestGatewayApp
from localgateway.rest.spec import front_door, load_rest_spec

pytestmark = pytest.mark.anyio

REST_TEMPLATE = Path(__file__).parent / "fixtures" / "rest.yaml"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "aws-events"
ECHO = "tests.localgateway.handlers.rest_echo"
REST = {"FrontDoor": "RestApi"}


@pytest.fixture
def make_rest() -> Callable[..., httpx.AsyncClient]:
    def make(handler: str = ECHO, **parameters: str) -> httpx.AsyncClient:
        spec = load_rest_spec(REST_TEMPLATE, parameters={**REST, **parameters})
        app = RestGatewayApp(spec, invoker=ThreadInvoker(handler, 4))
        transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 50000))
        return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:3000")

    return make


@pytest.fixture
async def rest(make_rest: Callable[..., httpx.AsyncClient]) -> Any:
    async with make_rest() as client:
        yield client


def test_the_front_door_follows_the_template_and_its_parameters() -> None:
    assert front_door(REST_TEMPLATE, api=None, parameters={}) == "http"
    assert front_door(REST_TEMPLATE, api=None, parameters=REST) == "rest"
    assert front_door(REST_TEMPLATE, api="RestApi", parameters={}) == "rest"
    assert front_door(REST_TEMPLATE, api="HttpApi", parameters={}) == "http"


async def test_a_public_method_gets_a_rest_proxy_event(rest: httpx.AsyncClient) -> None:
    response = await rest.get(
        "/prod/health?tag=a&tag=b&one=1", headers={"X-Custom": "1", "User-Agent": "t/1"}
    )

    assert response.status_code == 200
    event = response.json()
    assert "version" not in event  # REST events have none (HTTP API 1.0 ones do)
    assert event["resource"] == "/{proxy+}"
    assert event["path"] == "/health"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"proxy": "health"}
    assert event["queryStringParameters"] == {"tag": "b", "one": "1"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b"], "one": ["1"]}
    assert event["stageVariables"] == {"release": "r42"}
    assert event["body"] is None
    assert event["isBase64Encoded"] is False
    headers = {name.lower(): value for name, value in event["headers"].items()}
    assert headers["x-custom"] == "1"
    assert headers["x-forwarded-for"] == "203.0.113.9"
    assert headers["x-forwarded-proto"] == "http"
    assert headers["x-amzn-trace-id"].startswith("Root=1-")
    context = event["requestContext"]
    assert context["stage"] == "prod"
    assert context["path"] == "/prod/health"
    assert context["resourcePath"] == "/{proxy+}"
    assert context["httpMethod"] == "GET"
    assert len(context["requestTimeEpoch"].__str__()) == 13  # milliseconds
    assert context["identity"]["sourceIp"] == "203.0.113.9"
    assert context["identity"]["userAgent"] == "t/1"
    # A method that takes no key names none, even when the client sends one.
    assert context["identity"]["apiKey"] is None
    assert context["identity"]["apiKeyId"] is None
    assert response.headers["x-amzn-requestid"] == context["requestId"]
    assert response.headers["x-amz-apigw-id"] == context["extendedRequestId"]


async def test_rest_results_keep_multi_value_headers(rest: httpx.AsyncClient) -> None:
    response = await rest.get("/prod/health")

    assert response.headers.get_list("set-cookie") == ["a=1", "b=2"]
    # A name in both maps keeps only its multiValueHeaders values.
    assert response.headers.get_list("x-one") == ["multi"]


@pytest.mark.parametrize(
    ("path", "why"),
    [("/prod/fail", "the function raised"), ("/prod/malformed", "a 2.0-only key (cookies)")],
)
async def test_a_function_error_or_malformed_result_is_a_502(
    rest: httpx.AsyncClient, path: str, why: str
) -> None:
    response = await rest.get(path)

    assert response.status_code == 502, why
    body = response.json()
    # The template's DEFAULT_5XX: $context and $stageVariables filled in.
    assert body == {
        "message": "Internal server error",
        "requestId": response.headers["x-amzn-requestid"],
        "release": "r42",
    }


@pytest.mark.parametrize("path", ["/prod/nowhere/v2", "/dev/health", "/health", "/"])
async def test_unknown_stages_resources_and_methods_are_missing_authentication_token(
    rest: httpx.AsyncClient, path: str
) -> None:
    response = await rest.delete(path)

    assert response.status_code == 403
    assert response.json() == {"message": "Missing Authentication Token"}
    assert response.headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"
    # DEFAULT_4XX's headers: a literal and one taken from the request.
    assert response.headers["access-control-allow-origin"] == "*"


async def test_gateway_response_headers_may_echo_the_request(rest: httpx.AsyncClient) -> None:
    response = await rest.delete("/prod/nowhere", headers={"Origin": "https://a.example"})

    assert response.headers["x-echo-origin"] == "https://a.example"


@pytest.mark.parametrize(
    ("content_type", "encoded"),
    [("image/png", True), ("multipart/form-data; boundary=x", True), ("text/plain", False)],
)
async def test_request_bodies_are_base64_for_binary_media_types_only(
    rest: httpx.AsyncClient, content_type: str, encoded: bool
) -> None:
    body = b"\x89PNG\r\n" if encoded else b"plain text"
    response = await rest.post("/prod/upload", content=body, headers={"content-type": content_type})

    event = response.json()
    assert event["isBase64Encoded"] is encoded
    assert (base64.b64decode(event["body"]) if encoded else event["body"].encode()) == body


async def test_a_base64_response_is_decoded_only_for_a_binary_accept(
    rest: httpx.AsyncClient,
) -> None:
    as_image = await rest.get("/prod/binary", headers={"accept": "image/png"})
    as_json = await rest.get("/prod/binary", headers={"accept": "application/json"})

    assert as_image.content == b"\x89PNG\r\n\x1a\n\x00\xff"
    # As from AWS: without a binary Accept the client gets the base64 text.
    assert base64.b64decode(as_json.content) == b"\x89PNG\r\n\x1a\n\x00\xff"


class CountingInvoker(ThreadInvoker):
    """The function, counting how often the gateway invokes it."""

    calls = 0

    async def invoke(self, event: dict[str, Any], context: Any, timeout: float) -> Any:
        type(self).calls += 1
        return await super().invoke(event, context, timeout)


def counting_client(**parameters: str) -> httpx.AsyncClient:
    CountingInvoker.calls = 0
    spec = load_rest_spec(REST_TEMPLATE, parameters={**REST, **parameters})
    app = RestGatewayApp(spec, invoker=CountingInvoker(ECHO, 2))
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:3000")


async def test_the_preflight_is_a_mock_that_never_invokes_the_function() -> None:
    async with counting_client() as client:
        response = await client.options(
            "/prod/v1/pets", headers={"Origin": "https://app.example.com"}
        )

    assert CountingInvoker.calls == 0

    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["access-control-allow-methods"] == "GET,POST,PUT,PATCH,DELETE"
    assert "x-amzn-requestid" in response.headers


async def test_maintenance_answers_503_with_retry_after_without_the_function() -> None:
    async with counting_client(Maintenance="true") as client:
        response = await client.get("/prod/v1/pets", headers={"x-api-key": "anything"})
        assert CountingInvoker.calls == 0
        public = await client.get("/prod/health")

    assert response.status_code == 503
    assert response.headers["retry-after"] == "600"
    assert response.json() == {"message": "Down for maintenance"}
    assert public.status_code == 200  # only the switched methods


async def test_missing_required_parameters_are_a_400(rest: httpx.AsyncClient) -> None:
    blank = await rest.get("/prod/v1/search?q=", headers={"X-Client": "c"})
    neither = await rest.get("/prod/v1/search")
    both = await rest.get("/prod/v1/search?q=cats", headers={"X-Client": "c"})

    assert blank.status_code == 400
    assert blank.json() == {"message": "Missing required request parameters: [q]", "errors": {}}
    assert blank.headers["x-amzn-errortype"] == "BadRequestException"
    assert neither.json()["message"] == "Missing required request parameters: [q, X-Client]"
    assert both.status_code == 200


async def test_the_body_is_validated_against_the_model(rest: httpx.AsyncClient) -> None:
    """POST /v1/pets requires a key: the key check comes first, so these carry one that
    the echo-handler gateway cannot know; the validation path is exercised through the
    module directly below and through the real handler in test_rest_keys.py."""
    response = await rest.post("/prod/v1/pets", json={"name": "Rex"})

    assert response.status_code == 403


def test_body_validation_errors_name_what_is_wrong() -> None:
    from localgateway.rest.validation import validate

    spec = load_rest_spec(REST_TEMPLATE, parameters=REST)
    method = next(m for m in spec.methods if m.key == "POST /v1/pets")
    headers = {"content-type": "application/json"}

    def check(body: bytes) -> Any:
        return validate(method, headers=headers, query={}, path_parameters={}, body=body)

    assert check(json.dumps({"name": "Rex", "species": "cat"}).encode()) is None
    missing = check(json.dumps({"name": "Rex"}).encode())
    assert missing.type == "BAD_REQUEST_BODY"
    assert missing.message == "Invalid request body"
    assert "'species' is a required property" in missing.validation_error
    wrong = check(json.dumps({"name": "Rex", "species": "fish"}).encode())
    assert "(at /species)" in wrong.validation_error
    assert check(b"{not json").validation_error == "Invalid JSON"
    assert check(b"").type == "BAD_REQUEST_BODY"


async def test_a_body_over_10_mb_is_request_too_long(rest: httpx.AsyncClient) -> None:
    response = await rest.post("/prod/upload", content=b"x" * (10 * 1024 * 1024 + 1))

    assert response.status_code == 413
    assert response.json() == {"message": "Request Too Long"}


async def test_an_integration_timeout_is_504_and_a_function_timeout_502() -> None:
    spec = load_rest_spec(REST_TEMPLATE, parameters=REST)
    slow = "tests.localgateway.handlers.slow"  # sleeps 10 s
    integration = RestGatewayApp(spec, invoker=ThreadInvoker(slow, 2), timeout_override=0.2)
    short_function = dataclasses.replace(
        spec,
        methods=tuple(dataclasses.replace(m, function_timeout_ms=200) for m in spec.methods),
    )
    function = RestGatewayApp(short_function, invoker=ThreadInvoker(slow, 2))
    answers = []
    for app in (integration, function):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            answers.append(await client.get("/prod/health"))

    assert answers[0].status_code == 504
    # Through the template's DEFAULT_5XX (INTEGRATION_TIMEOUT has no response of its own).
    assert answers[0].json()["message"] == "Endpoint request timed out"
    assert answers[0].json()["release"] == "r42"
    # Lambda stops the function first: a function error, which a REST API answers 502.
    assert answers[1].status_code == 502


async def test_the_event_has_the_keys_of_a_real_rest_capture(rest: httpx.AsyncClient) -> None:
    """tests/fixtures/aws-events/apigw-request.json (aws-lambda-go, a REST API capture): the
    same keys at each level; `authorizer` only behind an authorizer."""
    fixture = json.loads((FIXTURES / "apigw-request.json").read_text())
    event = (await rest.post("/prod/upload?a=1", content=b"{}")).json()

    assert set(event) == set(fixture) | {"isBase64Encoded"}
    assert set(event["requestContext"]) == set(fixture["requestContext"]) - {"authorizer"}
    assert set(event["requestContext"]["identity"]) >= set(fixture["requestContext"]["identity"])


async def test_a_resource_without_the_method_falls_through_to_one_that_has_it(
    rest: httpx.AsyncClient,
) -> None:
    """/v1/search has GET only: a POST there is served by /v1/{proxy+}'s ANY (which wants a
    key), as measured on AWS (floci-io/floci#3399: precedence is per method request)."""
    response = await rest.post("/prod/v1/search", content=b"{}")

    assert response.status_code == 403
    assert response.headers["x-amzn-errortype"] == "ForbiddenException"  # not a missing route
