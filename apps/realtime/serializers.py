"""Response shapes for live updates."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class TicketSerializer(serializers.Serializer[Any]):
    ticket = serializers.CharField(help_text="Single-use; connect within `expires_at`.")
    expires_at = serializers.DateTimeField()
    url = serializers.CharField(
        help_text="The WebSocket URL with the ticket: `new WebSocket(url)` in a browser."
    )
