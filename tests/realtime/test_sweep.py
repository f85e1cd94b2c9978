"""The sweep: connections of unusable keys closed, lost ones forgotten, old tickets deleted."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.api_keys.models import APIKey
from apps.realtime import services
from apps.realtime.models import Connection, Ticket
from tests.api_keys.factories import APIKeyFactory
from tests.realtime.conftest import FakeGateway

# On PostgreSQL too: conditional UPDATEs (tickets), row locks (the limit), the fan-out joins.
pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]

Connect = Callable[..., Connection]


def ago(**kwargs: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(**kwargs)


def test_connections_of_revoked_or_expired_keys_are_closed(
    key: APIKey, connect_key: Connect, gateway: FakeGateway, user: Any
) -> None:
    expired = APIKeyFactory(owner=user)
    connect_key(key, "revoked")
    connect_key(expired, "expired")
    connect_key(APIKeyFactory(owner=user), "fine")
    APIKey.objects.filter(pk=key.pk).update(revoked=True)  # e.g. a bulk update, no event
    APIKey.objects.filter(pk=expired.pk).update(expiry_date=ago(seconds=1))

    counts = services.connection_sweep(now=timezone.now())

    assert counts["closed"] == 2
    assert sorted(cid for _, cid in gateway.deletes) == ["expired", "revoked"]
    assert list(Connection.objects.values_list("pk", flat=True)) == ["fine"]


def test_silent_connections_are_asked_about_and_the_lost_ones_forgotten(
    key: APIKey, connect_key: Connect, gateway: FakeGateway
) -> None:
    connect_key(key, "lost")  # its $disconnect never came
    connect_key(key, "quiet")
    connect_key(key, "chatty")
    Connection.objects.exclude(pk="chatty").update(last_seen_at=ago(minutes=11))
    gateway.gone.add("lost")

    counts = services.connection_sweep(now=timezone.now())

    assert sorted(gateway.probes) == ["lost", "quiet"]  # not the one heard from lately
    assert (counts["gone"], counts["alive"]) == (1, 1)
    assert sorted(Connection.objects.values_list("pk", flat=True)) == ["chatty", "quiet"]
    assert Connection.objects.get(pk="quiet").last_seen_at > ago(minutes=1)


def test_a_failing_probe_keeps_the_connection(
    key: APIKey, connect_key: Connect, gateway: FakeGateway
) -> None:
    connect_key(key, "unknown")
    Connection.objects.update(last_seen_at=ago(minutes=11))
    gateway.failing["unknown"] = "ForbiddenException"

    services.connection_sweep(now=timezone.now())

    assert Connection.objects.filter(pk="unknown").exists()


def test_rows_older_than_the_two_hour_limit_are_forgotten_unasked(
    key: APIKey, connect_key: Connect, gateway: FakeGateway
) -> None:
    connect_key(key, "ancient")
    Connection.objects.update(connected_at=ago(hours=2, minutes=6), last_seen_at=ago(hours=2))

    counts = services.connection_sweep(now=timezone.now())

    assert counts["expired"] == 1
    assert gateway.probes == []
    assert not Connection.objects.exists()


def test_expired_tickets_are_deleted(key: APIKey, gateway: FakeGateway) -> None:
    services.ticket_issue(key=key, now=ago(minutes=5))
    services.ticket_issue(key=key, now=timezone.now())

    assert services.connection_sweep(now=timezone.now())["tickets"] == 1
    assert Ticket.objects.count() == 1


def test_the_command_reports_the_counts(
    gateway: FakeGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("realtime_sweep")

    assert capsys.readouterr().out.strip() == "closed: 0, expired: 0, gone: 0, alive: 0, tickets: 0"
