"""Where each plan and key stands in API Gateway: its id there, the sync state, the last error.

Rows outlive what they mirror (the link is set to NULL on delete), so a plan or key deleted
here stays on record until the sync has deleted its API Gateway counterpart.
"""

from __future__ import annotations

from django.db import models


class SyncState(models.TextChoices):
    PENDING = "pending", "Pending"
    SYNCED = "synced", "Synced"
    ERROR = "error", "Error"
    # A key made before the sync was on: only its hash is stored, so its value cannot be
    # given to API Gateway, which then refuses it (docs/rest-api.md: reissue it).
    UNSYNCABLE = "unsyncable", "Cannot sync (value unknown)"


class GatewayRecord(models.Model):
    gateway_id = models.CharField(max_length=64, blank=True, default="")
    state = models.CharField(max_length=16, choices=SyncState.choices, default=SyncState.PENDING)
    last_error = models.TextField(blank=True, default="")
    attempted_at = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class GatewayUsagePlan(GatewayRecord):
    """A usage plan's counterpart in API Gateway (`plan` NULL: deleted here, not yet there)."""

    plan = models.OneToOneField(
        "api_keys.UsagePlan",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="gateway",
    )

    class Meta:
        verbose_name = "usage plan in API Gateway"
        verbose_name_plural = "usage plans in API Gateway"

    def __str__(self) -> str:
        return f"Gateway plan {self.gateway_id or '(none)'} of plan {self.plan_id}"


class GatewayAPIKey(GatewayRecord):
    """An API key's counterpart in API Gateway (`key` NULL: deleted here, not yet there).

    `gateway_plan_id` is the gateway usage plan the key was last attached to.
    """

    key = models.OneToOneField(
        "api_keys.APIKey",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="gateway",
    )
    gateway_plan_id = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        verbose_name = "API key in API Gateway"
        verbose_name_plural = "API keys in API Gateway"

    def __str__(self) -> str:
        return f"Gateway key {self.gateway_id or '(none)'} of key {self.key_id}"
