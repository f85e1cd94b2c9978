"""The realtime app's domain event subscriber: client events fan out; a revoked key's
connections are closed.

Subscribed at start-up (apps.realtime.apps); the protocol (with the pets' and photos' event
types), the fan-out and the services it calls are imported with the first event, so a
process that publishes none (a Lambda cold start serving a read) does not load them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apps.common.events import DomainEvent


def on_domain_event(event: DomainEvent) -> None:
    from apps.api_keys import events as key_events
    from apps.realtime import fanout, protocol, services

    if event.type in protocol.EVENT_TYPES:
        fanout.publish(event)
    elif event.type == key_events.REVOKED:
        services.key_connections_close(key_id=int(event.object_id))
