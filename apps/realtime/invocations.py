"""The realtime function's invocations: WebSocket routes, handed-off fan-outs, the sweep."""

from __future__ import annotations

import logging
from typing import Any

from django.db import close_old_connections, connections
from django.utils import timezone

from apps.common.logging import request_context
from apps.realtime import fanout, routes, services

logger = logging.getLogger(__name__)

WEBSOCKET_EVENT_TYPES = ("CONNECT", "MESSAGE", "DISCONNECT")


def is_websocket_event(event: Any) -> bool:
    context = event.get("requestContext") if isinstance(event, dict) else None
    return isinstance(context, dict) and context.get("eventType") in WEBSOCKET_EVENT_TYPES


def is_scheduled(event: Any) -> bool:
    """An EventBridge schedule's event (`rate(...)`/`cron(...)`)."""
    return (
        isinstance(event, dict)
        and event.get("source") == "aws.events"
        and event.get("detail-type") == "Scheduled Event"
    )


def dispatch(event: Any, context: Any = None) -> dict[str, Any]:
    """Route one invocation; an event of unknown shape is logged and ignored, never a crash."""
    _close_stale_connections()
    token = request_context.set(_log_context(event, context))
    try:
        if is_websocket_event(event):
            return routes.handle(event, context)
        if isinstance(event, dict) and fanout.PAYLOAD_KEY in event:
            return {"pushed": fanout.run_handed_off(event[fanout.PAYLOAD_KEY])}
        if is_scheduled(event):
            counts = services.connection_sweep(now=timezone.now())
            logger.info("Swept connections", extra={"counts": counts})
            return {"swept": counts}
        shape = sorted(map(str, event))[:10] if isinstance(event, dict) else type(event).__name__
        logger.warning("Ignoring an event of unknown shape", extra={"shape": shape})
        return {"ignored": "unknown event"}
    finally:
        request_context.reset(token)
        _close_stale_connections()


def _log_context(event: Any, context: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if lambda_id := getattr(context, "aws_request_id", None):
        fields["requestId"] = lambda_id
    if is_websocket_event(event):
        request = event["requestContext"]
        fields["gatewayRequestId"] = request.get("requestId")
        fields["connectionId"] = request.get("connectionId")
        fields["routeKey"] = request.get("routeKey")
    return fields


def _close_stale_connections() -> None:
    """As Django does around each HTTP request: a warm Lambda keeps its connection between
    events. Never inside a caller's transaction (a test), where it would lose the work."""
    if not any(conn.in_atomic_block for conn in connections.all(initialized_only=True)):
        close_old_connections()
