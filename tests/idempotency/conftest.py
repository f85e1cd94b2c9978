"""Fixtures for Idempotency-Key tests: each store (database, real Redis) and a clock."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from apps.idempotency.redis_store import RedisStore
from apps.idempotency.stores import DatabaseStore, IdempotencyStore
from tests.redis_service import REDIS_URL, redis_or_skip

START = datetime.datetime(2026, 3, 4, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture(scope="session")
def redis_client() -> redis.Redis:
    """The real Redis; skipped when unreachable, unless CI is set (then it fails)."""
    client = redis_or_skip()
    return client


@pytest.fixture
def redis_prefix(redis_client: redis.Redis) -> Iterator[str]:
    """A key prefix of this test's own; only its keys are deleted afterwards."""
    value = f"test-idempotency-{uuid.uuid4().hex}"
    yield value
    for name in redis_client.scan_iter(match=f"{value}:*"):
        redis_client.delete(name)


@pytest.fixture(params=["database", "redis"])
def store(request: pytest.FixtureRequest, db: None) -> IdempotencyStore:
    if request.param == "database":
        return DatabaseStore()
    prefix: str = request.getfixturevalue("redis_prefix")
    return RedisStore(url=REDIS_URL, prefix=prefix)


@pytest.fixture
def redis_settings(settings: Any, redis_prefix: str) -> str:
    """Route the API's records to Redis, under this test's prefix."""
    settings.IDEMPOTENCY = {"REDIS_URL": REDIS_URL, "REDIS_KEY_PREFIX": redis_prefix}
    return redis_prefix
