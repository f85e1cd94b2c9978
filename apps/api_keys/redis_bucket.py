"""Usage store with token buckets in Redis (one atomic Lua script) and quotas in the database.

Used when API_KEYS["REDIS_URL"] (env REDIS_URL) is set. A hot key then costs the database
one UPDATE for the quota, and the bucket check runs in Redis. If Redis fails, requests
are throttled by the database bucket instead (never admitted unthrottled), and Redis is
retried after a short pause.
"""

from __future__ import annotations

import datetime
import logging
import time

import redis

from apps.api_keys.counters import (
    STALE,
    Admission,
    DatabaseUsageStore,
    Metered,
    rejection,
    reread,
    used_in_period,
)
from apps.api_keys.models import APIKey, UsagePlan
from apps.api_keys.periods import period_end, period_start

logger = logging.getLogger(__name__)

# KEYS[1]: the key's bucket (a hash). ARGV: now (epoch seconds), rate (tokens/s), burst,
# cost (1 takes a token; -1 gives one back). Returns {admitted (0/1), tokens left}.
# Time comes from the app (injectable in tests); it never runs the bucket backwards.
BUCKET_LUA = """
local now = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
if now > at then
  tokens = tokens + (now - at) * rate
  at = now
end
if tokens > burst then tokens = burst end
local admitted = 0
if cost < 0 then
  tokens = math.min(burst, tokens - cost)
  admitted = 1
elseif tokens >= cost then
  tokens = tokens - cost
  admitted = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(at))
-- An idle bucket refills completely after burst/rate seconds; then it can go.
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 60)
return {admitted, tostring(tokens)}
"""

RETRY_AFTER_FAILURE_SECONDS = 5.0


class RedisUsageStore:
    """Buckets in Redis, quotas in the meter row (DatabaseUsageStore without a bucket)."""

    def __init__(
        self, *, url: str, prefix: str, timeout: float = 0.5, password: str | None = None
    ) -> None:
        # A password given apart from the URL (ElastiCache's app user, from Secrets
        # Manager) wins over one in the URL; rediss:// turns TLS on.
        extra = {"password": password} if password else {}
        self.client = redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout, **extra
        )
        self.script = self.client.register_script(BUCKET_LUA)
        self.prefix = prefix
        self.quota = DatabaseUsageStore(bucket=False)
        self.fallback = DatabaseUsageStore(bucket=True)
        # A circuit breaker, not usage state: when Redis is down, requests do not each
        # wait for a connection timeout.
        self._skip_until = 0.0

    def bucket_key(self, key: Metered) -> str:
        # Keys keep their original names; other meters (token users) say their kind.
        kind = type(key.meter).bucket_kind
        return (
            f"{self.prefix}:bucket:{key.pk}"
            if kind == "key"
            else f"{self.prefix}:bucket:{kind}:{key.pk}"
        )

    def take(
        self, *, key: Metered, plan: UsagePlan, now: datetime.datetime, cost: int = 1
    ) -> tuple[bool, float]:
        """Run the bucket script: (admitted, tokens left)."""
        args: list[str | int] = [repr(now.timestamp()), repr(float(plan.rate)), plan.burst, cost]
        admitted, tokens = self.script(keys=[self.bucket_key(key)], args=args)
        return bool(admitted), float(tokens)

    def admit(self, *, key: Metered, now: datetime.datetime, recheck: bool = False) -> Admission:
        plan = key.plan
        if time.monotonic() < self._skip_until:
            return self.fallback.admit(key=key, now=now, recheck=recheck)
        try:
            admitted, tokens = self.take(key=key, plan=plan, now=now)
        except redis.RedisError:
            logger.warning("Redis is unavailable; throttling in the database", exc_info=True)
            self._skip_until = time.monotonic() + RETRY_AFTER_FAILURE_SECONDS
            return self.fallback.admit(key=key, now=now, recheck=recheck)
        if not admitted:
            return self._throttled(key=key, plan=plan, now=now, tokens=tokens, recheck=recheck)
        admission = self.quota.admit(key=key, now=now, recheck=recheck)
        if not admission.admitted:
            self._give_back(key=key, plan=plan, now=now)
        return admission

    def _throttled(
        self,
        *,
        key: Metered,
        plan: UsagePlan,
        now: datetime.datetime,
        tokens: float,
        recheck: bool,
    ) -> Admission:
        # Quota numbers for the headers come from the meter as read with the key; a key
        # this process kept is read again (it may have changed, its meter has).
        start = period_start(now, plan.period, plan.offset)
        meter = key.meter
        if recheck and isinstance(key, APIKey):
            stored = reread(key, now=now)
            if stored is None:
                return Admission(False, STALE, plan.limit, 0, period_end(start, plan.period), None)
            meter = stored.meter
        used = used_in_period(meter.period_start, meter.period_count, start)
        return rejection(plan=plan, used=used, start=start, now=now, level=tokens)

    def _give_back(self, *, key: Metered, plan: UsagePlan, now: datetime.datetime) -> None:
        """A request the quota refused does not spend a token either."""
        try:
            self.take(key=key, plan=plan, now=now, cost=-1)
        except redis.RedisError:
            logger.warning("Redis is unavailable; a token was not given back", exc_info=True)
