"""The v1 message protocol (docs/realtime.md): what clients send and what they receive."""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from apps.pets import events as pet_events
from apps.photos import events as photo_events

VERSION = "v1"
# A client may ask for this subprotocol (Sec-WebSocket-Protocol); the server then selects it.
SUBPROTOCOL = "pets.v1"

# What clients may receive and subscribe to, by type or by group ("pet.*").
EVENT_TYPES = frozenset((*pet_events.TYPES, *photo_events.TYPES))
GROUPS = frozenset({"*", "pet.*", "photo.*"})
EVERYTHING = ["*"]
MAX_TOPICS = 20
ACTIONS = ("ping", "subscribe")


class ProtocolError(Exception):
    """A client message the server cannot act on; `message` goes back in an error message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ClientMessage(NamedTuple):
    action: str
    topics: list[str] | None = None


def parse(body: str | None) -> ClientMessage:
    """`{"action": "ping"}` or `{"action": "subscribe", "topics": [...]}`; else ProtocolError."""
    try:
        document = json.loads(body or "")
    except (ValueError, RecursionError):
        raise ProtocolError("Messages must be JSON objects.") from None
    if not isinstance(document, dict):
        raise ProtocolError("Messages must be JSON objects.")
    action = document.get("action")
    if action == "ping":
        return ClientMessage("ping")
    if action == "subscribe":
        return ClientMessage("subscribe", topics=_topics(document.get("topics")))
    shown = action if isinstance(action, str) and len(action) <= 64 else None
    known = ", ".join(ACTIONS)
    if shown is None:
        raise ProtocolError(f'Messages need an "action": one of {known}.')
    raise ProtocolError(f"Unknown action {shown!r}; known actions: {known}.")


def _topics(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise ProtocolError('"topics" must be a list of event types, e.g. ["pet.*"].')
    if len(value) > MAX_TOPICS:
        raise ProtocolError(f'"topics" may list at most {MAX_TOPICS} entries.')
    unknown = sorted({t for t in value if t not in EVENT_TYPES and t not in GROUPS})
    if unknown:
        shown = ", ".join(repr(t[:64]) for t in unknown[:5])
        raise ProtocolError(f"Unknown topics: {shown}. Known: {', '.join(known_topics())}.")
    return sorted(set(value))


def known_topics() -> list[str]:
    return sorted(GROUPS) + sorted(EVENT_TYPES)


def wants(subscriptions: list[str], event_type: str) -> bool:
    """Whether a connection with these subscriptions receives `event_type`."""
    group = event_type.split(".", 1)[0] + ".*"
    return any(topic in ("*", group, event_type) for topic in subscriptions)


def encode(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)


def pong() -> str:
    return encode({"type": "pong"})


def subscribed(topics: list[str]) -> str:
    return encode({"type": "subscribed", "topics": topics})


def error(message: str, **extra: Any) -> str:
    return encode({"type": "error", "message": message, **extra})
