"""App settings, read lazily from the `API_KEYS` dict so tests can override them."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from functools import lru_cache
from typing import Any, cast

from django.conf import settings
from django.utils.module_loading import import_string

DEFAULTS: dict[str, Any] = {
    # A Redis URL: the token buckets then live in Redis; quotas stay in the database.
    "REDIS_URL": "",
    # Prefix of every Redis key this app writes.
    "REDIS_KEY_PREFIX": "apikeys",
    # Dotted path of a function returning the current aware UTC datetime.
    "CLOCK": "django.utils.timezone.now",
}

Clock = Callable[[], datetime.datetime]


def get(name: str) -> Any:
    """One app setting: `settings.API_KEYS[name]`, else its default."""
    configured: dict[str, Any] = getattr(settings, "API_KEYS", {})
    return configured.get(name, DEFAULTS[name])


@lru_cache(maxsize=8)
def _import_clock(path: str) -> Clock:
    return cast(Clock, import_string(path))


def now() -> datetime.datetime:
    """The current time from the configured clock (injectable in tests)."""
    return _import_clock(str(get("CLOCK")))()
