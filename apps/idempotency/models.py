"""The record of one Idempotency-Key of one user: in flight, or completed with its response."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

KEY_MAX_LENGTH = 255


class IdempotencyRecord(models.Model):
    """Written only by apps.idempotency.stores; swept once `expires_at` has passed.

    In flight while `locked_until` is set (the request holding `token` runs until then at
    the latest); completed once `status` is set, with the response to replay.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idempotency_records"
    )
    key = models.CharField(max_length=KEY_MAX_LENGTH)
    fingerprint = models.CharField(
        max_length=64, help_text="SHA-256 of the request: method, path, query and body."
    )
    token = models.CharField(max_length=32, help_text="Which request holds the key.")
    locked_until = models.DateTimeField(null=True, blank=True)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    headers = models.JSONField(default=list, blank=True)
    body = models.BinaryField(default=b"", blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="idempotency_owner_key_uniq"),
        ]
        indexes = [models.Index(fields=["expires_at"], name="idempotency_expires_idx")]

    def __str__(self) -> str:
        state = "in flight" if self.status is None else str(self.status)
        return f"{self.key} ({state})"

    def stored_headers(self) -> tuple[tuple[str, str], ...]:
        pairs: list[Any] = self.headers or []
        return tuple((str(name), str(value)) for name, value in pairs)
