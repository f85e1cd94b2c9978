"""The adapter shapes HTTP API and REST API responses from the application's str headers; the
result equals what Mangum's own shaping (HTTPGateway.__call__, APIGateway.__call__, ALB.__call__)
makes of the same response as UTF-8 bytes, key for key and in the same order, but for one
deliberate difference: a payload 2.0 answer without a body gets no Content-Type it did not have."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mangum.handlers import ALB, APIGateway, HTTPGateway

from lambda_runtime.adapter import LambdaWSGIAdapter
from lambda_runtime.wsgi import WSGIResponse, mangum_response
from tests.lambda_runtime import events
from tests.lambda_runtime.conftest import LambdaContext

JSON = b'{"id": 7, "name": "Rex"}'
TYPICAL = [
    ("Content-Type", "application/json"),
    ("Vary", "Accept, Authorization, x-api-key"),
    ("Allow", "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"),
    ("ETag", '"abc123"'),
    ("Cache-Control", "private, no-cache"),
    ("X-RateLimit-Limit", "1000"),
    ("Content-Length", str(len(JSON))),
]
RESPONSES: dict[str, tuple[int, list[tuple[str, str]], bytes]] = {
    "typical": (200, TYPICAL, JSON),
    "no headers": (200, [], JSON),
    "no headers, no body": (204, [], b""),
    "no body, other headers": (204, [("Vary", "Cookie")], b""),
    "no body, a content type": (200, [("Content-Type", "text/plain")], b""),
    "no content type": (200, [("X-A", "1")], JSON),
    "repeated names in any case": (
        200,
        [("Vary", "Accept"), ("X-A", "1"), ("vary", "Cookie"), ("VARY", "Origin"), ("X-B", "2")],
        JSON,
    ),
    "cookies": (
        302,
        [
            ("Location", "/admin/"),
            ("Set-Cookie", " sessionid=abc; HttpOnly; Path=/"),
            ("X-A", "1"),
            ("set-cookie", " csrftoken=def; Path=/"),
        ],
        b"",
    ),
    "one cookie": (200, [("Set-Cookie", " a=b"), *TYPICAL], JSON),
    "repeated content type": (
        200,
        [("Content-Type", "application/json"), ("Content-Type", "application/json")],
        JSON,
    ),
    "binary": (200, [("Content-Type", "image/png")], b"\x89PNG\r\n\x1a\n\x00\xff"),
    "text that is not UTF-8": (200, [("Content-Type", "text/plain")], b"caf\xe9"),
    "non-ASCII and padded values": (
        200,
        [("Content-Type", "text/plain; charset=utf-8"), ("X-Name", " Zoë "), ("X-Pad", "a\t")],
        "café".encode(),
    ),
}
EVENTS = {
    "payload 2.0": lambda: events.http_api(path="/v1/pets"),
    "function URL": lambda: events.function_url(path="/v1/pets"),
    "payload 1.0": lambda: events.rest(events.HTTP_API_V1, path="/v1/pets"),
    "REST": lambda: events.rest(path="/v1/pets"),
    "ALB multi-value": lambda: events.alb(path="/v1/pets"),
    "ALB single": lambda: events.alb(events.ALB_SINGLE, path="/v1/pets"),
}


def _handler(event: dict[str, Any], **options: Any) -> Any:
    adapter = LambdaWSGIAdapter(lambda environ, start_response: [], **options)
    return adapter.infer(event, LambdaContext())


def _mangums(handler: Any, response: WSGIResponse) -> dict[str, Any]:
    mangum_cls = next(cls for cls in (ALB, HTTPGateway, APIGateway) if isinstance(handler, cls))
    expected: dict[str, Any] = mangum_cls.__call__(handler, mangum_response(response))
    # The one difference: Mangum's default Content-Type on an answer without a body.
    no_type = not any(name.lower() == "content-type" for name, _ in response["headers"])
    v2 = mangum_cls is HTTPGateway and handler.event["version"] == "2.0"
    if v2 and not response["body"] and no_type:
        expected["headers"].pop("content-type")
        if not expected["headers"]:
            del expected["headers"]
    if mangum_cls is ALB:
        expected["statusDescription"] = handler(response)["statusDescription"]
    return expected


@pytest.mark.parametrize("event_name", sorted(EVENTS))
@pytest.mark.parametrize("response_name", sorted(RESPONSES))
def test_the_adapter_shapes_a_response_as_mangum_does(event_name: str, response_name: str) -> None:
    status, headers, body = RESPONSES[response_name]
    response: WSGIResponse = {"status": status, "headers": list(headers), "body": body}
    handler = _handler(EVENTS[event_name]())

    result = handler(response)

    expected = _mangums(handler, response)
    assert result == expected
    assert json.dumps(result) == json.dumps(expected)  # the same keys in the same order


@pytest.mark.parametrize("event_name", ["REST", "payload 1.0", "payload 2.0"])
def test_excluded_headers_are_left_out_where_mangum_leaves_them_out(event_name: str) -> None:
    response: WSGIResponse = {
        "status": 200,
        "headers": [("X-Secret", "1"), ("Vary", "a"), ("x-secret", "2"), ("X-A", "1")],
        "body": JSON,
    }
    handler = _handler(EVENTS[event_name](), exclude_headers=["X-Secret"])

    result = handler(response)

    assert result == _mangums(handler, response)
    if event_name == "REST":
        assert "x-secret" not in result["multiValueHeaders"]
