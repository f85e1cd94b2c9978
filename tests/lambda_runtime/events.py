"""Real AWS event samples (tests/fixtures/aws-events), rewritten to the project's routes."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "aws-events"

V2_NO_AUTHORIZER = "apigw-v2-request-no-authorizer.json"
V2_JWT = "apigw-v2-request-jwt-authorizer.json"
V2_LAMBDA_AUTHORIZER = "apigw-v2-request-lambda-authorizer.json"
V2_IAM = "apigw-v2-request-iam.json"
V2_POWERTOOLS = "powertools/apiGatewayProxyV2Event.json"
REST = "apigw-request.json"
HTTP_API_V1 = "powertools/apiGatewayProxyEvent.json"
ALB_MULTI = "alb-lambda-target-request-multivalue-headers.json"
ALB_MULTI_QUERY = "powertools/albMultiValueQueryStringEvent.json"
ALB_SINGLE = "powertools/albEvent.json"
FUNCTION_URL = "lambda-urls-request.json"
# The sample's domain is a placeholder ("<url-id>...") that no Host header can carry.
FUNCTION_URL_HOST = "abcdefghijklmnop.lambda-url.us-west-2.on.aws"


def load(name: str) -> dict[str, Any]:
    return dict(json.loads((FIXTURES / name).read_text()))


def _set_body(event: dict[str, Any], body: str | bytes | None) -> None:
    event.pop("body", None)
    event["isBase64Encoded"] = False
    if isinstance(body, bytes):
        event["body"] = base64.b64encode(body).decode()
        event["isBase64Encoded"] = True
    elif body is not None:
        event["body"] = body


def http_api(
    fixture: str = V2_NO_AUTHORIZER,
    *,
    method: str = "GET",
    path: str = "/v1/pets",
    query: str = "",
    headers: dict[str, str] | None = None,
    cookies: list[str] | None = None,
    body: str | bytes | None = None,
    stage: str | None = None,
    host: str | None = None,
) -> dict[str, Any]:
    """An HTTP API payload 2.0 event (or Function URL event) for `method path?query`.

    `stage` names the stage: HTTP APIs put a named stage in rawPath. `bytes` bodies arrive
    base64-encoded, as HTTP APIs send every non-text body.
    """
    event = load(fixture)
    context = event["requestContext"]
    raw_path = f"/{stage}{path}" if stage and stage != "$default" else path
    event["rawPath"] = context["http"]["path"] = raw_path
    context["http"]["method"] = method
    if "routeKey" in event:
        event["routeKey"] = context["routeKey"] = "$default"
    if stage:
        context["stage"] = stage
    event["rawQueryString"] = query
    event.pop("queryStringParameters", None)
    if query:
        params: dict[str, list[str]] = {}
        for key, value in parse_qsl(query, keep_blank_values=True):
            params.setdefault(key, []).append(value)
        # What the gateway does: repeated keys comma-joined (lossy; rawQueryString is not).
        event["queryStringParameters"] = {k: ",".join(v) for k, v in params.items()}
    event.pop("pathParameters", None)
    if host:
        event.setdefault("headers", {})["host"] = host
        context["domainName"] = host
    event.setdefault("headers", {}).update({k.lower(): v for k, v in (headers or {}).items()})
    event.pop("cookies", None)
    if cookies:
        event["cookies"] = cookies
    _set_body(event, body)
    return event


def function_url(**kwargs: Any) -> dict[str, Any]:
    """A Lambda Function URL event (payload 2.0 shape, no stage, IAM auth in the sample)."""
    event = http_api(FUNCTION_URL, **kwargs)
    if "host" not in kwargs:
        event["requestContext"]["domainName"] = FUNCTION_URL_HOST
        event["requestContext"]["domainPrefix"] = FUNCTION_URL_HOST.split(".")[0]
    return event


def rest(
    fixture: str = REST,
    *,
    method: str = "GET",
    path: str = "/v1/pets",
    query: dict[str, list[str]] | None = None,
    headers: dict[str, list[str]] | None = None,
    body: str | bytes | None = None,
    stage: str | None = None,
    host: str | None = None,
) -> dict[str, Any]:
    """A REST API proxy event (or an HTTP API payload 1.0 one, from HTTP_API_V1).

    REST's `path` leaves the stage out; `requestContext.path` has it. Header names keep
    the client's casing; `headers` holds the last value of each, `multiValueHeaders` all.
    """
    event = load(fixture)
    context = event["requestContext"]
    event["httpMethod"] = context["httpMethod"] = method
    event["path"] = path
    event["resource"] = context["resourcePath"] = "/{proxy+}"
    event["pathParameters"] = {"proxy": path.lstrip("/")}
    if stage:
        context["stage"] = stage
    context["path"] = f"/{context['stage']}{path}" if context["stage"] != "$default" else path
    event["multiValueQueryStringParameters"] = query or None
    event["queryStringParameters"] = {k: v[-1] for k, v in query.items()} if query else None
    multi = event.get("multiValueHeaders") or {}
    if host:
        for name in [name for name in multi if name.lower() == "host"]:
            del multi[name]
        multi["Host"] = [host]
        context["domainName"] = host
    multi.update(headers or {})
    event["multiValueHeaders"] = multi
    event["headers"] = {name: values[-1] for name, values in multi.items()}
    _set_body(event, body)
    return event


def alb(
    fixture: str = ALB_MULTI,
    *,
    method: str = "GET",
    path: str = "/v1/pets",
    query: dict[str, list[str]] | None = None,
    headers: dict[str, list[str]] | None = None,
    body: str | bytes | None = None,
) -> dict[str, Any]:
    """An ALB target event; ALB_MULTI has multi-value headers on (the response must then
    answer with `multiValueHeaders` too), ALB_SINGLE has them off."""
    event = load(fixture)
    event["httpMethod"] = method
    event["path"] = path
    if "multiValueHeaders" in event:
        event["multiValueQueryStringParameters"] = query or {}
        event["multiValueHeaders"].update(headers or {})
    else:  # Multi-value headers off: one value per name, in both maps.
        if query is not None:
            event["queryStringParameters"] = single(query)
        event["headers"].update(single(headers or {}))
    _set_body(event, body)
    return event


def single(headers: dict[str, list[str]]) -> dict[str, str]:
    """{name: [value]} → {name: value}, for fixtures without multi-value headers."""
    return {name: values[-1] for name, values in headers.items()}


def multi(headers: dict[str, str]) -> dict[str, list[str]]:
    """{name: value} → {name: [value]}."""
    return {name: [value] for name, value in headers.items()}
