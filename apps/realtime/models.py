"""The connection registry and the single-use tickets browsers connect with."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from apps.api_keys.models import APIKey

# API Gateway's ids are 16 characters (`BFaT_fALIAMCKug=`); room for other emulators.
CONNECTION_ID_MAX_LENGTH = 128


class Connection(models.Model):
    """One open WebSocket connection, registered at $connect, removed at $disconnect, on
    GoneException (410) from the Management API, and by the sweep."""

    connection_id = models.CharField(max_length=CONNECTION_ID_MAX_LENGTH, primary_key=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="realtime_connections"
    )
    key = models.ForeignKey(APIKey, on_delete=models.CASCADE, related_name="realtime_connections")
    # Base URL of the @connections API that reaches this connection (…/{stage}).
    endpoint = models.CharField(max_length=255)
    # Event types (or "pet.*"-style groups) the client asked for; ["*"] is everything.
    subscriptions = models.JSONField(default=list)
    connected_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()

    class Meta:
        ordering = ("connected_at",)
        indexes = [
            models.Index(fields=["owner"], name="realtime_conn_owner_idx"),
            models.Index(fields=["key"], name="realtime_conn_key_idx"),
            models.Index(fields=["last_seen_at"], name="realtime_conn_seen_idx"),
        ]

    def __str__(self) -> str:
        return f"Connection {self.connection_id}"


class Ticket(models.Model):
    """A short-lived, single-use stand-in for an API key on a browser's WebSocket URL.

    Only a SHA-256 of the ticket is stored; redeeming it is one conditional UPDATE.
    """

    digest = models.CharField(max_length=64, unique=True)
    key = models.ForeignKey(APIKey, on_delete=models.CASCADE, related_name="realtime_tickets")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["expires_at"], name="realtime_ticket_expiry_idx")]

    def __str__(self) -> str:
        return f"Ticket {self.pk} of key {self.key_id}"
