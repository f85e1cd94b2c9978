"""A WebSocket handshake that reaches Django gets a clear answer instead of a 404 page."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from apps.common.errors import json_error

logger = logging.getLogger(__name__)

MESSAGE = (
    "This server speaks HTTP only: live updates come from the WebSocket API. Locally run "
    "`make run` (manage.py rungateway) and connect to the ws:// URL it prints; on AWS use "
    "the stack's WebSocketUrl output. See docs/realtime.md."
)


class WebSocketUpgradeMiddleware:
    """`runserver` and gunicorn cannot upgrade a connection; API Gateway's WebSocket API and
    rungateway answer upgrades before Django is involved, so one arriving here is a client
    pointed at the wrong server. It gets a 400 saying where to go, and the log says it too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.META.get("HTTP_UPGRADE", "").lower() == "websocket":
            logger.warning("WebSocket handshake refused: %s", MESSAGE)
            return json_error(400, MESSAGE)
        return self.get_response(request)
