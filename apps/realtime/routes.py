"""The WebSocket API's routes: $connect (authenticate, meter, register), $default and the
custom routes (ping, subscribe), $disconnect (forget).

Each takes API Gateway's Lambda proxy event and returns the proxy result. $connect answers
with the handshake's HTTP status (403, 429, ...) and an API Gateway-shaped JSON body; the
message routes answer with one JSON message, which API Gateway sends back on the socket
(the routes have a `$default` route response). Event shapes:
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-mapping-template-reference.html
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.utils import timezone

from apps.api_keys.counters import QUOTA, Admission, get_usage_store
from apps.api_keys.models import APIKey
from apps.api_keys.selectors import KeyRejectedError, api_key_from_raw
from apps.common.errors import error_json
from apps.realtime import protocol, selectors, services
from apps.realtime.conf import realtime_settings
from apps.realtime.models import Connection
from apps.realtime.protocol import ProtocolError

logger = logging.getLogger(__name__)

Result = dict[str, Any]


class RefusalError(Exception):
    """$connect refused: the handshake's status, body message and headers."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def handle(event: dict[str, Any], context: Any = None) -> Result:
    """Route one WebSocket event by its `eventType`."""
    kind = event["requestContext"]["eventType"]
    if kind == "CONNECT":
        return connect(event)
    if kind == "DISCONNECT":
        return disconnect(event)
    return message(event)


def _headers(event: dict[str, Any]) -> dict[str, str]:
    """The $connect headers, names lower-cased (they arrive with the client's casing)."""
    return {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}


def _refused(refusal: RefusalError) -> Result:
    return {
        "statusCode": refusal.status,
        "headers": {"Content-Type": "application/json", **refusal.headers},
        "body": error_json(refusal.message).decode(),
    }


def connect(event: dict[str, Any]) -> Result:
    now = timezone.now()
    headers = _headers(event)
    connection_id = event["requestContext"]["connectionId"]
    try:
        subprotocol = _subprotocol(headers)
        key = _authenticate(headers, event, now)
        _admit(key, now)
        _open(connection_id, key, endpoint_for(event), now)
    except RefusalError as refusal:
        return _refused(refusal)
    logger.info("Connected", extra={"connectionId": connection_id, "keyPrefix": key.prefix})
    result: Result = {"statusCode": 200}
    if subprotocol:
        result["headers"] = {"Sec-WebSocket-Protocol": subprotocol}
    return result


def _open(connection_id: str, key: APIKey, endpoint: str, now: datetime.datetime) -> None:
    try:
        services.connection_open(connection_id=connection_id, key=key, endpoint=endpoint, now=now)
    except services.ConnectionLimitError:
        limit = realtime_settings().MAX_CONNECTIONS_PER_KEY
        logger.info("Connection limit reached", extra={"keyPrefix": key.prefix, "limit": limit})
        raise RefusalError(429, "Too Many Connections") from None


def _subprotocol(headers: dict[str, str]) -> str | None:
    offered = [p.strip() for p in headers.get("sec-websocket-protocol", "").split(",") if p.strip()]
    if not offered:
        return None
    if protocol.SUBPROTOCOL not in offered:
        raise RefusalError(400, f"Unsupported subprotocol; this API speaks {protocol.SUBPROTOCOL}.")
    return protocol.SUBPROTOCOL


