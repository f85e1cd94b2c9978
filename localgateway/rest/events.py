"""Build the proxy event (payload 1.0) a REST API sends for a request.

Shape as in real captures (tests/fixtures/aws-events/apigw-request.json, powertools'
apiGatewayProxyEvent.json): header names as the client sent them, `headers` with the last
value of each name and `multiValueHeaders` with all, `null` for absent parts, `path` without
the stage and `requestContext.path` with it, and `identity.apiKey`/`apiKeyId` when the method
took an API key.
https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from localgateway.events import Request, clf_time, trace_id

ACCOUNT_ID = "000000000000"
API_ID = "localrest0"
_IDENTITY_NULLS = (
    "cognitoIdentityPoolId",
    "accountId",
    "cognitoIdentityId",
    "caller",
    "principalOrgId",
    "accessKey",
    "cognitoAuthenticationType",
    "cognitoAuthenticationProvider",
    "userArn",
    "user",
    "clientCert",  # set only with mutual TLS
)


@dataclass(frozen=True)
class KeyIdentity:
    """The API key API Gateway checked for this request (`identity.apiKey`, `apiKeyId`)."""

    value: str
    key_id: str
    usage_plan_id: str = ""


def resource_id(path: str) -> str:
    """A stable 6-character id per resource, shaped like API Gateway's (`roq9wj`)."""
    return hashlib.sha256(path.encode()).hexdigest()[:6]


def new_rest_request_id() -> str:
    """REST request ids are UUIDs (`deef4878-7910-11e6-8f14-25afc3e9ae33`)."""
    raw = secrets.token_hex(16)
    return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_binary(content_type: str | None, binary_media_types: tuple[str, ...]) -> bool:
    """Whether a Content-Type (or Accept value) matches the API's `binaryMediaTypes`."""
    wanted = media_type(content_type)
    if not wanted:
        return False
    for pattern in binary_media_types:
        pattern = pattern.strip().lower()
        if pattern in ("*/*", wanted):
            return True
        if pattern.endswith("/*") and wanted.startswith(pattern[:-1]):
            return True
    return False


def gateway_headers(request: Request) -> list[tuple[str, str]]:
    """The client's headers as the function sees them, with those the gateway adds."""
    headers = [(n, v) for n, v in request.headers]
    forwarded = [v for n, v in headers if n.lower() == "x-forwarded-for"]
    headers = [
        (n, v)
        for n, v in headers
        if n.lower() not in ("x-forwarded-for", "x-forwarded-port", "x-forwarded-proto")
    ]
    client = f"{forwarded[-1]}, {request.source_ip}" if forwarded else request.source_ip
    headers += [
        ("X-Forwarded-For", client),
        ("X-Forwarded-Port", str(request.port)),
        ("X-Forwarded-Proto", request.scheme),
        ("X-Amzn-Trace-Id", trace_id(request.epoch_ms)),
    ]
    return headers


def build_rest_event(
    request: Request,
    *,
    stage: str,
    path: str,
    resource: str,
    path_parameters: dict[str, str],
    stage_variables: dict[str, str],
    binary_media_types: tuple[str, ...],
    rest_request_id: str,
    api_key: KeyIdentity | None = None,
) -> dict[str, Any]:
    """The event; `path` is the decoded path without the stage."""
    headers = gateway_headers(request)
    multi_headers: dict[str, list[str]] = {}
    for name, value in headers:
        multi_headers.setdefault(name, []).append(value)
    multi_query: dict[str, list[str]] = {}
    for name, value in parse_qsl(request.raw_query, keep_blank_values=True):
        multi_query.setdefault(name, []).append(value)
    host = next((v for n, v in headers if n.lower() == "host"), "localhost").split(":")[0]
    content_type = next((v for n, v in headers if n.lower() == "content-type"), None)
    body: str | None = None
    encoded = False
    if request.body:
        encoded = is_binary(content_type, binary_media_types)
        # Without a binary media type API Gateway passes the bytes as text: what is not
        # UTF-8 does not survive (replaced here, mangled on AWS).
        body = (
            base64.b64encode(request.body).decode()
            if encoded
            else request.body.decode(errors="replace")
        )
    return {
        "resource": resource,
        "path": path,
        "httpMethod": request.method,
        "headers": {name: values[-1] for name, values in multi_headers.items()},
        "multiValueHeaders": multi_headers,
        "queryStringParameters": (
            {name: values[-1] for name, values in multi_query.items()} if multi_query else None
        ),
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": path_parameters or None,
        "stageVariables": stage_variables or None,
        "requestContext": _request_context(
            request, stage, path, resource, host, rest_request_id, headers, api_key
        ),
        "body": body,
        "isBase64Encoded": encoded,
    }


def _request_context(
    request: Request,
    stage: str,
    path: str,
    resource: str,
    host: str,
    rest_request_id: str,
    headers: list[tuple[str, str]],
    api_key: KeyIdentity | None,
) -> dict[str, Any]:
    identity: dict[str, Any] = dict.fromkeys(_IDENTITY_NULLS)
    identity["sourceIp"] = request.source_ip
    identity["userAgent"] = next((v for n, v in headers if n.lower() == "user-agent"), None)
    # Only a method that required a key names one, as on AWS.
    identity["apiKey"] = api_key.value if api_key else None
    identity["apiKeyId"] = api_key.key_id if api_key else None
    return {
        "resourceId": resource_id(resource),
        "resourcePath": resource,
        "httpMethod": request.method,
        "extendedRequestId": request.request_id,
        "requestTime": clf_time(request.epoch_ms),
        "path": path if stage == "$default" else f"/{stage}{path}",
        "accountId": ACCOUNT_ID,
        "protocol": request.protocol,
        "stage": stage,
        "domainPrefix": host.split(".")[0],
        "requestTimeEpoch": request.epoch_ms,
        "requestId": rest_request_id,
        "identity": identity,
        "domainName": host,
        "apiId": API_ID,
    }
