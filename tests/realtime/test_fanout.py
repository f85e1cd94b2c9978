"""Fan-out: committed events reach their owner's subscribed connections only; gone ones are
forgotten; large fan-outs are handed off; a revoked key's connections are closed."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from apps.api_keys.models import APIKey
from apps.api_keys.services import api_key_revoke
from apps.common.events import DomainEvent
from apps.realtime import fanout
from apps.realtime.models import Connection
from tests.api_keys.factories import APIKeyFactory
from tests.realtime.conftest import ENDPOINT, FakeGateway

# On PostgreSQL too: conditional UPDATEs (tickets), row locks (the limit), the fan-out joins.
pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]

Capture = Callable[..., AbstractContextManager[Any]]
Connect = Callable[..., Connection]


@pytest.fixture
def commit(
    django_capture_on_commit_callbacks: Capture,
) -> Callable[[], AbstractContextManager[Any]]:
    return lambda: django_capture_on_commit_callbacks(execute=True)


def messages(gateway: FakeGateway, connection_id: str) -> list[dict[str, Any]]:
    return [json.loads(data) for data in gateway.received(connection_id)]


def test_pet_changes_reach_the_owners_connections_in_order(
    api: APIClient, key: APIKey, connect_key: Connect, gateway: FakeGateway, commit: Any
) -> None:
    connect_key(key, "mine-1")
    connect_key(APIKeyFactory(owner=key.owner), "mine-2")  # the owner's other key
    with commit():
        pet = api.post("/v1/pets", {"name": "Rex", "species": "dog"}).json()
    with commit():
        api.patch(f"/v1/pets/{pet['id']}", {"name": "Max"})
    with commit():
        api.delete(f"/v1/pets/{pet['id']}")

    for connection_id in ("mine-1", "mine-2"):
        received = messages(gateway, connection_id)
        assert [(m["type"], m["id"], m["version"]) for m in received] == [
            ("pet.created", pet["id"], 1),
            ("pet.updated", pet["id"], 2),
            ("pet.deleted", pet["id"], 2),
        ]
        assert received[0]["data"] == pet
        assert received[1]["data"]["name"] == "Max"
        assert received[2]["data"] is None
    assert {endpoint for endpoint, _, _ in gateway.posts} == {ENDPOINT}


def test_another_users_connections_never_receive(
    api: APIClient, other_user: Any, connect_key: Connect, gateway: FakeGateway, commit: Any
) -> None:
    connect_key(APIKeyFactory(owner=other_user), "theirs")
    with commit():
        api.post("/v1/pets", {"name": "Rex", "species": "dog"})

    assert gateway.posts == []


def test_rolled_back_work_is_never_pushed(
    key: APIKey, connect_key: Connect, gateway: FakeGateway, commit: Any
) -> None:
    from apps.pets.services import pet_create

    connect_key(key, "mine")

    def create_then_fail() -> None:
        with transaction.atomic():
            pet_create(owner=key.owner, name="Rex", species="dog")
            raise RuntimeError

    with commit(), pytest.raises(RuntimeError):
        create_then_fail()

    assert gateway.posts == []


def test_subscriptions_narrow_what_a_connection_receives(
    api: APIClient, key: APIKey, connect_key: Connect, gateway: FakeGateway, commit: Any
) -> None:
    connect_key(key, "pets", ["pet.*"])
    connect_key(key, "photos", ["photo.*"])
    connect_key(key, "deletions", ["pet.deleted", "photo.deleted"])
    connect_key(key, "nothing", [])
    with commit():
        pet = api.post("/v1/pets", {"name": "Rex", "species": "dog"}).json()
    with commit():
        api.delete(f"/v1/pets/{pet['id']}")

    assert [m["type"] for m in messages(gateway, "pets")] == ["pet.created", "pet.deleted"]
    assert messages(gateway, "photos") == []
    assert [m["type"] for m in messages(gateway, "deletions")] == ["pet.deleted"]
    assert messages(gateway, "nothing") == []


def test_a_gone_connection_is_forgotten_and_the_others_still_receive(
    api: APIClient, key: APIKey, connect_key: Connect, gateway: FakeGateway, commit: Any
) -> None:
    connect_key(key, "vanished")
    connect_key(key, "alive")
    gateway.gone.add("vanished")
    with commit():
        api.post("/v1/pets", {"name": "Rex", "species": "dog"})

    assert list(Connection.objects.values_list("pk", flat=True)) == ["alive"]
    assert len(gateway.received("alive")) == 1


def test_a_failing_push_is_logged_and_the_connection_kept(
    api: APIClient,
    key: APIKey,
    connect_key: Connect,
    gateway: FakeGateway,
    commit: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    connect_key(key, "slow")
    gateway.failing["slow"] = "LimitExceededException"
    with caplog.at_level(logging.WARNING, logger="apps.realtime.fanout"), commit():
        response = api.post("/v1/pets", {"name": "Rex", "species": "dog"})

    assert response.status_code == 201  # the request that caused it is unaffected
    assert Connection.objects.filter(pk="slow").exists()
    assert caplog.records[-1].outcomes == {"LimitExceededException": 1}  # type: ignore[attr-defined]


def test_revoked_or_expired_keys_get_no_events(
    key: APIKey, connect_key: Connect, gateway: FakeGateway
) -> None:
    connect_key(key, "revoked")
    APIKey.objects.filter(pk=key.pk).update(revoked=True)  # not through the service

    fanout.publish(DomainEvent("pet.created", key.owner_id, 1, 1, {}))

    assert gateway.posts == []


def test_revoking_a_key_closes_its_connections_only(
    key: APIKey, connect_key: Connect, gateway: FakeGateway, commit: Any
) -> None:
    other_key = APIKeyFactory(owner=key.owner)
    connect_key(key, "a")
    connect_key(key, "b")
    connect_key(other_key, "c")
    with commit():
        api_key_revoke(key=key)

    assert sorted(gateway.deletes) == [(ENDPOINT, "a"), (ENDPOINT, "b")]
    assert list(Connection.objects.values_list("pk", flat=True)) == ["c"]


def test_more_connections_than_the_inline_maximum_are_handed_off(
    key: APIKey,
    connect_key: Connect,
    gateway: FakeGateway,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.REALTIME = {"INLINE_FANOUT_MAX": 2, "FANOUT_FUNCTION": "realtime-fn"}
    invoked: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(fanout, "_invoke_async", lambda fn, payload: invoked.append((fn, payload)))
    for n in range(3):
        connect_key(key, f"c{n}")
    event = DomainEvent("pet.created", key.owner_id, 7, 1, {"id": 7})

    assert fanout.publish(event) == "handed-off"
    assert gateway.posts == []  # nothing pushed in the request
    ((function, payload),) = invoked
    assert function == "realtime-fn"
    # What the realtime function does with the payload it is invoked with.
    assert fanout.run_handed_off(json.loads(json.dumps(payload))[fanout.PAYLOAD_KEY]) == {"sent": 3}
    assert sorted(cid for _, cid, _ in gateway.posts) == ["c0", "c1", "c2"]
    assert json.loads(gateway.posts[0][2]) == event.message()


def test_at_the_inline_maximum_the_push_happens_in_the_request(
    key: APIKey, connect_key: Connect, gateway: FakeGateway, settings: Any
) -> None:
    settings.REALTIME = {"INLINE_FANOUT_MAX": 2, "SEND_CONCURRENCY": 4}
    connect_key(key, "c0")
    connect_key(key, "c1")

    assert fanout.publish(DomainEvent("pet.created", key.owner_id, 7, 1, {})) == "inline"
    assert sorted(cid for _, cid, _ in gateway.posts) == ["c0", "c1"]


def test_without_a_function_the_hand_off_is_a_background_thread(
    key: APIKey, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.REALTIME = {"INLINE_FANOUT_MAX": 0}
    submitted: list[Any] = []

    class Pool:
        def submit(self, fn: Callable[..., Any], *args: Any) -> None:
            submitted.append((fn, args))

    monkeypatch.setattr(fanout, "_pool", lambda name, workers: Pool())
    monkeypatch.setattr(fanout.selectors, "event_targets", lambda **kw: ["one"])

    assert fanout.publish(DomainEvent("pet.created", key.owner_id, 7, 1, {})) == "handed-off"
    ((function, (payload,)),) = submitted
    assert function is fanout._run_in_thread
    assert payload[fanout.PAYLOAD_KEY]["owner_id"] == key.owner_id


@pytest.mark.parametrize("job", [None, "x", {}, {"message": "x"}])
def test_a_malformed_hand_off_is_refused(job: Any) -> None:
    with pytest.raises(ValueError, match="fan-out"):
        fanout.run_handed_off(job)


def test_internal_events_are_never_pushed(
    key: APIKey, connect_key: Connect, gateway: FakeGateway, commit: Any
) -> None:
    from apps.common.events import publish

    connect_key(key, "c0")
    with commit():
        publish(DomainEvent("api_key.created", key.owner_id, key.pk, 1, {}))

    assert gateway.posts == []
