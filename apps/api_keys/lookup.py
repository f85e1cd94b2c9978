"""The per-request key read: one `select_related` query, kept a few seconds per process.

The ORM compiles `select_related("plan", "owner", "meter")` anew for every request, and that
costs about as much as the rest of a keyed request (docs/performance.md). So each process
keeps what it read for API_KEYS["KEY_CACHE_SECONDS"] and the requests that follow skip the
read. The cache never decides alone (apps.api_keys.counters, `recheck`): each admitted
request's metering UPDATE also requires the key row to be as it was read (not revoked, not
expired, owner active, same plan, plan unchanged), and each refusal reads the key again. A
revocation, an owner deactivated or a plan edit thus applies from the next request in every
process. Only descriptive fields (the key's or plan's name) may lag, by at most the TTL in
other processes; saves in this process empty the cache at once (`forget`, on post_save).

The cached objects are shared by this process's requests while they live: read them only.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from apps.api_keys import conf
from apps.api_keys.models import APIKey

# Bounds the memory a flood of distinct prefixes (known or not) can take.
MAX_KEYS = 1024

# prefix -> (expires, monotonic seconds; the key, or None for a prefix no key has)
_keys: dict[str, tuple[float, APIKey | None]] = {}
_lock = threading.Lock()


def api_key_by_prefix(prefix: str) -> APIKey | None:
    """The key with this prefix with its plan, owner and meter: kept, or read now."""
    kept = _keys.get(prefix)
    if kept is not None and kept[0] > time.monotonic():
        return kept[1]
    return api_key_read(prefix)


def api_key_read(prefix: str) -> APIKey | None:
    """The key as stored now (one query), kept for the next requests of this process.

    A key without a meter row (inserted without save()) has none cached: `key.meter` raises.
    """
    try:
        key: APIKey | None = APIKey.objects.select_related("plan", "owner", "meter").get(
            prefix=prefix
        )
    except APIKey.DoesNotExist:
        # Kept too: a known prefix is answered from here, so an unknown one must be, or how
        # fast a refusal comes tells which prefixes exist (benchmarks/bench_key_timing.py).
        # A key created later is found at once in this process (post_save empties the
        # cache) and within KEY_CACHE_SECONDS in the others.
        key = None
    seconds = conf.api_key_settings().KEY_CACHE_SECONDS
    if seconds > 0:
        _keep(prefix, key, time.monotonic() + seconds)
    return key


def _keep(prefix: str, key: APIKey | None, expires: float) -> None:
    with _lock:
        _keys.pop(prefix, None)  # re-inserted last: the dict's order is the age order
        if len(_keys) >= MAX_KEYS:
            now = time.monotonic()
            for stale in [p for p, (until, _) in _keys.items() if until <= now]:
                del _keys[stale]
            while len(_keys) >= MAX_KEYS:
                del _keys[next(iter(_keys))]
        _keys[prefix] = (expires, key)


def forget(*args: Any, **kwargs: Any) -> None:
    """Drop every kept key (a signal receiver: any key, plan or user saved or deleted)."""
    with _lock:
        _keys.clear()


def unchanged(cached: APIKey, stored: APIKey) -> bool:
    """Whether `stored` (read now) is still the key `cached` was: same row, same plan row."""
    return (
        cached.pk == stored.pk
        and cached.plan_id == stored.plan_id
        and cached.plan.updated_at == stored.plan.updated_at
    )
