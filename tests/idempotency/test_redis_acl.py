"""The counter cache's app user (infra/template.yaml) can run the Idempotency-Key store too.

Production's REDIS_URL moves both the token buckets and these records into ElastiCache as
its `app` user; a local redis-server gets the template's AccessString, so a command the store
needs but the string forgets fails here rather than in production.
"""

from __future__ import annotations

import datetime

import pytest
import redis

from apps.idempotency.redis_store import RedisStore
from apps.idempotency.stores import Replay, Started, StoredResponse
from tests.api_keys.test_redis_acl import server as server  # the template's app user

NOW = datetime.datetime(2026, 1, 7, 12, tzinfo=datetime.UTC)
RESPONSE = StoredResponse(201, (("Content-Type", "application/json"),), b"{}")


def store(port: int, password: str, prefix: str = "idempotency") -> RedisStore:
    return RedisStore(url=f"redis://app@127.0.0.1:{port}/0", prefix=prefix, password=password)


def test_the_app_user_runs_every_step(server: tuple[int, str]) -> None:
    records = store(*server)

    first = records.begin(owner_id=1, key="k", fingerprint="f", now=NOW)
    assert isinstance(first, Started)
    assert records.complete(owner_id=1, key="k", token=first.token, response=RESPONSE, now=NOW)
    assert records.begin(owner_id=1, key="k", fingerprint="f", now=NOW) == Replay(RESPONSE)
    second = records.begin(owner_id=1, key="other", fingerprint="f", now=NOW)
    assert isinstance(second, Started)
    records.release(owner_id=1, key="other", token=second.token)
    later = NOW + datetime.timedelta(hours=1)
    assert isinstance(records.begin(owner_id=1, key="other", fingerprint="f", now=later), Started)


def test_the_app_user_cannot_leave_its_prefix(server: tuple[int, str]) -> None:
    from apps.idempotency.stores import StoreUnavailableError

    with pytest.raises(StoreUnavailableError):
        store(*server, prefix="elsewhere").begin(owner_id=1, key="k", fingerprint="f", now=NOW)
    with pytest.raises(redis.exceptions.NoPermissionError):
        store(*server).client.get("idempotency:1:x")
