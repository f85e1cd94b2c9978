"""Both record stores (database, Redis) keep the same contract: claim, complete, release, expire."""

from __future__ import annotations

import datetime
import hashlib
from typing import Any

import pytest

from apps.idempotency.models import IdempotencyRecord
from apps.idempotency.services import idempotency_sweep
from apps.idempotency.stores import (
    DatabaseStore,
    IdempotencyStore,
    InProgress,
    Mismatch,
    Replay,
    Started,
    StoredResponse,
)
from tests.factories import UserFactory
from tests.idempotency.conftest import START

pytestmark = pytest.mark.django_db

CREATED = StoredResponse(201, (("Content-Type", "application/json"), ("ETag", '"x"')), b'{"id":1}')
LEASE = datetime.timedelta(seconds=60)
TTL = datetime.timedelta(hours=24)


@pytest.fixture
def owner() -> int:
    return int(UserFactory().pk)


def begin(store: IdempotencyStore, owner: int, fingerprint: str = "f1", now: Any = START) -> Any:
    return store.begin(owner_id=owner, key="k", fingerprint=fingerprint, now=now)


def complete(store: IdempotencyStore, owner: int, token: str, now: Any = START) -> bool:
    return store.complete(owner_id=owner, key="k", token=token, response=CREATED, now=now)


def test_the_first_request_claims_the_key(store: IdempotencyStore, owner: int) -> None:
    assert isinstance(begin(store, owner), Started)


def test_a_second_request_while_the_first_runs_is_in_progress(
    store: IdempotencyStore, owner: int
) -> None:
    begin(store, owner)

    assert begin(store, owner, now=START + LEASE - datetime.timedelta(seconds=1)) == InProgress()


def test_a_completed_key_replays_its_response(store: IdempotencyStore, owner: int) -> None:
    started = begin(store, owner)
    assert complete(store, owner, started.token)

    assert begin(store, owner, now=START + TTL - datetime.timedelta(seconds=1)) == Replay(CREATED)


def test_another_fingerprint_is_a_mismatch_running_or_done(
    store: IdempotencyStore, owner: int
) -> None:
    started = begin(store, owner)
    assert begin(store, owner, fingerprint="f2") == Mismatch()

    complete(store, owner, started.token)

    assert begin(store, owner, fingerprint="f2") == Mismatch()


def test_a_released_key_can_be_claimed_again(store: IdempotencyStore, owner: int) -> None:
    started = begin(store, owner)
    store.release(owner_id=owner, key="k", token=started.token)

    assert isinstance(begin(store, owner, fingerprint="f2"), Started)


def test_a_dead_holders_key_is_taken_over_after_the_lease_and_it_cannot_complete(
    store: IdempotencyStore, owner: int
) -> None:
    dead = begin(store, owner)

    taker = begin(store, owner, now=START + LEASE + datetime.timedelta(seconds=1))

    assert isinstance(taker, Started)
    assert taker.token != dead.token
    assert not complete(store, owner, dead.token)  # its write must roll back
    store.release(owner_id=owner, key="k", token=dead.token)  # and cannot free the key
    assert begin(store, owner) == InProgress()
    assert complete(store, owner, taker.token)
    assert begin(store, owner) == Replay(CREATED)


def test_a_completed_key_is_never_released_or_completed_again(
    store: IdempotencyStore, owner: int
) -> None:
    started = begin(store, owner)
    complete(store, owner, started.token)

    store.release(owner_id=owner, key="k", token=started.token)

    assert not complete(store, owner, started.token)
    assert begin(store, owner) == Replay(CREATED)


def test_keys_are_per_owner(store: IdempotencyStore, owner: int) -> None:
    other = int(UserFactory().pk)
    begin(store, owner)

    assert isinstance(begin(store, other, fingerprint="f2"), Started)


def test_an_expired_database_record_is_claimed_afresh_and_swept(owner: int) -> None:
    store = DatabaseStore()
    started = begin(store, owner)
    complete(store, owner, started.token)
    later = START + TTL + datetime.timedelta(seconds=1)

    assert isinstance(begin(store, owner, fingerprint="f2", now=later), Started)
    assert IdempotencyRecord.objects.get().fingerprint == "f2"
    assert store.sweep(now=later) == 0  # the new claim has not expired
    assert idempotency_sweep(now=later + TTL + TTL) == 1
    assert not IdempotencyRecord.objects.exists()


def test_the_sweep_removes_only_expired_records(owner: int) -> None:
    store = DatabaseStore()
    for key in ("old", "new"):
        store.begin(owner_id=owner, key=key, fingerprint="f", now=START)
    IdempotencyRecord.objects.filter(key="new").update(expires_at=START + TTL + TTL)

    assert idempotency_sweep(now=START + TTL) == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


def test_redis_expires_records_itself(redis_client: Any, redis_prefix: str, owner: int) -> None:
    from apps.idempotency.redis_store import RedisStore
    from tests.idempotency.conftest import REDIS_URL

    store = RedisStore(url=REDIS_URL, prefix=redis_prefix)
    started = begin(store, owner)
    record = store.record_key(owner, "k")
    assert 0 < redis_client.pttl(record) <= TTL.total_seconds() * 1000

    complete(store, owner, started.token)

    assert 0 < redis_client.pttl(record) <= TTL.total_seconds() * 1000
    assert record == f"{redis_prefix}:{owner}:{hashlib.sha256(b'k').hexdigest()}"
