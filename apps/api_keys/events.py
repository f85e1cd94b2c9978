"""The domain events of API keys: api_key.revoked (apps.common.events); never sent to clients."""

from __future__ import annotations

from apps.api_keys.models import APIKey
from apps.common.events import DomainEvent

REVOKED = "api_key.revoked"


def api_key_event(event_type: str, key: APIKey) -> DomainEvent:
    return DomainEvent(
        type=event_type,
        owner_id=key.owner_id,
        object_id=key.pk,
        version=1,
        data={"prefix": key.prefix},
    )
