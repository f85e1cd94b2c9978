"""Redis down and back with the Redis counter store: keyed requests keep their answers (the
token bucket falls back to the meter row), and Redis is used again once it answers, with
no restart. A TCP proxy in front of the real Redis (TEST_REDIS_URL) refuses, drops or
stalls connections."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from apps.api_keys import redis_bucket
from apps.api_keys.counters import get_usage_store
from tests.faults import FaultProxy
from tests.redis_service import redis_or_skip

# Fault suite (docs/hardening.md): runs on SQLite and in the PostgreSQL leg.
pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]


@pytest.fixture
def redis_client() -> redis.Redis:
    client = redis_or_skip()
    return client


@pytest.fixture
def proxy(redis_client: redis.Redis) -> Iterator[FaultProxy]:
    host, port = (
        redis_client.connection_pool.connection_kwargs["host"],
        int(redis_client.connection_pool.connection_kwargs["port"]),
    )
    with FaultProxy((host, port)) as fault:
        yield fault


@pytest.fixture
def through_proxy(
    settings: Any,
    proxy: FaultProxy,
    redis_client: redis.Redis,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:
    prefix = f"test-faults-{uuid.uuid4().hex}"
    settings.API_KEYS = {
        **settings.API_KEYS,
        "REDIS_URL": f"redis://127.0.0.1:{proxy.port}/0",
        "REDIS_KEY_PREFIX": prefix,
    }
    # The circuit breaker's pause, shortened so "back" needs no sleeping.
    monkeypatch.setattr(redis_bucket, "RETRY_AFTER_FAILURE_SECONDS", 0.0)
    yield prefix
    for name in redis_client.scan_iter(match=f"{prefix}:*"):
        redis_client.delete(name)


@pytest.mark.parametrize("fault", ["refuse", "drop", "stall"])
def test_keyed_requests_survive_redis_going_down_and_use_it_again_when_back(
    through_proxy: str,
    proxy: FaultProxy,
    redis_client: redis.Redis,
    make_key: Callable[..., Any],
    key_client: Callable[[Any], Any],
    fault: str,
) -> None:
    client = key_client(make_key(rate=1000, burst=1000, limit=100))
    assert isinstance(get_usage_store(), redis_bucket.RedisUsageStore)

    before = client.get("/v1/pets")
    getattr(proxy, fault)()
    during = [client.get("/v1/pets") for _ in range(3)]
    proxy.heal()
    after = client.get("/v1/pets")

    assert before.status_code == 200
    assert [r.status_code for r in during] == [200, 200, 200]
    assert [r["X-RateLimit-Remaining"] for r in during] == ["98", "97", "96"]
    assert after.status_code == 200
    assert after["X-RateLimit-Remaining"] == "95"
    assert list(redis_client.scan_iter(match=f"{through_proxy}:bucket:*"))  # Redis again
