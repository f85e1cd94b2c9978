"""The realtime app's domain event subscriber: client events fan out; a revoked key's
connections are closed."""

from __future__ import annotations

from apps.api_keys import events as key_events
from apps.common.events import DomainEvent
from apps.realtime import fanout, protocol, services


def on_domain_event(event: DomainEvent) -> None:
    if event.type in protocol.EVENT_TYPES:
        fanout.publish(event)
    elif event.type == key_events.REVOKED:
        services.key_connections_close(key_id=int(event.object_id))
