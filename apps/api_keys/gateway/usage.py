"""A key's daily requests as API Gateway counted them (GetUsage), for charts and /v1/usage.

API Gateway's numbers lag (tens of minutes, except near the quota) and are approximate:
its throttles and quotas are best-effort. GetUsage answers per usage plan, so days a key
spent in another plan are not in its chart.
https://docs.aws.amazon.com/apigateway/latest/api/API_GetUsage.html
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.cache import cache

from apps.api_keys.gateway.client import GatewayError, call
from apps.api_keys.gateway.models import GatewayAPIKey, SyncState
from apps.api_keys.models import APIKey
from apps.api_keys.periods import period_start
from apps.common.exceptions import BackendUnavailableError


def gateway_daily_usage(
    *, record: GatewayAPIKey, today: datetime.date, days: int = 30
) -> list[tuple[datetime.date, int]]:
    """Requests per UTC day for the `days` days ending `today`, oldest first, zeros included.

    Raises GatewayError when API Gateway cannot say (or the key is not in sync).
    """
    if record.state != SyncState.SYNCED or not record.gateway_plan_id:
        raise GatewayError("the key is not in sync with API Gateway")
    first = today - datetime.timedelta(days=days - 1)
    answer = call(
        "get_usage",
        usagePlanId=record.gateway_plan_id,
        keyId=record.gateway_id,
        startDate=first.isoformat(),
        endDate=today.isoformat(),
    )
    pairs = _pairs_for(answer.get("items") or {}, record.gateway_id)
    used = [_used(pair) for pair in pairs]
    return [
        (first + datetime.timedelta(days=n), used[n] if n < len(used) else 0) for n in range(days)
    ]


def _pairs_for(items: dict[str, Any], key_id: str) -> list[Any]:
    """The key's `[used, remaining]` pairs: the map is keyed by key id (the docs say by value;
    with a keyId filter there is one entry either way)."""
    if key_id in items:
        return list(items[key_id] or [])
    if len(items) == 1:
        return list(next(iter(items.values())) or [])
    return []


def _used(pair: Any) -> int:
    if isinstance(pair, (list, tuple)) and pair and isinstance(pair[0], (int, float)):
        return max(0, int(pair[0]))
    return 0


class GatewayUsageUnavailableError(BackendUnavailableError):
    """API Gateway could not say how much a key used: 503 with Retry-After."""


# GetUsage is a control-plane call (account-wide limit of about 10 a second) and its numbers
# lag anyway: a key's figure is kept this long per process.
USAGE_CACHE_SECONDS = 60


def gateway_period_used(*, key: APIKey, now: datetime.datetime) -> int:
    """Requests API Gateway counted for the key since the start of its plan's period."""
    record = GatewayAPIKey.objects.filter(key=key).first()
    if record is None:
        raise GatewayUsageUnavailableError("the key is not in API Gateway")
    start = period_start(now, key.plan.period, key.plan.offset).date()
    cache_key = f"api_keys:gateway-used:{record.gateway_id}:{record.gateway_plan_id}:{start}"
    used = cache.get(cache_key)
    if used is None:
        days = (now.date() - start).days + 1
        try:
            series = gateway_daily_usage(record=record, today=now.date(), days=days)
        except GatewayError as exc:
            raise GatewayUsageUnavailableError(str(exc)) from exc
        used = sum(count for _, count in series)
        cache.set(cache_key, used, USAGE_CACHE_SECONDS)
    return int(used)
