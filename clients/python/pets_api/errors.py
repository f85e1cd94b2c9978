"""Typed errors: every answer of 400 or more raises one, whatever its body (the API's JSON, or
a proxy's HTML page)."""

from __future__ import annotations

import email.utils
import json
import time
from typing import Any

import httpx

__all__ = [
    "ApiError",
    "BadRequest",
    "Conflict",
    "Forbidden",
    "NotFound",
    "PayloadTooLarge",
    "PreconditionFailed",
    "PreconditionRequired",
    "ServerError",
    "ServiceUnavailable",
    "TooManyRequests",
    "Unauthorized",
    "UnprocessableEntity",
    "UnsupportedMediaType",
    "error_for",
    "retry_after",
]

# How much of a non-JSON body an error message quotes.
SNIPPET = 200


class ApiError(Exception):
    """An error answer. `message` and `errors` come from the API's `{"message", "errors"}`
    body; anything else (an HTML page from a proxy, an empty body) keeps its text in `body`."""

    status: int
    message: str
    errors: dict[str, list[str]]
    headers: httpx.Headers
    body: bytes
    request: httpx.Request | None

    def __init__(self, response: httpx.Response) -> None:
        self.status = response.status_code
        try:
            self.request = response.request
        except RuntimeError:  # A response built by hand has none.
            self.request = None
        self.headers = response.headers
        self.body = response.content
        document = _json_object(response)
        message = document.get("message") if document else None
        self.message = message if isinstance(message, str) else _fallback_message(response)
        self.errors = _field_errors(document.get("errors") if document else None)
        self.request_id = response.headers.get("apigw-requestid")
        super().__init__(f"{self.status} {self.message}")

    @property
    def retry_after(self) -> float | None:
        """Seconds the server asked to wait (Retry-After), if it said."""
        return retry_after(self.headers)

    @property
    def etag(self) -> str | None:
        """The object's current ETag, where the server sent one (412)."""
        value = self.headers.get("etag")
        return str(value) if value is not None else None


class BadRequest(ApiError):
    """400: `errors` names each bad field or parameter."""


class Unauthorized(ApiError):
    """401."""


class Forbidden(ApiError):
    """403: a missing, unknown, revoked or expired key (or a token without the scope)."""


class NotFound(ApiError):
    """404: no such object (someone else's is a 404 too), route, or page."""


class Conflict(ApiError):
    """409: a request with the same Idempotency-Key is still running; see `retry_after`."""


class PreconditionFailed(ApiError):
    """412: If-Match did not match; `etag` is the object's current ETag."""


class PayloadTooLarge(ApiError):
    """413: the body is over the size limit."""


class UnsupportedMediaType(ApiError):
    """415."""


class UnprocessableEntity(ApiError):
    """422: this Idempotency-Key was used for a different request."""


class PreconditionRequired(ApiError):
    """428: the server requires If-Match on this write."""


class TooManyRequests(ApiError):
    """429: throttled (`Too Many Requests`) or out of quota (`Limit Exceeded`)."""


class ServerError(ApiError):
    """5xx from the app, the gateway, or a proxy in between."""


class ServiceUnavailable(ServerError):
    """503: try again after `retry_after` seconds."""


BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    412: PreconditionFailed,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
    422: UnprocessableEntity,
    428: PreconditionRequired,
    429: TooManyRequests,
    503: ServiceUnavailable,
}


def error_for(response: httpx.Response) -> ApiError:
    """The typed error for a response of 400 or more (its body must have been read)."""
    kind = BY_STATUS.get(response.status_code)
    if kind is None:
        kind = ServerError if response.status_code >= 500 else ApiError
    return kind(response)


def retry_after(headers: httpx.Headers, *, now: float | None = None) -> float | None:
    """Retry-After in seconds: delta-seconds or an HTTP date; None when absent or unreadable."""
    value = str(headers.get("retry-after", "")).strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        document = json.loads(response.content)
    except ValueError:  # Not JSON (an HTML error page), or not UTF-8.
        return None
    return document if isinstance(document, dict) else None


def _field_errors(value: Any) -> dict[str, list[str]]:
    if not isinstance(value, dict):
        return {}
    return {
        str(field): [str(item) for item in messages]
        if isinstance(messages, list)
        else [str(messages)]
        for field, messages in value.items()
    }


def _fallback_message(response: httpx.Response) -> str:
    text = " ".join(response.content.decode("utf-8", "replace").split())
    reason = response.reason_phrase or "Error"
    return f"{reason}: {text[:SNIPPET]}" if text else reason
