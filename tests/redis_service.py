"""The real Redis some tests use (TEST_REDIS_URL): reachable, else skipped, or failed under CI."""

from __future__ import annotations

import os

import pytest
import redis

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_or_skip(url: str = REDIS_URL) -> redis.Redis:
    """A client of the Redis at `url` that answered a PING; the calling test is skipped when
    it does not answer, or fails when CI is set (CI must run every Redis test)."""
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis at {url} is required when CI is set: {exc}")
        pytest.skip(f"Redis is not reachable at {url} ({exc}); set CI=1 to require it")
    return client
