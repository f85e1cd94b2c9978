"""Turn a Lambda proxy result into the REST API's response (payload 1.0 rules).

https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from localgateway.rest.events import is_binary
from localgateway.results import HttpResponse, MalformedResultError

# A REST API answers 502 "Malformed Lambda proxy response" to any other key.
RESULT_KEYS = frozenset({"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"})


def from_rest_result(
    result: Any, *, accept: str | None, binary_media_types: tuple[str, ...]
) -> HttpResponse:
    """The response; MalformedResultError where API Gateway answers 502.

    A base64 body is decoded only when the request's first Accept type is a binary media
    type; otherwise the client gets the base64 text, as from AWS.
    """
    if not isinstance(result, dict) or "statusCode" not in result:
        raise MalformedResultError("the result is not an object with a statusCode")
    if extra := sorted(set(result) - RESULT_KEYS):
        raise MalformedResultError(f"unexpected keys {extra}")
    status = result["statusCode"]
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise MalformedResultError(f"invalid statusCode {status!r}")
    headers = _headers(result.get("headers"), result.get("multiValueHeaders"))
    body = result.get("body")
    if body is None:
        return HttpResponse(status, headers, b"")
    if not isinstance(body, str):
        raise MalformedResultError("body must be a string")
    first_accept = (accept or "").split(",", 1)[0]
    if result.get("isBase64Encoded") is True and is_binary(first_accept, binary_media_types):
        try:
            return HttpResponse(status, headers, base64.b64decode(body, validate=True))
        except (binascii.Error, ValueError) as exc:
            raise MalformedResultError("isBase64Encoded but the body is not base64") from exc
    return HttpResponse(status, headers, body.encode())


def _headers(single: Any, multi: Any) -> list[tuple[str, str]]:
    """Both maps; a name in both keeps only its `multiValueHeaders` values."""
    single = single or {}
    multi = multi or {}
    if not isinstance(single, dict) or not isinstance(multi, dict):
        raise MalformedResultError("headers and multiValueHeaders must be objects")
    in_multi = {str(name).lower() for name in multi}
    pairs = [(str(n), _text(v)) for n, v in single.items() if str(n).lower() not in in_multi]
    for name, values in multi.items():
        if not isinstance(values, list):
            raise MalformedResultError(f"multiValueHeaders[{name!r}] must be an array")
        pairs += [(str(name), _text(value)) for value in values]
    return pairs


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (str, int, float)):
        return str(value)
    raise MalformedResultError(f"header value {value!r} is not a string")
