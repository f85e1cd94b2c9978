"""Writes: tickets issued and redeemed, connections opened, subscribed, closed and swept."""

from __future__ import annotations

import datetime
import hashlib
import logging
import secrets

from django.db import transaction
from django.db.models import Q

from apps.api_keys.models import APIKey
from apps.realtime import connections_api, selectors
from apps.realtime.conf import realtime_settings
from apps.realtime.models import Connection, Ticket
from apps.realtime.protocol import EVERYTHING

logger = logging.getLogger(__name__)

# API Gateway ends every connection after 2 hours (not raisable); a row older than that
# (plus slack for clock skew) outlived its connection.
# https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html
MAX_CONNECTION_AGE = datetime.timedelta(hours=2)
SWEEP_SLACK = datetime.timedelta(minutes=5)
# The sweep asks the gateway about at most this many silent connections per run.
SWEEP_PROBES = 500
TICKET_BYTES = 32  # 256 bits from secrets.token_urlsafe: 43 characters
MAX_TICKET_LENGTH = 64


class TicketRejectedError(Exception):
    """The ticket cannot be redeemed; `reason` is for logs only."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ConnectionLimitError(Exception):
    """The key already holds REALTIME["MAX_CONNECTIONS_PER_KEY"] connections."""


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def ticket_issue(*, key: APIKey, now: datetime.datetime) -> tuple[Ticket, str]:
    """A new single-use ticket for `key`; the raw ticket exists only in the return value."""
    raw = secrets.token_urlsafe(TICKET_BYTES)
    ticket = Ticket.objects.create(
        digest=_digest(raw),
        key=key,
        created_at=now,
        expires_at=now + datetime.timedelta(seconds=realtime_settings().TICKET_TTL),
    )
    return ticket, raw


def ticket_redeem(*, raw: str, now: datetime.datetime) -> APIKey:
    """The key a valid, unused, unexpired ticket stands for; the ticket is used up at once.

    One conditional UPDATE, so of two connections racing with one ticket exactly one wins.
    """
    if not raw or len(raw) > MAX_TICKET_LENGTH:
        raise TicketRejectedError("malformed")
    digest = _digest(raw)
    updated = Ticket.objects.filter(digest=digest, used_at__isnull=True, expires_at__gt=now).update(
        used_at=now
    )
    ticket = (
        Ticket.objects.select_related("key__plan", "key__owner", "key__meter")
        .filter(digest=digest)
        .first()
    )
    if ticket is None:
        raise TicketRejectedError("unknown")
    if not updated:
        raise TicketRejectedError("used" if ticket.used_at is not None else "expired")
    return ticket.key


@transaction.atomic
def connection_open(
    *, connection_id: str, key: APIKey, endpoint: str, now: datetime.datetime
) -> Connection:
    """Register a connection of `key`, unless the key already holds its limit.

    The key's row is locked first, so concurrent $connects of one key count one at a time
    (SQLite serialises writers anyway).
    """
    APIKey.objects.select_for_update().filter(pk=key.pk).values_list("pk", flat=True).first()
    held = Connection.objects.filter(key=key).exclude(connection_id=connection_id).count()
    if held >= realtime_settings().MAX_CONNECTIONS_PER_KEY:
        raise ConnectionLimitError
    connection, _ = Connection.objects.update_or_create(
        connection_id=connection_id,
        defaults={
            "owner_id": key.owner_id,
            "key": key,
            "endpoint": endpoint,
            "subscriptions": EVERYTHING,
            "connected_at": now,
            "last_seen_at": now,
        },
    )
    return connection


def connection_forget(*, connection_id: str) -> bool:
    """Drop the row of a connection that is gone; False if there was none."""
    deleted, _ = Connection.objects.filter(connection_id=connection_id).delete()
    return bool(deleted)


def connection_subscribe(*, connection: Connection, topics: list[str]) -> None:
    connection.subscriptions = topics
    Connection.objects.filter(pk=connection.pk).update(subscriptions=topics)


def connection_seen(*, connection: Connection, now: datetime.datetime) -> None:
    Connection.objects.filter(pk=connection.pk).update(last_seen_at=now)


def connection_close(*, target: selectors.Target) -> None:
    """Close a connection through the Management API (the client sees the socket close)
    and forget it; a connection that is already gone is only forgotten."""
    try:
        connections_api.delete(target.endpoint, target.connection_id)
    except connections_api.PushError as exc:
        # Forgotten anyway: without its row nothing is pushed to it, and a message it sends
        # is answered "Forbidden"; API Gateway closes it within its 10-minute idle timeout.
        logger.warning(
            "Closing a connection failed",
            extra={"connectionId": target.connection_id, "error": exc.code},
        )
    connection_forget(connection_id=target.connection_id)


def key_connections_close(*, key_id: int) -> int:
    """Close every connection of a key (revoked, say); how many there were."""
    targets = selectors.key_targets(key_id=key_id)
    for target in targets:
        connection_close(target=target)
    return len(targets)


def connection_sweep(*, now: datetime.datetime) -> dict[str, int]:
    """Settle what events alone leave behind; counts by what was done.

    - `closed`: connections of revoked or expired keys (or inactive owners), closed.
    - `expired`: rows older than API Gateway's 2-hour connection limit, forgotten.
    - `gone`: silent connections the gateway no longer knows (a lost $disconnect), forgotten.
    - `alive`: silent connections the gateway still holds, marked seen.
    - `tickets`: expired tickets, deleted.
    """
    counts = {"closed": 0, "expired": 0, "gone": 0, "alive": 0, "tickets": 0}
    for connection in selectors.unusable(now=now).iterator():
        connection_close(target=selectors.Target(connection.connection_id, connection.endpoint))
        counts["closed"] += 1
    counts["expired"], _ = Connection.objects.filter(
        connected_at__lt=now - MAX_CONNECTION_AGE - SWEEP_SLACK
    ).delete()
    since = now - datetime.timedelta(seconds=realtime_settings().SWEEP_IDLE)
    for connection in selectors.silent(since=since)[:SWEEP_PROBES]:
        try:
            alive = connections_api.exists(connection.endpoint, connection.connection_id)
        except connections_api.PushError as exc:
            logger.warning(
                "Asking about a connection failed",
                extra={"connectionId": connection.connection_id, "error": exc.code},
            )
            continue
        if alive:
            connection_seen(connection=connection, now=now)
        else:
            connection_forget(connection_id=connection.connection_id)
        counts["alive" if alive else "gone"] += 1
    counts["tickets"], _ = Ticket.objects.filter(Q(expires_at__lt=now)).delete()
    return counts
