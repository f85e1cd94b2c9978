"""Gateway responses: the REST API's own errors, as the template customises them.

Each refusal has a type (INVALID_API_KEY, THROTTLED, ...) with a default status and the
default template `{"message":$context.error.messageString}`; a template's
`x-amazon-apigateway-gateway-responses` (or `AWS::ApiGateway::GatewayResponse`, SAM's
`GatewayResponses`) changes the status, headers and body of a type, or of DEFAULT_4XX /
DEFAULT_5XX for every type of its class that has no response of its own.
https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from localgateway.rest.events import KeyIdentity
from localgateway.rest.model import GatewayResponse
from localgateway.results import HttpResponse

DEFAULT_TEMPLATE = '{"message":$context.error.messageString}'

# type -> (default status, x-amzn-ErrorType)
TYPES: dict[str, tuple[int, str]] = {
    "ACCESS_DENIED": (403, "AccessDeniedException"),
    "API_CONFIGURATION_ERROR": (500, "InternalServerErrorException"),
    "BAD_REQUEST_BODY": (400, "BadRequestException"),
    "BAD_REQUEST_PARAMETERS": (400, "BadRequestException"),
    "DEFAULT_4XX": (400, "BadRequestException"),
    "DEFAULT_5XX": (500, "InternalServerErrorException"),
    "INTEGRATION_FAILURE": (504, "InternalServerErrorException"),
    "INTEGRATION_TIMEOUT": (504, "InternalServerErrorException"),
    "INVALID_API_KEY": (403, "ForbiddenException"),
    "MISSING_AUTHENTICATION_TOKEN": (403, "MissingAuthenticationTokenException"),
    "QUOTA_EXCEEDED": (429, "LimitExceededException"),
    "REQUEST_TOO_LARGE": (413, "RequestTooLargeException"),
    "RESOURCE_NOT_FOUND": (404, "NotFoundException"),
    "THROTTLED": (429, "TooManyRequestsException"),
    "UNAUTHORIZED": (401, "UnauthorizedException"),
    "UNSUPPORTED_MEDIA_TYPE": (415, "UnsupportedMediaTypeException"),
}
_CONTEXT = re.compile(r"\$(?:\{context\.([A-Za-z0-9_.]+)\}|context\.([A-Za-z0-9_.]+))")
_STAGE_VARIABLE = re.compile(r"\$(?:\{stageVariables\.(\w+)\}|stageVariables\.(\w+))")


@dataclass(frozen=True)
class Refusal:
    """A gateway-made error: its type, the message, and the validation detail if any."""

    type: str
    message: str
    status: int | None = None  # overrides the type's default (e.g. 502 for DEFAULT_5XX)
    validation_error: str = ""
    reason: str = ""  # for the access log's integrationErrorMessage
    api_key: KeyIdentity | None = None  # the key a usage plan refused (access log)


def _chosen(refusal: Refusal, custom: Mapping[str, GatewayResponse]) -> GatewayResponse:
    if refusal.type in custom:
        return custom[refusal.type]
    default_status, _ = TYPES.get(refusal.type, (500, ""))
    status = refusal.status or default_status
    return custom.get("DEFAULT_5XX" if status >= 500 else "DEFAULT_4XX", GatewayResponse())


def render(
    refusal: Refusal,
    custom: Mapping[str, GatewayResponse],
    *,
    context: Mapping[str, object],
    stage_variables: Mapping[str, str],
    request_headers: Mapping[str, str],
    query: Mapping[str, str],
    path_parameters: Mapping[str, str],
) -> HttpResponse:
    """The HTTP response for a refusal; `request_headers` are keyed by lower-case name."""
    response = _chosen(refusal, custom)
    default_status, error_type = TYPES.get(refusal.type, (500, "InternalServerErrorException"))
    status = response.status or refusal.status or default_status
    variables = {
        **context,
        "error.message": refusal.message,
        "error.messageString": json.dumps(refusal.message),
        "error.responseType": refusal.type,
        # Escaped for a JSON string, where templates put it.
        "error.validationErrorString": json.dumps(refusal.validation_error)[1:-1],
    }
    body = substitute(
        response.template if response.template is not None else DEFAULT_TEMPLATE,
        variables,
        stage_variables,
    )
    headers = [("content-type", "application/json"), ("x-amzn-ErrorType", error_type)]
    result = HttpResponse(status, headers, body.encode(), refusal.reason or refusal.message)
    for name, expression in response.headers:
        value = parameter_value(expression, request_headers, query, path_parameters)
        if value is not None:
            set_header(result, name, value)
    return result


def set_header(response: HttpResponse, name: str, value: str) -> None:
    """Set a header, replacing any of that name (names are case-insensitive)."""
    response.headers = [(n, v) for n, v in response.headers if n.lower() != name.lower()]
    response.headers.append((name, value))


def substitute(
    template: str, variables: Mapping[str, object], stage_variables: Mapping[str, str]
) -> str:
    """`$context.x` and `$stageVariables.x` filled in (no other VTL); unknown ones empty."""

    def context_value(match: re.Match[str]) -> str:
        value = variables.get(match.group(1) or match.group(2))
        return "" if value is None else str(value)

    def stage_value(match: re.Match[str]) -> str:
        return stage_variables.get(match.group(1) or match.group(2), "")

    return _STAGE_VARIABLE.sub(stage_value, _CONTEXT.sub(context_value, template))


def parameter_value(
    expression: str,
    request_headers: Mapping[str, str],
    query: Mapping[str, str],
    path_parameters: Mapping[str, str],
) -> str | None:
    """A response parameter's value: `'literal'` or `method.request.{header,querystring,path}.X`."""
    expression = expression.strip()
    if len(expression) >= 2 and expression[0] == expression[-1] == "'":
        return expression[1:-1]
    for prefix, source in (
        ("method.request.header.", {k.lower(): v for k, v in request_headers.items()}),
        ("method.request.querystring.", dict(query)),
        ("method.request.path.", dict(path_parameters)),
    ):
        if expression.startswith(prefix):
            name = expression.removeprefix(prefix)
            return source.get(name.lower() if prefix.endswith("header.") else name)
    return None
