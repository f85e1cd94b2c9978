"""Reads: which connections an event goes to, and which ones the sweep must look at."""

from __future__ import annotations

import datetime
from typing import NamedTuple

from django.db.models import Q, QuerySet

from apps.api_keys.models import APIKey
from apps.realtime import protocol
from apps.realtime.models import Connection


class Target(NamedTuple):
    """Where one push goes: a connection and the @connections API that reaches it."""

    connection_id: str
    endpoint: str


def usable_key(now: datetime.datetime, prefix: str = "key__") -> Q:
    """Connections (or tickets) whose key still authenticates: the checks of
    apps.api_keys.selectors.api_key_from_raw, as a filter."""
    return Q(**{f"{prefix}revoked": False, f"{prefix}owner__is_active": True}) & (
        Q(**{f"{prefix}expiry_date__isnull": True}) | Q(**{f"{prefix}expiry_date__gt": now})
    )


def event_targets(*, owner_id: int, event_type: str, now: datetime.datetime) -> list[Target]:
    """The owner's connections that subscribe to `event_type`, through usable keys only."""
    rows = (
        Connection.objects.filter(usable_key(now), owner_id=owner_id)
        .order_by()
        .values_list("connection_id", "endpoint", "subscriptions")
    )
    return [
        Target(connection_id, endpoint)
        for connection_id, endpoint, subscriptions in rows
        if protocol.wants(subscriptions, event_type)
    ]


def key_targets(*, key_id: int) -> list[Target]:
    return [
        Target(*row)
        for row in Connection.objects.filter(key_id=key_id).values_list("connection_id", "endpoint")
    ]


def unusable(*, now: datetime.datetime) -> QuerySet[Connection]:
    """Connections whose key was revoked or expired, or whose owner was deactivated."""
    return Connection.objects.exclude(usable_key(now))


def silent(*, since: datetime.datetime) -> QuerySet[Connection]:
    """Connections nothing was heard from since `since` (the sweep asks the gateway about them)."""
    return Connection.objects.filter(last_seen_at__lt=since).order_by("last_seen_at")


def key_is_usable(key: APIKey, now: datetime.datetime) -> bool:
    return (
        not key.revoked
        and (key.expiry_date is None or key.expiry_date > now)
        and key.owner.is_active
    )
