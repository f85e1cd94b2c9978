"""The outcome of a sync attempt, written on the plan's or key's record for the admin."""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone

from apps.api_keys.gateway.client import GatewayError
from apps.api_keys.gateway.models import GatewayRecord, SyncState

logger = logging.getLogger("apps.api_keys.gateway")

MAX_ERROR_CHARS = 2000


def mark_failed(record: GatewayRecord, error: GatewayError) -> None:
    record.state, record.last_error = SyncState.ERROR, str(error)[:MAX_ERROR_CHARS]
    record.attempted_at = timezone.now()
    record.save(update_fields=["state", "last_error", "attempted_at"])
    logger.warning("API Gateway sync failed", extra={"record": str(record), "error": str(error)})


def mark_synced(record: GatewayRecord, gateway_id: str, **fields: Any) -> None:
    record.gateway_id, record.state, record.last_error = gateway_id, SyncState.SYNCED, ""
    record.attempted_at = record.synced_at = timezone.now()
    for name, value in fields.items():
        setattr(record, name, value)
    record.save(
        update_fields=[
            "gateway_id",
            "state",
            "last_error",
            "attempted_at",
            "synced_at",
            *fields,
        ]
    )


def mark_unsyncable(record: GatewayRecord) -> None:
    record.state = SyncState.UNSYNCABLE
    record.last_error = (
        "Made before the REST API sync was on: only its hash is stored, so API Gateway cannot "
        "be given its value. Issue a new key for this client (docs/rest-api.md)."
    )
    record.attempted_at = timezone.now()
    record.save(update_fields=["state", "last_error", "attempted_at"])
