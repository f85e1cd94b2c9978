"""Typed app settings: `settings.IDEMPOTENCY` over the defaults below, read at each access."""

from __future__ import annotations

from dataclasses import dataclass

from apps.common.conf import app_settings


@dataclass(frozen=True)
class IdempotencySettings:
    """`settings.IDEMPOTENCY` keys and their defaults."""

    # Seconds a completed request's response is kept for replays (env IDEMPOTENCY_TTL).
    TTL: int = 24 * 3600
    # Seconds a request holds its key while running (env IDEMPOTENCY_LEASE). A retry meanwhile
    # is a 409; after it, the key is taken over (the holder died). Longer than any request
    # runs: the Lambda timeout (25 s), gunicorn's (28 s) and the gateway's (29 s).
    LEASE: int = 60
    # A Redis URL: records live in Redis instead of the database (env REDIS_URL, the same
    # variable that moves the usage counters' buckets there).
    REDIS_URL: str = ""
    # Prefix of every Redis key this app writes (env IDEMPOTENCY_REDIS_KEY_PREFIX).
    REDIS_KEY_PREFIX: str = "idempotency"


DEFAULTS = IdempotencySettings()


def idempotency_settings() -> IdempotencySettings:
    """The current settings (override_settings works: nothing is cached)."""
    return app_settings("IDEMPOTENCY", DEFAULTS)
