"""Turn a Lambda result into the HTTP response API Gateway sends (payload format 2.0)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    integration_error: str = ""

    def header(self, name: str) -> str | None:
        return next((v for n, v in self.headers if n.lower() == name.lower()), None)


class MalformedResultError(ValueError):
    """The handler returned something API Gateway cannot turn into a response."""


def gateway_error(status: int, message: str, *, reason: str = "") -> HttpResponse:
    """An error made by the gateway itself: API Gateway's own JSON bodies."""
    body = json.dumps({"message": message}, separators=(",", ":")).encode()  # As AWS sends it.
    return HttpResponse(status, [("content-type", "application/json")], body, reason or message)


def from_lambda_result(result: Any) -> HttpResponse:
    """Apply the 2.0 response rules; raise MalformedResultError where AWS answers 500.

    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
    """
    if isinstance(result, dict) and "statusCode" in result:
        return _structured(result)
    # Without statusCode the gateway infers 200, JSON, and the serialised value as the body.
    if isinstance(result, str):
        body = result.encode()
    else:
        try:
            body = json.dumps(result).encode()
        except (TypeError, ValueError) as exc:
            raise MalformedResultError(f"result is not JSON-serialisable: {exc}") from exc
    return HttpResponse(200, [("content-type", "application/json")], body)


def _structured(result: dict[str, Any]) -> HttpResponse:
    status = result["statusCode"]
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise MalformedResultError(f"invalid statusCode {status!r}")
    headers = result.get("headers") or {}
    cookies = result.get("cookies") or []
    if not isinstance(headers, dict) or not isinstance(cookies, list):
        raise MalformedResultError("headers must be an object and cookies an array")
    pairs = [(str(name), _header_value(value)) for name, value in headers.items()]
    pairs += [("set-cookie", str(cookie)) for cookie in cookies]
    body = result.get("body")
    if body is None:
        data = b""
    elif not isinstance(body, str):
        raise MalformedResultError("body must be a string")
    elif result.get("isBase64Encoded"):
        try:
            data = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise MalformedResultError("isBase64Encoded but the body is not base64") from exc
    else:
        data = body.encode()
    return HttpResponse(status, pairs, data)


def _header_value(value: Any) -> str:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    raise MalformedResultError(f"header value {value!r} is not a string")
