"""Build the payload-2.0 event a real HTTP API sends for a request, and its Lambda context."""

from __future__ import annotations

import base64
import json
import secrets
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

# Bodies API Gateway passes as text; everything else (form posts and multipart included)
# arrives base64-encoded. Observed on real HTTP APIs; see the reference checklist, section 5.
TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript")
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@dataclass
class Request:
    """An HTTP request as the gateway received it."""

    method: str
    raw_path: str  # percent-encoded, as sent, stage included
    raw_query: str
    headers: list[tuple[str, str]]  # names as sent; order kept; duplicates allowed
    body: bytes
    source_ip: str
    scheme: str
    port: int
    protocol: str = "HTTP/1.1"
    request_id: str = field(default_factory=lambda: new_request_id())
    epoch_ms: int = field(default_factory=lambda: int(time.time() * 1000))

    @property
    def path(self) -> str:
        """The path decoded, as HTTP APIs put it in `rawPath` and route on it (observed on
        live captures: aws/aws-lambda-dotnet#1901, middleapi/standard-server#93)."""
        return unquote(self.raw_path)


def new_request_id() -> str:
    """An id shaped like API Gateway's (`LV7fzho-PHcEJPw=`)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(10)).decode()


def trace_id(epoch_ms: int) -> str:
    return f"Root=1-{epoch_ms // 1000:08x}-{secrets.token_hex(12)}"


def clf_time(epoch_ms: int) -> str:
    """`21/Apr/2020:15:08:21 +0000`, the format of requestContext.time."""
    t = time.gmtime(epoch_ms / 1000)
    date = f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}"
    return f"{date}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"


def join_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Lower-case names; duplicate headers joined with commas, as HTTP APIs do."""
    joined: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        joined[key] = f"{joined[key]},{value}" if key in joined else value
    return joined


def is_text(content_type: str | None) -> bool:
    return bool(content_type) and content_type.lower().startswith(TEXT_TYPES)  # type: ignore[union-attr]


def build_event(
    request: Request,
    *,
    stage: str,
    route_key: str,
    path_parameters: dict[str, str],
    stage_variables: dict[str, str],
) -> dict[str, Any]:
    """The event, with absent parts left out as on AWS (no `body` without a body, ...)."""
    headers = join_headers((n, v) for n, v in request.headers if n.lower() != "cookie")
    cookies = [
        part.strip()
        for n, v in request.headers
        if n.lower() == "cookie"
        for part in v.split(";")
        if part.strip()
    ]
    forwarded_for = headers.get("x-forwarded-for")
    headers["x-forwarded-for"] = (
        f"{forwarded_for}, {request.source_ip}" if forwarded_for else request.source_ip
    )
    headers["x-forwarded-port"] = str(request.port)
    headers["x-forwarded-proto"] = request.scheme
    headers["x-amzn-trace-id"] = trace_id(request.epoch_ms)
    host = headers.get("host", "localhost").split(":")[0]
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": request.path,
        "rawQueryString": request.raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if request.raw_query:
        query: dict[str, str] = {}
        for key, value in parse_qsl(request.raw_query, keep_blank_values=True):
            query[key] = f"{query[key]},{value}" if key in query else value
        event["queryStringParameters"] = query
    event["requestContext"] = {
        "accountId": "000000000000",
        "apiId": "localapi00",
        "domainName": host,
        "domainPrefix": host.split(".")[0],
        "http": {
            "method": request.method,
            "path": request.path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": request.request_id,
        "routeKey": route_key,
        "stage": stage,
        "time": clf_time(request.epoch_ms),
        "timeEpoch": request.epoch_ms,
    }
    if path_parameters:
        event["pathParameters"] = path_parameters
    if stage_variables:
        event["stageVariables"] = stage_variables
    if request.body:
        text = _as_text(request.body, headers.get("content-type"))
        event["body"] = text if text is not None else base64.b64encode(request.body).decode()
        event["isBase64Encoded"] = text is None
    else:
        event["isBase64Encoded"] = False
    return event


def _as_text(body: bytes, content_type: str | None) -> str | None:
    if not is_text(content_type):
        return None
    try:
        return body.decode()
    except UnicodeDecodeError:
        return None


@dataclass
class LambdaContext:
    """The attributes of the Python runtime's context object that handlers use."""

    function_name: str
    timeout_ms: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:local:000000000000:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return time.strftime("%Y/%m/%d/[$LATEST]") + "0" * 32

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self.timeout_ms - int((time.monotonic() - self.started) * 1000))


def payload_size(value: Any) -> int:
    """Bytes of an invoke payload or result as JSON, the figure Lambda's 6 MB limit uses."""
    return len(json.dumps(value, separators=(",", ":")).encode())


def event_size(event: dict[str, Any]) -> int:
    """Bytes of the invoke payload."""
    return payload_size(event)
