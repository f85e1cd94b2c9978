"""System checks: realtime settings that would fail at the first connection fail at start-up.

Registered at ready() (apps.realtime.apps); apps.realtime.conf is imported when the check
runs, so a Lambda cold start serving a pets request does not load it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.core import checks

from apps.common.conf import check_namespace

_POSITIVE = ("TICKET_TTL", "MAX_CONNECTIONS_PER_KEY", "SEND_CONCURRENCY", "SWEEP_IDLE")
_URLS = {"MANAGEMENT_ENDPOINT": ("http", "https"), "WEBSOCKET_URL": ("ws", "wss")}


@checks.register()
def check_realtime_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from apps.realtime.conf import DEFAULTS, realtime_settings

    errors = check_namespace("REALTIME", DEFAULTS, id="realtime.E001")
    if errors:
        return errors
    current = realtime_settings()
    for name in (*_POSITIVE, "INLINE_FANOUT_MAX"):
        value = getattr(current, name)
        minimum = 0 if name == "INLINE_FANOUT_MAX" else 1
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            errors.append(
                checks.Error(
                    f"REALTIME['{name}'] must be an integer of at least {minimum}, not {value!r}.",
                    id="realtime.E002",
                )
            )
    for name, schemes in _URLS.items():
        value = getattr(current, name)
        parts = urlsplit(value) if isinstance(value, str) else None
        if value and (parts is None or parts.scheme not in schemes or not parts.netloc):
            errors.append(
                checks.Error(
                    f"REALTIME['{name}'] must be a {'/'.join(schemes)} URL, not {value!r}.",
                    hint="Leave it empty to derive it from the request.",
                    id="realtime.E003",
                )
            )
    return errors
