"""Writes to Idempotency-Key records outside a request: the sweep of expired ones."""

from __future__ import annotations

import datetime

from django.utils import timezone

from apps.idempotency.stores import DatabaseStore, get_store


def idempotency_sweep(*, now: datetime.datetime | None = None) -> int:
    """Remove records past their expiry; how many. With Redis configured, Redis expires its
    own, and rows left from before the switch still go."""
    now = now or timezone.now()
    store = get_store()
    removed = store.sweep(now=now)
    if not isinstance(store, DatabaseStore):
        removed += DatabaseStore().sweep(now=now)
    return removed
