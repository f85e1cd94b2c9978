"""The Lambda proxy events of a WebSocket API: CONNECT, MESSAGE and DISCONNECT.

Shapes as captured from real APIs (tests/fixtures/aws-events/powertools): headers with the
client's casing on CONNECT only, placeholder headers on DISCONNECT, none on MESSAGE;
`messageId` only on MESSAGE; the same `connectionId` and `connectedAt` in every event of a
connection; epochs in milliseconds.
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-mapping-template-reference.html
"""

from __future__ import annotations

import base64
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from localgateway.events import clf_time, new_request_id, trace_id

API_ID = "localws000"


def new_connection_id() -> str:
    """16 characters like API Gateway's (`BFaT_fALIAMCKug=`); "=" and "_" included."""
    return base64.urlsafe_b64encode(secrets.token_bytes(11)).decode()


@dataclass
class Client:
    """What the gateway knows about a connection from its upgrade request."""

    connection_id: str
    headers: list[tuple[str, str]]  # as sent, casing kept
    raw_query: str
    source_ip: str
    host: str  # without the port: API Gateway's domainName
    port: int
    scheme: str  # http or https (ws/wss as seen by the client)
    connected_at: int = field(default_factory=lambda: int(time.time() * 1000))

    @property
    def user_agent(self) -> str:
        return next((v for n, v in self.headers if n.lower() == "user-agent"), "")


def _context(client: Client, stage: str, route_key: str, event_type: str) -> dict[str, Any]:
    now = int(time.time() * 1000)
    request_id = new_request_id()
    identity = {"sourceIp": client.source_ip}
    if client.user_agent:
        identity["userAgent"] = client.user_agent
    return {
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": request_id,
        "requestTime": clf_time(now),
        "messageDirection": "IN",
        "stage": stage,
        "connectedAt": client.connected_at,
        "requestTimeEpoch": now,
        "identity": identity,
        "requestId": request_id,
        "domainName": client.host,
        "connectionId": client.connection_id,
        "apiId": API_ID,
    }


def connect_event(client: Client, stage: str) -> dict[str, Any]:
    context = _context(client, stage, "$connect", "CONNECT")
    headers: dict[str, list[str]] = {}
    for name, value in client.headers:
        # API Gateway rebuilds these itself; the client's own are replaced.
        if name.lower() not in ("x-forwarded-port", "x-forwarded-proto", "x-amzn-trace-id"):
            headers.setdefault(name, []).append(value)
    forwarded = next((v for n, v in headers.items() if n.lower() == "x-forwarded-for"), None)
    for name in [n for n in headers if n.lower() == "x-forwarded-for"]:
        del headers[name]
    chain = [*(forwarded or []), client.source_ip]
    headers["X-Amzn-Trace-Id"] = [trace_id(context["requestTimeEpoch"])]
    headers["X-Forwarded-For"] = [", ".join(chain)]
    headers["X-Forwarded-Port"] = [str(client.port)]
    headers["X-Forwarded-Proto"] = [client.scheme]
    event: dict[str, Any] = {
        "headers": {name: values[-1] for name, values in headers.items()},
        "multiValueHeaders": headers,
    }
    if client.raw_query:
        multi: dict[str, list[str]] = {}
        for key, value in parse_qsl(client.raw_query, keep_blank_values=True):
            multi.setdefault(key, []).append(value)
        event["queryStringParameters"] = {key: values[-1] for key, values in multi.items()}
        event["multiValueQueryStringParameters"] = multi
    event["requestContext"] = context
    event["isBase64Encoded"] = False
    return event


def message_event(client: Client, stage: str, route_key: str, body: str) -> dict[str, Any]:
    context = _context(client, stage, route_key, "MESSAGE")
    context["messageId"] = new_request_id()
    return {"requestContext": context, "body": body, "isBase64Encoded": False}


def disconnect_event(client: Client, stage: str, code: int, reason: str) -> dict[str, Any]:
    context = _context(client, stage, "$disconnect", "DISCONNECT")
    context["disconnectStatusCode"] = code
    context["disconnectReason"] = reason
    # What real APIs send on $disconnect: placeholders, whatever the client sent at connect.
    headers = {"Host": client.host, "x-api-key": "", "X-Forwarded-For": "", "x-restapi": ""}
    return {
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "requestContext": context,
        "isBase64Encoded": False,
    }
