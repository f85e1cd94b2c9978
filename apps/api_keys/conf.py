"""Typed app settings: `settings.API_KEYS` over the defaults below, read at each access."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple, cast

from django.utils.module_loading import import_string

from apps.common.conf import app_settings


class APIKeySettings(NamedTuple):
    """`settings.API_KEYS` keys and their defaults."""

    # A Redis URL (env REDIS_URL): the token buckets then live in Redis; quotas stay in the
    # database. Empty: everything in the database.
    REDIS_URL: str = ""
    # Prefix of every Redis key this app writes (env API_KEYS_REDIS_KEY_PREFIX).
    REDIS_KEY_PREFIX: str = "apikeys"
    # AUTH password of the URL's user (env REDIS_PASSWORD; in production also
    # REDIS_PASSWORD_SECRET_ARN): ElastiCache's app user. Empty: the URL's own, if any.
    REDIS_PASSWORD: str = ""
    # Dotted path of a function returning the current aware UTC datetime.
    CLOCK: str = "django.utils.timezone.now"
    # The plan (by name) of token users with no plan assigned in the admin
    # (env API_KEYS_DEFAULT_USER_PLAN); the data migration creates "Default".
    DEFAULT_USER_PLAN: str = "Default"
    # Seconds each process keeps a key it read (apps.api_keys.lookup); 0 reads it on every
    # request. Revocation and plan changes still apply from the next request.
    KEY_CACHE_SECONDS: float = 30.0
    # Seconds a process may hold refusal counts before writing them (apps.api_keys.refusals;
    # env API_KEYS_REFUSAL_FLUSH_SECONDS): a flood of 429s costs the database at most one
    # write per process per period. 0 writes each refusal at once.
    REFUSAL_FLUSH_SECONDS: float = 1.0
    # The REST API front door (docs/rest-api.md). Its id (env API_GATEWAY_REST_API_ID) turns
    # the sync on: plans and keys made in the admin become API Gateway usage plans and keys
    # on GATEWAY_STAGE (env API_GATEWAY_REST_STAGE). Empty: nothing is sent to AWS.
    GATEWAY_REST_API_ID: str = ""
    GATEWAY_STAGE: str = ""
    # True (env API_KEYS_GATEWAY_METERING): a request whose key API Gateway already checked
    # and metered against its usage plan (the REST API's `requestContext.identity`) is not
    # metered again here. Requests through any other door are metered as always.
    GATEWAY_METERING: bool = False
    # The control plane's endpoint (env API_GATEWAY_ENDPOINT_URL): empty for AWS's own.
    GATEWAY_ENDPOINT_URL: str = ""
    # Seconds each control-plane call may take (connect and read) before the sync gives up.
    GATEWAY_TIMEOUT_SECONDS: float = 5.0
    # Gateway keys and plans named as this stack's but unknown here are deleted by the sync
    # once older than this (seconds), so a key whose creation is still committing is spared.
    GATEWAY_ORPHAN_GRACE_SECONDS: int = 900


DEFAULTS = APIKeySettings()

Clock = Callable[[], datetime.datetime]


def api_key_settings() -> APIKeySettings:
    """The current settings (override_settings works: nothing is cached)."""
    return app_settings("API_KEYS", DEFAULTS)


@lru_cache(maxsize=8)
def _import_clock(path: str) -> Clock:
    return cast(Clock, import_string(path))


def now() -> datetime.datetime:
    """The current time from the configured clock (injectable in tests)."""
    return _import_clock(api_key_settings().CLOCK)()
