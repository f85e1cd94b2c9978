"""Where Idempotency-Key records live: the database by default, Redis when configured.

A request with a key calls `begin` (claims the key, or learns it is taken), runs, then
`complete` (stores its response) or `release` (a failure: the key may be retried).
Each step is one atomic statement (an INSERT that the unique (owner, key) constraint
arbitrates, conditional UPDATEs and DELETEs on the holder's `token`), so of concurrent
requests with one key exactly one runs.

The database store's `complete` joins the request's transaction
(`joins_transaction`): the write and the stored response commit together or not at all,
so a request that dies after its write has also stored its response, and a retry replays
it rather than running again.
"""

from __future__ import annotations

import datetime
import secrets
from functools import lru_cache
from typing import NamedTuple, Protocol

from django.db import IntegrityError, transaction

from apps.common.records import ValueRecord
from apps.idempotency.conf import idempotency_settings
from apps.idempotency.models import IdempotencyRecord


class StoredResponse(NamedTuple):
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


class Started(NamedTuple):
    """This request holds the key: run it, then complete or release."""

    token: str


class Replay(NamedTuple):
    """The key's request already ran with the same fingerprint: answer with its response."""

    response: StoredResponse


# The two outcomes without data: equal to any other of their class, immutable.
class InProgress(ValueRecord):
    """Another request holds the key and is still running (409)."""

    __slots__ = ()


class Mismatch(ValueRecord):
    """The key was used for a different request (422)."""

    __slots__ = ()


Begun = Started | Replay | InProgress | Mismatch


class StoreUnavailableError(Exception):
    """The store cannot be reached; the request must not run without it (503)."""


class IdempotencyStore(Protocol):
    joins_transaction: bool

    def begin(self, *, owner_id: int, key: str, fingerprint: str, now: datetime.datetime) -> Begun:
        """Claim the key for a request, or say why not."""

    def complete(
        self,
        *,
        owner_id: int,
        key: str,
        token: str,
        response: StoredResponse,
        now: datetime.datetime,
    ) -> bool:
        """Store the response if `token` still holds the key; False if it was taken over."""

    def release(self, *, owner_id: int, key: str, token: str) -> None:
        """Forget the key if `token` still holds it (the request failed: it may be retried)."""

    def sweep(self, *, now: datetime.datetime) -> int:
        """Remove expired records; how many."""


def new_token() -> str:
    return secrets.token_hex(16)


def _seconds(value: int) -> datetime.timedelta:
    return datetime.timedelta(seconds=value)


class DatabaseStore:
    """IdempotencyRecord rows. Begin runs in its own short transaction (so others see the
    claim at once); complete joins the caller's."""

    joins_transaction = True
    # Each pass either claims the key or finds its record; a pass finds nothing only when
    # the record was released or swept between our INSERT and our read.
    ATTEMPTS = 3

    def begin(self, *, owner_id: int, key: str, fingerprint: str, now: datetime.datetime) -> Begun:
        config = idempotency_settings()
        token = new_token()
        claim = {
            "fingerprint": fingerprint,
            "token": token,
            "locked_until": now + _seconds(config.LEASE),
            "status": None,
            "headers": [],
            "body": b"",
            "created_at": now,
            "expires_at": now + _seconds(config.TTL),
        }
        for _ in range(self.ATTEMPTS):
            try:
                with transaction.atomic():
                    IdempotencyRecord.objects.create(owner_id=owner_id, key=key, **claim)
                return Started(token)
            except IntegrityError:
                pass
            record = IdempotencyRecord.objects.filter(owner_id=owner_id, key=key).first()
            if record is None:
                continue
            if record.expires_at <= now:  # Not swept yet: as good as absent.
                if self._take_over(record, claim, expired_before=now):
                    return Started(token)
                continue
            if record.fingerprint != fingerprint:
                return Mismatch()
            if record.locked_until is None:
                return Replay(self._stored(record))
            if record.locked_until > now:
                return InProgress()
            # The holder's lease ran out (it died mid-request, its write rolled back with it).
            if self._take_over(record, claim, stale_before=now):
                return Started(token)
        return InProgress()

    @staticmethod
    def _take_over(
        record: IdempotencyRecord,
        claim: dict[str, object],
        *,
        expired_before: datetime.datetime | None = None,
        stale_before: datetime.datetime | None = None,
    ) -> bool:
        """One conditional UPDATE: only if the record is still as we read it."""
        rows = IdempotencyRecord.objects.filter(pk=record.pk, token=record.token)
        if expired_before is not None:
            rows = rows.filter(expires_at__lte=expired_before)
        if stale_before is not None:
            rows = rows.filter(locked_until__lte=stale_before)
        return rows.update(**claim) == 1

    @staticmethod
    def _stored(record: IdempotencyRecord) -> StoredResponse:
        return StoredResponse(int(record.status or 0), record.stored_headers(), bytes(record.body))

    def complete(
        self,
        *,
        owner_id: int,
        key: str,
        token: str,
        response: StoredResponse,
        now: datetime.datetime,
    ) -> bool:
        held = IdempotencyRecord.objects.filter(
            owner_id=owner_id, key=key, token=token, locked_until__isnull=False
        )
        stored = held.update(
            locked_until=None,
            status=response.status,
            headers=[list(pair) for pair in response.headers],
            body=response.body,
            expires_at=now + _seconds(idempotency_settings().TTL),
        )
        return stored == 1

    def release(self, *, owner_id: int, key: str, token: str) -> None:
        IdempotencyRecord.objects.filter(
            owner_id=owner_id, key=key, token=token, locked_until__isnull=False
        ).delete()

    def sweep(self, *, now: datetime.datetime) -> int:
        deleted, _ = IdempotencyRecord.objects.filter(expires_at__lte=now).delete()
        return deleted


DATABASE = "database"
AUTO = "auto"
STORES = (AUTO, DATABASE)


@lru_cache(maxsize=4)
def _store_for(redis_url: str, prefix: str, password: str) -> IdempotencyStore:
    if not redis_url:
        return DatabaseStore()
    from apps.idempotency.redis_store import RedisStore

    return RedisStore(url=redis_url, prefix=prefix, password=password or None)


def get_store() -> IdempotencyStore:
    """The configured store: Redis when IDEMPOTENCY["REDIS_URL"] is set (and STORE is not
    "database"), else the database."""
    config = idempotency_settings()
    url = "" if config.STORE == DATABASE else config.REDIS_URL
    return _store_for(url, config.REDIS_KEY_PREFIX, config.REDIS_PASSWORD)
