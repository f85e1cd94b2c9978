"""Domain events: what happened to a user's objects, delivered to subscribers after commit.

Services call `publish(event)` inside their transaction; subscribers (WebSocket fan-out,
later metrics) registered with `subscribe()` in an AppConfig.ready() receive it once the
transaction commits, and never when it rolls back. A failing subscriber is logged and
does not stop the others or the request that caused the event. Subscribers run in
registration order, in the thread that committed.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from functools import partial
from typing import Any, Final

from django.db import transaction
from django.utils import timezone

from apps.common.records import ValueRecord

logger = logging.getLogger(__name__)

Subscriber = Callable[["DomainEvent"], None]

# dispatch_uid -> subscriber. Written in AppConfig.ready() (and by tests), read per event;
# a copy of the values is taken per delivery, so a concurrent subscribe cannot break it.
_subscribers: dict[str, Subscriber] = {}


class DomainEvent(ValueRecord):
    """One change to one object, as its owner's clients learn about it.

    `type` is "<object>.<what>" (pet.created, photo.ready, ...); `data` is the object as
    the REST API shows it after the change (None for a deletion); `version` its version.
    """

    __slots__ = ("at", "data", "object_id", "owner_id", "type", "version")
    _fields = ("type", "owner_id", "object_id", "version", "data", "at")

    def __init__(
        self,
        type: str,
        owner_id: int,
        object_id: int | str,
        version: int,
        data: dict[str, Any] | None,
        at: datetime.datetime | None = None,
    ) -> None:
        self.type: Final = type
        self.owner_id: Final = owner_id
        self.object_id: Final = object_id
        self.version: Final = version
        self.data: Final = data
        self.at: Final = timezone.now() if at is None else at

    def message(self) -> dict[str, Any]:
        """The JSON object clients receive (docs/realtime.md)."""
        return {
            "type": self.type,
            "id": self.object_id,
            "version": self.version,
            "data": self.data,
            "at": self.at.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z"),
        }


def publish(event: DomainEvent, *, using: str | None = None) -> None:
    """Deliver `event` to every subscriber when the current transaction commits.

    Outside a transaction it is delivered at once (Django runs on_commit callbacks
    immediately in autocommit mode).
    """
    transaction.on_commit(partial(_deliver, event), using=using)


def subscribe(subscriber: Subscriber, *, dispatch_uid: str) -> None:
    """Call `subscriber(event)` for every committed event; `dispatch_uid` makes it idempotent."""
    _subscribers[dispatch_uid] = subscriber


def unsubscribe(*, dispatch_uid: str) -> bool:
    """Remove a subscriber (tests); True if there was one."""
    return _subscribers.pop(dispatch_uid, None) is not None


def _deliver(event: DomainEvent) -> None:
    for uid, subscriber in list(_subscribers.items()):
        try:
            subscriber(event)
        except Exception:
            logger.exception(
                "A domain event subscriber failed",
                extra={"eventType": event.type, "subscriber": uid},
            )
