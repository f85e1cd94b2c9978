"""Idempotency under concurrency through a real server: 16 clients post the same key at once
and exactly one pet is created; the others wait (409) or get its response replayed. Runs on
the session's database (SQLite and PostgreSQL legs), and with the Redis store."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable

import httpx
import pytest
import redis

from tests.idempotency.conftest import REDIS_URL
from tests.servers import CLIENTS, Server, at_once
from tests.servers import migrated_sqlite as migrated_sqlite  # fixtures
from tests.servers import real_server as real_server

pytestmark = pytest.mark.django_db(transaction=True)

BODY = {"name": "Once", "species": "cat"}


def post_sixteen_times(server: Server) -> list[httpx.Response]:
    def post(client: httpx.Client, n: int) -> httpx.Response:
        return client.post("/v1/pets", json=BODY, headers={"Idempotency-Key": "same-key"})

    return at_once(server, post)


def assert_exactly_one_pet(server: Server, responses: list[httpx.Response]) -> None:
    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}, statuses
    first = [
        r for r in responses if r.status_code == 201 and "idempotent-replayed" not in r.headers
    ]
    assert len(first) == 1, statuses
    created = first[0].json()
    assert all(r.json() == created for r in responses if r.status_code == 201)
    assert all(r.headers["retry-after"] == "1" for r in responses if r.status_code == 409)
    with server.client() as client:
        listing = client.get("/v1/pets").json()
        retry = client.post("/v1/pets", json=BODY, headers={"Idempotency-Key": "same-key"})
    assert listing["count"] == 1
    assert listing["results"][0]["id"] == created["id"]
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json() == created


def test_sixteen_posts_with_one_key_create_one_pet(real_server: Callable[..., Server]) -> None:
    server = real_server()

    responses = post_sixteen_times(server)

    assert len(responses) == CLIENTS
    assert_exactly_one_pet(server, responses)


def test_with_the_redis_store_too(real_server: Callable[..., Server]) -> None:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is not reachable at {REDIS_URL} ({exc})")
    prefix = f"test-idempotency-server-{uuid.uuid4().hex}"
    server = real_server(
        REDIS_URL=REDIS_URL,
        IDEMPOTENCY_REDIS_KEY_PREFIX=prefix,
        API_KEYS_REDIS_KEY_PREFIX=f"{prefix}-keys",
    )
    try:
        assert_exactly_one_pet(server, post_sixteen_times(server))
        assert list(client.scan_iter(match=f"{prefix}:*"))  # the record is in Redis
    finally:
        for pattern in (f"{prefix}:*", f"{prefix}-keys:*"):
            for name in client.scan_iter(match=pattern):
                client.delete(name)
