"""Typed app settings: `settings.IDEMPOTENCY` over the defaults below, read at each access."""

from __future__ import annotations

from typing import NamedTuple

from apps.common.conf import app_settings


class IdempotencySettings(NamedTuple):
    """`settings.IDEMPOTENCY` keys and their defaults."""

    # Seconds a completed request's response is kept for replays (env IDEMPOTENCY_TTL).
    TTL: int = 24 * 3600
    # Seconds a request holds its key while running (env IDEMPOTENCY_LEASE). A retry meanwhile
    # is a 409; after it, the key is taken over (the holder died). Longer than any request
    # runs: the Lambda timeout (25 s), gunicorn's (28 s) and the gateway's (29 s).
    LEASE: int = 60
    # Where records live (env IDEMPOTENCY_STORE): "auto" puts them in Redis when REDIS_URL is
    # set, beside the usage counters, else in the database; "database" keeps them in the
    # database always (its records commit with the request's write; Redis's cannot).
    STORE: str = "auto"
    # A Redis URL (env REDIS_URL, the same variable that moves the counters' buckets there).
    REDIS_URL: str = ""
    # AUTH password of the URL's user (env REDIS_PASSWORD; in production also
    # REDIS_PASSWORD_SECRET_ARN), as for the counters. Empty: the URL's own, if any.
    REDIS_PASSWORD: str = ""
    # Prefix of every Redis key this app writes (env IDEMPOTENCY_REDIS_KEY_PREFIX).
    REDIS_KEY_PREFIX: str = "idempotency"


DEFAULTS = IdempotencySettings()


def idempotency_settings() -> IdempotencySettings:
    """The current settings (override_settings works: nothing is cached)."""
    return app_settings("IDEMPOTENCY", DEFAULTS)
