"""OpenAPI for POST /v1/realtime/tickets (loaded with the generator, not at start-up)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema

from apps.common.schema import document_view
from apps.realtime.serializers import TicketSerializer
from apps.realtime.views import TicketView

document_view(
    TicketView,
    post=extend_schema(
        operation_id="createRealtimeTicket",
        tags=["realtime"],
        summary="Get a ticket for the WebSocket API",
        description=(
            "A short-lived, single-use ticket for the key in `x-api-key`, and the WebSocket "
            "URL that carries it. The connection it opens belongs to that key: its owner, "
            "plan and revocation apply. This request is metered like any other. See "
            "docs/realtime.md."
        ),
        request=None,
        responses={201: TicketSerializer},
    ),
)
