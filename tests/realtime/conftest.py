"""Realtime fixtures: a recording stand-in for the @connections API, keys and connections."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.utils import timezone

from apps.api_keys.models import APIKey
from apps.realtime import connections_api
from apps.realtime.models import Connection
from tests.api_keys.factories import APIKeyFactory

ENDPOINT = "https://asasasas.execute-api.us-east-1.amazonaws.com/prod"


@dataclass
class FakeGateway:
    """What the app asked the Management API to do; ids in `gone` answer 410, ids in
    `failing` answer their error code."""

    posts: list[tuple[str, str, bytes]] = field(default_factory=list)
    deletes: list[tuple[str, str]] = field(default_factory=list)
    probes: list[str] = field(default_factory=list)
    gone: set[str] = field(default_factory=set)
    failing: dict[str, str] = field(default_factory=dict)

    def _check(self, connection_id: str) -> None:
        if connection_id in self.gone:
            raise connections_api.GoneError
        if connection_id in self.failing:
            raise connections_api.PushError(self.failing[connection_id])

    def post(self, endpoint: str, connection_id: str, data: bytes) -> None:
        self._check(connection_id)
        self.posts.append((endpoint, connection_id, data))

    def delete(self, endpoint: str, connection_id: str) -> bool:
        if connection_id in self.failing:
            raise connections_api.PushError(self.failing[connection_id])
        self.deletes.append((endpoint, connection_id))
        return connection_id not in self.gone

    def exists(self, endpoint: str, connection_id: str) -> bool:
        self.probes.append(connection_id)
        if connection_id in self.failing:
            raise connections_api.PushError(self.failing[connection_id])
        return connection_id not in self.gone

    def received(self, connection_id: str) -> list[bytes]:
        return [data for _, cid, data in self.posts if cid == connection_id]


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch) -> FakeGateway:
    fake = FakeGateway()
    for name in ("post", "delete", "exists"):
        monkeypatch.setattr(connections_api, name, getattr(fake, name))
    return fake


@pytest.fixture
def key(user: Any) -> APIKey:
    return APIKeyFactory(owner=user)


@pytest.fixture
def connect_key() -> Callable[..., Connection]:
    """A registered connection of `key` (no gateway involved)."""

    def make(key: APIKey, connection_id: str, subscriptions: list[str] | None = None) -> Connection:
        now = timezone.now()
        return Connection.objects.create(
            connection_id=connection_id,
            owner=key.owner,
            key=key,
            endpoint=ENDPOINT,
            subscriptions=["*"] if subscriptions is None else subscriptions,
            connected_at=now,
            last_seen_at=now,
        )

    return make
