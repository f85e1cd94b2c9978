"""One error shape for every 4xx/5xx: {"message": "..."}, plus "errors" for validation."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import set_rollback

from apps.common.exceptions import BackendUnavailableError, NotFoundError

logger = logging.getLogger(__name__)

# Messages that clients see; they match API Gateway's own error bodies where one exists.
MESSAGES: dict[int, str] = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Request Too Long",
    415: "Unsupported Media Type",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
VALIDATION_MESSAGE = "Invalid input."
# Seconds a client should wait before retrying when the database is unavailable.
RETRY_AFTER_UNAVAILABLE = 5
# What a database that is down, unreachable, silent or timing out raises (a refused or lost
# connection, connect_timeout, statement_timeout, a full pool, an interrupted call).
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


def message_for(status: int) -> str:
    """The default message for a status code."""
    if status in MESSAGES:
        return MESSAGES[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


# C0 and C1 control characters (Unicode category Cc), which error messages echo from input.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """`text` with each control character written out as `\\uXXXX`: messages echo the
    client's input ("a\\u0000b is not one of the available choices"), and a NUL or an escape
    sequence in them would break the document's own Error pattern, logs and terminals."""
    return _CONTROL.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def error_body(message: str, errors: Mapping[str, list[str]] | None = None) -> dict[str, Any]:
    """Build the error document (control characters escaped in every string)."""
    body: dict[str, Any] = {"message": printable(message)}
    if errors:
        body["errors"] = {
            printable(field): [printable(item) for item in items] for field, items in errors.items()
        }
    return body


def error_json(message: str, errors: Mapping[str, list[str]] | None = None) -> bytes:
    """The error document as compact JSON bytes: `{"message":"Not Found"}`, byte for byte what
    API Gateway sends and what DRF's renderer writes, whoever answers."""
    return json.dumps(error_body(message, errors), separators=(",", ":")).encode()


def json_error(
    status: int, message: str | None = None, errors: Mapping[str, list[str]] | None = None
) -> HttpResponse:
    """A plain Django JSON error response, for code outside DRF views."""
    return HttpResponse(
        error_json(message or message_for(status), errors),
        status=status,
        content_type="application/json",
    )


def service_unavailable() -> HttpResponse:
    """The database is unavailable: 503 with Retry-After, like API Gateway's own 503."""
    response = json_error(503)
    response["Retry-After"] = str(RETRY_AFTER_UNAVAILABLE)
    return response


def flatten_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn DRF's nested error detail into {"field.sub.0": ["message", ...]}."""
    if isinstance(detail, Mapping):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            flat.update(flatten_errors(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(detail, list) and any(isinstance(item, (Mapping, list)) for item in detail):
        flat = {}
        for index, item in enumerate(detail):
            flat.update(flatten_errors(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    items = detail if isinstance(detail, list) else [detail]
    messages = [str(item) for item in items if str(item)]
    return {prefix or "non_field_errors": messages} if messages else {}


def _as_api_exception(exc: Exception) -> exceptions.APIException | None:
    if isinstance(exc, Http404 | NotFoundError):
        return exceptions.NotFound(message_for(404))
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied(message_for(403))
    if isinstance(exc, DjangoValidationError):
        # Model validation that escaped a serializer is still the client's bad input.
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        return exceptions.ValidationError(detail)
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        # Like API Gateway: the status's own message ("Forbidden"), never which check failed.
        exc.detail = exceptions.ErrorDetail(message_for(exc.status_code), code=exc.default_code)
        return exc
    if isinstance(exc, RequestDataTooBig):
        too_big = exceptions.APIException(message_for(413))
        too_big.status_code = 413
        return too_big
    if isinstance(exc, BackendUnavailableError):
        logger.error("Backend unavailable: %s", exc, exc_info=exc.__cause__ or exc)
        unavailable = exceptions.APIException(message_for(503))
        unavailable.status_code = 503
        unavailable.wait = RETRY_AFTER_UNAVAILABLE  # type: ignore[attr-defined]
        return unavailable
    if isinstance(exc, exceptions.APIException):
        return exc
    return None


def exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response | None:
    """DRF exception handler: every API error leaves in the one shape.

    Returns None for unexpected exceptions, which JSONErrorMiddleware logs and turns
    into a 500 with the same shape.
    """
    api_exc = _as_api_exception(exc)
    if api_exc is None:
        return None
    headers: dict[str, str] = {}
    if auth_header := getattr(api_exc, "auth_header", None):
        headers["WWW-Authenticate"] = auth_header
    if (wait := getattr(api_exc, "wait", None)) is not None:
        headers["Retry-After"] = str(max(1, round(wait)))
    extra = getattr(api_exc, "headers", None)
    if isinstance(extra, Mapping):
        headers.update(extra)

    if isinstance(api_exc, exceptions.ValidationError):
        body = error_body(VALIDATION_MESSAGE, flatten_errors(api_exc.detail))
    else:
        body = error_body(_detail_message(api_exc.detail, api_exc.status_code))
    set_rollback()
    if (request := context.get("request")) is not None:
        # Errors are JSON whatever the client accepts (a browser asks for text/html):
        # DRF renders with the renderer negotiated for the request, so replace it.
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type
    return Response(body, status=api_exc.status_code, headers=headers)


def _detail_message(detail: Any, status: int) -> str:
    if isinstance(detail, (list, Mapping)):
        messages = [msg for msgs in flatten_errors(detail).values() for msg in msgs]
        return " ".join(messages) or message_for(status)
    return str(detail) or message_for(status)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: JSON for every unknown route."""
    return json_error(404)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: JSON, never an HTML page; 503 when the database is what failed (an error
    raised by middleware, such as a lost connection while metering, ends up here)."""
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE):
        return service_unavailable()
    return json_error(500)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400."""
    return json_error(400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler403."""
    return json_error(403)
