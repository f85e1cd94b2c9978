"""System checks: misconfiguration fails at start-up, not at the first request."""

from __future__ import annotations

import sqlite3
from typing import Any
from urllib.parse import urlsplit

from django.core.checks import CheckMessage, Error, register
from django.db import connections
from django.utils.module_loading import import_string

from apps.api_keys import conf
from apps.common.conf import check_namespace

REDIS_SCHEMES = ("redis", "rediss", "unix")
# UPDATE ... RETURNING, used to admit a request in one statement.
MIN_SQLITE = (3, 35, 0)
SUPPORTED_VENDORS = frozenset({"sqlite", "postgresql"})


@register()
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors = check_namespace("API_KEYS", conf.DEFAULTS, id="api_keys.E005")
    config = conf.api_key_settings()
    redis_url = str(config.REDIS_URL or "")
    if redis_url and urlsplit(redis_url).scheme not in REDIS_SCHEMES:
        errors.append(
            Error(
                f"REDIS_URL must start with one of {', '.join(REDIS_SCHEMES)}://.",
                hint="Example: redis://127.0.0.1:6379/0, or leave it empty to use the database.",
                id="api_keys.E001",
            )
        )
    try:
        import_string(str(config.CLOCK))
    except ImportError as exc:
        errors.append(Error(f"API_KEYS['CLOCK'] cannot be imported: {exc}", id="api_keys.E002"))
    seconds = config.KEY_CACHE_SECONDS
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds >= 0:
        errors.append(
            Error(
                f"API_KEYS['KEY_CACHE_SECONDS'] must be a number of seconds >= 0, not {seconds!r}.",
                hint="0 reads the key on every request.",
                id="api_keys.E006",
            )
        )
    if config.GATEWAY_REST_API_ID and not config.GATEWAY_STAGE:
        errors.append(
            Error(
                "API_KEYS['GATEWAY_REST_API_ID'] is set without API_KEYS['GATEWAY_STAGE'].",
                hint="Usage plans apply to one stage: set API_GATEWAY_REST_STAGE too.",
                id="api_keys.E007",
            )
        )
    flush = config.REFUSAL_FLUSH_SECONDS
    if isinstance(flush, bool) or not isinstance(flush, int | float) or not 0 <= flush <= 60:
        errors.append(
            Error(
                f"API_KEYS['REFUSAL_FLUSH_SECONDS'] must be 0 to 60 seconds, not {flush!r}.",
                hint="0 writes each refusal count at once.",
                id="api_keys.E008",
            )
        )
    vendors = {c.vendor for c in connections.all(initialized_only=False)}
    if vendors - SUPPORTED_VENDORS:
        errors.append(
            Error(
                f"API key metering supports {', '.join(sorted(SUPPORTED_VENDORS))}, not "
                f"{', '.join(sorted(vendors - SUPPORTED_VENDORS))}.",
                hint="Its admission is one UPDATE ... RETURNING that reads the row's old "
                "values in every SET clause; MySQL/MariaDB would assign left to right.",
                id="api_keys.E004",
            )
        )
    uses_sqlite = "sqlite" in vendors
    if uses_sqlite and sqlite3.sqlite_version_info < MIN_SQLITE:
        errors.append(
            Error(
                f"SQLite {sqlite3.sqlite_version} is too old: API key metering needs 3.35+.",
                id="api_keys.E003",
            )
        )
    return errors
