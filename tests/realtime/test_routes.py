"""The WebSocket routes with real event samples: $connect (key, ticket, refusals, metering,
the per-key limit), messages (ping, subscribe, bad input), $disconnect."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from apps.api_keys.models import APIKey, KeyMeter
from apps.api_keys.services import api_key_revoke
from apps.realtime import routes, services
from apps.realtime.models import Connection, Ticket
from tests.api_keys.factories import APIKeyFactory, UsagePlanFactory
from tests.realtime import events
from tests.realtime.conftest import ENDPOINT, FakeGateway

# On PostgreSQL too: conditional UPDATEs (tickets), row locks (the limit), the fan-out joins.
pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]


def body(result: dict[str, Any]) -> Any:
    return json.loads(result["body"])


def ticket_for(key: APIKey, **kwargs: Any) -> str:
    return services.ticket_issue(key=key, now=kwargs.get("now", timezone.now()))[1]


def test_a_key_in_the_header_connects_and_registers_the_owner(key: APIKey) -> None:
    # The client's header casing, as API Gateway passes it on $connect.
    result = routes.handle(events.connect("c1", headers={"X-Api-Key": key.raw_key}))  # type: ignore[attr-defined]

    assert result == {"statusCode": 200}
    connection = Connection.objects.get()
    assert (connection.connection_id, connection.owner, connection.key) == ("c1", key.owner, key)
    assert connection.endpoint == ENDPOINT  # https://{domainName}/{stage} from the sample
    assert connection.subscriptions == ["*"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-api-key": ""},
        {"x-api-key": "nonsense"},
        {"x-api-key": "abcdefgh.wrongsecretwrongsecretwrongsecre"},
    ],
)
def test_without_a_usable_key_the_handshake_is_refused_403(headers: dict[str, str]) -> None:
    result = routes.handle(events.connect(headers=headers))

    assert result["statusCode"] == 403
    assert body(result) == {"message": "Forbidden"}
    assert not Connection.objects.exists()


@pytest.mark.parametrize("state", ["revoked", "expired", "inactive owner"])
def test_a_revoked_or_expired_key_is_refused(key: APIKey, state: str) -> None:
    if state == "revoked":
        api_key_revoke(key=key)
    elif state == "expired":
        APIKey.objects.filter(pk=key.pk).update(expiry_date=timezone.now())
    else:
        type(key.owner).objects.filter(pk=key.owner.pk).update(is_active=False)

    result = routes.handle(events.connect(headers={"x-api-key": key.raw_key}))  # type: ignore[attr-defined]

    assert result["statusCode"] == 403


def test_a_ticket_connects_once(key: APIKey) -> None:
    ticket = ticket_for(key)

    first = routes.handle(events.connect("c1", query={"ticket": [ticket]}))
    again = routes.handle(events.connect("c2", query={"ticket": [ticket]}))

    assert first["statusCode"] == 200
    assert again["statusCode"] == 403
    assert list(Connection.objects.values_list("connection_id", "key")) == [("c1", key.pk)]


def test_an_expired_ticket_is_refused(key: APIKey) -> None:
    issued = timezone.now() - datetime.timedelta(seconds=31)
    ticket = ticket_for(key, now=issued)

    assert routes.handle(events.connect(query={"ticket": [ticket]}))["statusCode"] == 403


@pytest.mark.parametrize("ticket", ["", "x" * 65, "unknown-ticket", "ä" * 10])
def test_an_unknown_or_malformed_ticket_is_refused(key: APIKey, ticket: str) -> None:
    assert routes.handle(events.connect(query={"ticket": [ticket]}))["statusCode"] == 403


def test_a_ticket_with_another_users_key_in_the_header_is_refused(
    key: APIKey, other_user: Any
) -> None:
    ticket = ticket_for(key)
    other = APIKeyFactory(owner=other_user)

    result = routes.handle(
        events.connect(headers={"x-api-key": other.raw_key}, query={"ticket": [ticket]})  # type: ignore[attr-defined]
    )

    assert result["statusCode"] == 403
    assert not Connection.objects.exists()


def test_a_ticket_of_a_key_revoked_since_is_refused(key: APIKey) -> None:
    ticket = ticket_for(key)
    api_key_revoke(key=key)

    assert routes.handle(events.connect(query={"ticket": [ticket]}))["statusCode"] == 403


def test_two_tickets_are_a_400(key: APIKey) -> None:
    result = routes.handle(events.connect(query={"ticket": [ticket_for(key), ticket_for(key)]}))

    assert result["statusCode"] == 400


def test_only_a_digest_of_the_ticket_is_stored(key: APIKey) -> None:
    ticket = ticket_for(key)

    stored = Ticket.objects.get()
    assert ticket not in stored.digest
    assert len(stored.digest) == 64


def test_connection_attempts_count_against_the_plan(key: APIKey) -> None:
    routes.handle(events.connect("c1", headers={"x-api-key": key.raw_key}))  # type: ignore[attr-defined]
    routes.handle(events.connect("c2", query={"ticket": [ticket_for(key)]}))

    assert KeyMeter.objects.get(pk=key.pk).period_count == 2


def test_a_used_up_quota_refuses_new_connections_with_api_gateways_429(user: Any) -> None:
    key = APIKeyFactory(owner=user, plan=UsagePlanFactory(limit=1))
    assert (
        routes.handle(events.connect("c1", headers={"x-api-key": key.raw_key}))["statusCode"] == 200
    )  # type: ignore[attr-defined]

    refused = routes.handle(events.connect("c2", headers={"x-api-key": key.raw_key}))  # type: ignore[attr-defined]

    assert refused["statusCode"] == 429
    assert body(refused) == {"message": "Limit Exceeded"}
    assert int(refused["headers"]["Retry-After"]) > 0
    assert KeyMeter.objects.get(pk=key.pk).period_count == 1  # a refusal is not counted


def test_an_empty_bucket_refuses_with_too_many_requests(user: Any) -> None:
    key = APIKeyFactory(owner=user, plan=UsagePlanFactory(rate=1, burst=1))
    routes.handle(events.connect("c1", headers={"x-api-key": key.raw_key}))  # type: ignore[attr-defined]

    refused = routes.handle(events.connect("c2", headers={"x-api-key": key.raw_key}))  # type: ignore[attr-defined]

    assert (refused["statusCode"], body(refused)) == (429, {"message": "Too Many Requests"})


def test_the_per_key_connection_limit(key: APIKey, settings: Any) -> None:
    settings.REALTIME = {"MAX_CONNECTIONS_PER_KEY": 2}
    results = [
        routes.handle(events.connect(f"c{n}", headers={"x-api-key": key.raw_key}))["statusCode"]  # type: ignore[attr-defined]
        for n in range(3)
    ]
    routes.handle(events.disconnect("c0"))
    after_one_left = routes.handle(events.connect("c3", headers={"x-api-key": key.raw_key}))  # type: ignore[attr-defined]

    assert results == [200, 200, 429]
    assert after_one_left["statusCode"] == 200
    assert Connection.objects.count() == 2


def test_the_limit_is_per_key_not_per_user(key: APIKey, settings: Any) -> None:
    settings.REALTIME = {"MAX_CONNECTIONS_PER_KEY": 1}
    second_key = APIKeyFactory(owner=key.owner)

    first = routes.handle(events.connect("c1", headers={"x-api-key": key.raw_key}))  # type: ignore[attr-defined]
    second = routes.handle(events.connect("c2", headers={"x-api-key": second_key.raw_key}))  # type: ignore[attr-defined]

    assert (first["statusCode"], second["statusCode"]) == (200, 200)


def test_the_v1_subprotocol_is_selected_when_offered(key: APIKey) -> None:
    headers = {"x-api-key": key.raw_key, "Sec-WebSocket-Protocol": "chat, pets.v1"}  # type: ignore[attr-defined]

    result = routes.handle(events.connect(headers=headers))

    assert result == {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": "pets.v1"}}


def test_only_unknown_subprotocols_are_a_400(key: APIKey) -> None:
    headers = {"x-api-key": key.raw_key, "Sec-WebSocket-Protocol": "pets.v2"}  # type: ignore[attr-defined]

    assert routes.handle(events.connect(headers=headers))["statusCode"] == 400


def test_the_endpoint_follows_the_forwarded_port_and_protocol(key: APIKey) -> None:
    event = events.connect(
        headers={"x-api-key": key.raw_key, "X-Forwarded-Proto": "http", "X-Forwarded-Port": "3000"}  # type: ignore[attr-defined]
    )
    event["requestContext"]["domainName"] = "127.0.0.1"

    routes.handle(event)

    assert Connection.objects.get().endpoint == "http://127.0.0.1:3000/prod"


def test_a_configured_endpoint_wins(key: APIKey, settings: Any) -> None:
    settings.REALTIME = {"MANAGEMENT_ENDPOINT": "https://ws.example.com/live/"}

    routes.handle(events.connect(headers={"x-api-key": key.raw_key}))  # type: ignore[attr-defined]

    assert Connection.objects.get().endpoint == "https://ws.example.com/live"


# --- messages ---------------------------------------------------------------------------


@pytest.fixture
def connected(key: APIKey, connect_key: Callable[..., Connection]) -> Connection:
    return connect_key(key, "BFaT_fALIAMCKug=")


def test_ping_is_answered_pong(connected: Connection) -> None:
    assert body(routes.handle(events.message({"action": "ping"}))) == {"type": "pong"}


def test_the_custom_route_sample_is_an_unknown_action(connected: Connection) -> None:
    result = routes.handle(events.load(events.MESSAGE))  # {"action": "chat", ...}

    assert body(result)["type"] == "error"
    assert "chat" in body(result)["message"]
    assert Connection.objects.filter(pk=connected.pk).exists()  # never a disconnect


def test_subscribe_narrows_and_is_stored(connected: Connection) -> None:
    result = routes.handle(
        events.message({"action": "subscribe", "topics": ["photo.ready", "pet.*"]})
    )

    assert body(result) == {"type": "subscribed", "topics": ["pet.*", "photo.ready"]}
    connected.refresh_from_db()
    assert connected.subscriptions == ["pet.*", "photo.ready"]


@pytest.mark.parametrize(
    ("sent", "fragment"),
    [
        ("not json", "JSON objects"),
        ("", "JSON objects"),
        ("[1, 2]", "JSON objects"),
        ('"ping"', "JSON objects"),
        ("[" * 100_000, "JSON objects"),
        ({}, '"action"'),
        ({"action": 5}, '"action"'),
        ({"action": "x" * 1000}, '"action"'),
        ({"action": "dance"}, "dance"),
        ({"action": "subscribe"}, "list"),
        ({"action": "subscribe", "topics": "pet.*"}, "list"),
        ({"action": "subscribe", "topics": [1]}, "list"),
        ({"action": "subscribe", "topics": ["pet.eaten"]}, "Unknown topics"),
        ({"action": "subscribe", "topics": ["pet.*"] * 21}, "at most"),
    ],
)
def test_bad_messages_get_an_error_message_and_keep_the_connection(
    connected: Connection, sent: Any, fragment: str
) -> None:
    result = routes.handle(events.message(sent))

    reply = body(result)
    assert reply["type"] == "error"
    assert fragment in reply["message"]
    connected.refresh_from_db()
    assert connected.subscriptions == ["*"]


def test_messages_count_against_the_plan_and_a_used_up_quota_answers_an_error(
    user: Any, connect_key: Callable[..., Connection]
) -> None:
    key = APIKeyFactory(owner=user, plan=UsagePlanFactory(limit=2))
    connect_key(key, "BFaT_fALIAMCKug=")

    replies = [body(routes.handle(events.message({"action": "ping"}))) for _ in range(3)]

    assert replies[:2] == [{"type": "pong"}, {"type": "pong"}]
    assert replies[2]["type"] == "error"
    assert replies[2]["message"] == "Limit Exceeded"
    assert replies[2]["retryAfter"] > 0


def test_a_message_on_an_unknown_connection_is_forbidden() -> None:
    assert body(routes.handle(events.message({"action": "ping"}))) == {
        "type": "error",
        "message": "Forbidden",
    }


def test_a_message_after_the_key_was_revoked_closes_the_connection(
    connected: Connection, gateway: FakeGateway
) -> None:
    APIKey.objects.filter(pk=connected.key_id).update(revoked=True)  # not through the service

    reply = body(routes.handle(events.message({"action": "ping"})))

    assert reply == {"type": "error", "message": "Forbidden"}
    assert gateway.deletes == [(ENDPOINT, connected.connection_id)]
    assert not Connection.objects.exists()


def test_a_message_marks_the_connection_seen(connected: Connection) -> None:
    Connection.objects.update(last_seen_at=timezone.now() - datetime.timedelta(hours=1))

    routes.handle(events.message({"action": "ping"}))

    connected.refresh_from_db()
    assert timezone.now() - connected.last_seen_at < datetime.timedelta(minutes=1)


def test_disconnect_forgets_the_connection(connected: Connection) -> None:
    assert routes.handle(events.disconnect()) == {"statusCode": 200}
    assert not Connection.objects.exists()
    assert routes.handle(events.disconnect()) == {"statusCode": 200}  # again: nothing to do
