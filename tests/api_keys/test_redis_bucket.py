"""The Redis token bucket, against the real Redis (TEST_REDIS_URL, default 127.0.0.1:6379).

Skipped with a message when Redis is unreachable, unless CI is set: then it fails.
Every key written here has a prefix unique to the test, and only those keys are deleted.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.core.management import call_command

from apps.api_keys.counters import QUOTA, THROTTLE, get_usage_store
from apps.api_keys.models import APIKey, KeyMeter
from apps.api_keys.redis_bucket import RedisUsageStore
from tests.api_keys.clock import START, FakeClock
from tests.redis_service import REDIS_URL, redis_or_skip

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def redis_client() -> redis.Redis:
    client = redis_or_skip()
    return client


@pytest.fixture
def prefix(redis_client: redis.Redis) -> Iterator[str]:
    value = f"test-apikeys-{uuid.uuid4().hex}"
    yield value
    for name in redis_client.scan_iter(match=f"{value}:*"):
        redis_client.delete(name)


@pytest.fixture
def redis_settings(settings: Any, prefix: str, clock: FakeClock) -> str:
    settings.API_KEYS = {**settings.API_KEYS, "REDIS_URL": REDIS_URL, "REDIS_KEY_PREFIX": prefix}
    return prefix


@pytest.fixture
def store(prefix: str) -> RedisUsageStore:
    return RedisUsageStore(url=REDIS_URL, prefix=prefix)


def admit(store: RedisUsageStore, key: Any, now: Any = START) -> Any:
    key.meter = KeyMeter.objects.get(pk=key.pk)
    return store.admit(key=key, now=now)


def test_redis_url_selects_the_redis_store(redis_settings: str) -> None:
    store = get_usage_store()

    assert isinstance(store, RedisUsageStore)
    assert store.prefix == redis_settings


def test_a_burst_is_capped_and_refills_at_the_rate(store: RedisUsageStore, make_key) -> None:
    key = make_key(rate=2, burst=5)
    now = START

    burst = [admit(store, key, now).admitted for _ in range(7)]
    half_second_later = [
        admit(store, key, now.replace(microsecond=500000)).admitted for _ in range(2)
    ]

    assert burst == [True] * 5 + [False] * 2
    assert half_second_later == [True, False]


def test_the_bucket_lives_in_redis_not_in_the_meter(
    store: RedisUsageStore, make_key, redis_client: redis.Redis
) -> None:
    key = make_key(rate=1, burst=3)

    admit(store, key)

    tokens, at = redis_client.hmget(store.bucket_key(key), "tokens", "at")
    assert float(tokens) == 2.0
    assert float(at) == START.timestamp()
    assert 0 < redis_client.ttl(store.bucket_key(key)) <= 3 + 60
    meter = KeyMeter.objects.get(pk=key.pk)
    assert (meter.tokens, meter.bucket_at, meter.period_count) == (0.0, 0.0, 1)


def test_a_throttled_request_reports_the_throttle_and_is_not_counted(
    store: RedisUsageStore, make_key
) -> None:
    key = make_key(rate=0.5, burst=1, limit=10)
    admit(store, key)

    refused = admit(store, key)

    assert (refused.admitted, refused.reason, refused.retry_after) == (False, THROTTLE, 2)
    assert KeyMeter.objects.get(pk=key.pk).period_count == 1


def test_the_quota_stays_in_the_database_and_gives_the_token_back(
    store: RedisUsageStore, make_key, redis_client: redis.Redis
) -> None:
    key = make_key(rate=1, burst=3, limit=1)
    admit(store, key)

    refused = admit(store, key)

    assert (refused.admitted, refused.reason) == (False, QUOTA)
    assert float(redis_client.hget(store.bucket_key(key), "tokens")) == 2.0


def test_redis_down_falls_back_to_the_database_bucket(make_key) -> None:
    """Needs no Redis: port 1 refuses connections."""
    store = RedisUsageStore(url="redis://127.0.0.1:1/0", prefix="unused", timeout=0.2)
    key = make_key(rate=1, burst=2)

    results = [admit(store, key).admitted for _ in range(3)]

    assert results == [True, True, False]  # still throttled, by the meter row
    assert KeyMeter.objects.get(pk=key.pk).tokens == 0.0


def test_over_http_with_redis(redis_settings: str, make_key, key_client) -> None:
    client = key_client(make_key(rate=1, burst=2, limit=100))

    responses = [client.get("/v1/pets") for _ in range(3)]

    assert [r.status_code for r in responses] == [200, 200, 429]
    assert responses[2].json() == {"message": "Too Many Requests"}
    assert responses[2]["X-RateLimit-Remaining"] == "98"


def test_a_key_revoked_elsewhere_is_refused_even_when_redis_throttles_it(
    redis_settings: str, make_key, key_client
) -> None:
    key = make_key(rate=1, burst=1, limit=100)
    client = key_client(key)
    assert client.get("/v1/pets").status_code == 200
    APIKey.objects.filter(pk=key.pk).update(revoked=True)  # no signal: as another process

    response = client.get("/v1/pets")  # the bucket is empty, and this process kept the key

    assert response.status_code == 403
    assert response.json() == {"message": "Forbidden"}


def test_the_system_check_refuses_a_bad_redis_url(settings: Any) -> None:
    from django.core.management.base import SystemCheckError

    settings.API_KEYS = {**settings.API_KEYS, "REDIS_URL": "http://127.0.0.1:6379"}

    with pytest.raises(SystemCheckError, match=r"api_keys\.E001"):
        call_command("check")
