"""HTTP wiring for POST /v1/realtime/tickets: a browser's way onto the WebSocket API."""

from __future__ import annotations

from typing import cast
from urllib.parse import urlencode

from django.utils import timezone
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.api_keys.models import APIKey
from apps.api_keys.permissions import HasAPIKey
from apps.realtime import services
from apps.realtime.conf import realtime_settings
from apps.realtime.serializers import TicketSerializer


class TicketView(APIView):
    """Browsers cannot set headers on a WebSocket: they connect with `?ticket=` instead."""

    permission_classes = (HasAPIKey,)

    def post(self, request: Request) -> Response:
        ticket, raw = services.ticket_issue(key=cast(APIKey, request.auth), now=timezone.now())
        url = f"{websocket_url(request)}?{urlencode({'ticket': raw})}"
        body = {"ticket": raw, "expires_at": ticket.expires_at, "url": url}
        return Response(TicketSerializer(body).data, status=status.HTTP_201_CREATED)


def websocket_url(request: Request) -> str:
    """REALTIME["WEBSOCKET_URL"], or this API's own host and stage as ws(s):// (rungateway
    serves both APIs on one host and stage)."""
    configured = realtime_settings().WEBSOCKET_URL
    if configured:
        return configured.rstrip("/")
    base = request.build_absolute_uri(request.META.get("SCRIPT_NAME") or "/").rstrip("/")
    return "ws" + base.removeprefix("http")