def _authenticate(headers: dict[str, str], event: dict[str, Any], now: datetime.datetime) -> APIKey:
    """The key from `x-api-key`, or the one a `?ticket=` was issued to (both: the same)."""
    raw_key = headers.get("x-api-key")
    tickets = (event.get("multiValueQueryStringParameters") or {}).get("ticket") or []
    ticket = (event.get("queryStringParameters") or {}).get("ticket")
    if len(tickets) > 1:
        raise RefusalError(400, "Give one ticket.")
    key = None
    try:
        if raw_key is not None:
            key = api_key_from_raw(raw_key=raw_key, now=now)
        if ticket is not None:
            ticket_key = services.ticket_redeem(raw=ticket, now=now)
            if key is not None and key.pk != ticket_key.pk:
                raise KeyRejectedError("ticket of another key", key.prefix)
            key = _usable(ticket_key, now)
    except KeyRejectedError as rejected:
        logger.info(
            "WebSocket key rejected",
            extra={"reason": rejected.reason, "keyPrefix": rejected.prefix},
        )
        raise RefusalError(403, "Forbidden") from None
    except services.TicketRejectedError as rejected:
        logger.info("WebSocket ticket rejected", extra={"reason": rejected.reason})
        raise RefusalError(403, "Forbidden") from None
    if key is None:
        raise RefusalError(403, "Forbidden")
    return key


def _usable(key: APIKey, now: datetime.datetime) -> APIKey:
    """A ticket's key must still authenticate: revoked, expired or inactive owner refuse."""
    if not selectors.key_is_usable(key, now):
        raise KeyRejectedError("ticket of an unusable key", key.prefix)
    return key


def _admit(key: APIKey, now: datetime.datetime) -> Admission:
    """Count one request against the key's plan (a connection attempt, or a message)."""
    admission = get_usage_store().admit(key=key, now=now)
    if not admission.admitted:
        message = "Limit Exceeded" if admission.reason == QUOTA else "Too Many Requests"
        raise RefusalError(429, message, {"Retry-After": str(admission.retry_after or 1)})
    return admission


def endpoint_for(event: dict[str, Any]) -> str:
    """The @connections base URL for this connection: REALTIME["MANAGEMENT_ENDPOINT"], or
    what the $connect event says: https://{domainName}/{stage}, with the forwarded port and
    protocol the gateway set (443/https on AWS; rungateway's own locally)."""
    configured = realtime_settings().MANAGEMENT_ENDPOINT
    if configured:
        return configured.rstrip("/")
    context = event["requestContext"]
    headers = _headers(event)
    scheme = headers.get("x-forwarded-proto", "https")
    scheme = scheme if scheme in ("http", "https") else "https"
    port = headers.get("x-forwarded-port", "")
    default_port = "443" if scheme == "https" else "80"
    host = str(context["domainName"])
    if port.isdigit() and port != default_port:
        host = f"{host}:{port}"
    return f"{scheme}://{host}/{context['stage']}"


def disconnect(event: dict[str, Any]) -> Result:
    context = event["requestContext"]
    services.connection_forget(connection_id=context["connectionId"])
    logger.info(
        "Disconnected",
        extra={
            "connectionId": context["connectionId"],
            "disconnectStatusCode": context.get("disconnectStatusCode"),
        },
    )
    return {"statusCode": 200}


def _reply(body: str) -> Result:
    return {"statusCode": 200, "body": body}


def message(event: dict[str, Any]) -> Result:
    """One client message: metered, then answered (pong, subscribed, or an error)."""
    now = timezone.now()
    connection_id = event["requestContext"]["connectionId"]
    connection = (
        Connection.objects.select_related("key__plan", "key__owner", "key__meter")
        .filter(connection_id=connection_id)
        .first()
    )
    if connection is None:
        return _reply(protocol.error("Forbidden"))
    if not selectors.key_is_usable(connection.key, now):
        # Revoked or expired since $connect (the sweep would close it soon): close it now.
        services.connection_close(target=selectors.Target(connection_id, connection.endpoint))
        return _reply(protocol.error("Forbidden"))
    try:
        _admit(connection.key, now)
    except RefusalError as refusal:
        return _reply(
            protocol.error(refusal.message, retryAfter=int(refusal.headers["Retry-After"]))
        )
    services.connection_seen(connection=connection, now=now)
    try:
        parsed = protocol.parse(event.get("body"))
    except ProtocolError as exc:
        return _reply(protocol.error(exc.message))
    if parsed.action == "subscribe":
        topics = parsed.topics or []
        services.connection_subscribe(connection=connection, topics=topics)
        return _reply(protocol.subscribed(topics))
    return _reply(protocol.pong())
