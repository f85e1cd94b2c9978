"""Idempotency-Key records in Redis: one hash per (owner, key), each step one Lua script.

Used when IDEMPOTENCY["REDIS_URL"] (env REDIS_URL) is set. Redis expires records itself
(the sweep has nothing to do). Unlike the database store it cannot commit with the
request's write: a process killed between its database commit and the `complete` script
(microseconds) leaves the key in flight, and a retry after the lease runs again.

If Redis fails, the request is refused (503) rather than run without its key: running it
could duplicate a write the client is retrying.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from typing import Any

import redis

from apps.idempotency.conf import idempotency_settings
from apps.idempotency.stores import (
    Begun,
    InProgress,
    Mismatch,
    Replay,
    Started,
    StoredResponse,
    StoreUnavailableError,
    new_token,
)

# KEYS[1]: the record. ARGV: fingerprint, token, now (ms), lease (ms), ttl (ms).
# Returns {"started"}, {"mismatch"}, {"in_progress"} or {"replay", status, headers, body}.
BEGIN_LUA = """
local fp = redis.call('HGET', KEYS[1], 'fp')
local now = tonumber(ARGV[3])
if fp then
  if fp ~= ARGV[1] then return {'mismatch'} end
  local done = redis.call('HMGET', KEYS[1], 'status', 'headers', 'body')
  if done[1] then return {'replay', done[1], done[2], done[3]} end
  if tonumber(redis.call('HGET', KEYS[1], 'until')) > now then return {'in_progress'} end
end
redis.call('DEL', KEYS[1])
local lease_end = tostring(now + tonumber(ARGV[4]))
redis.call('HSET', KEYS[1], 'fp', ARGV[1], 'token', ARGV[2], 'until', lease_end)
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return {'started'}
"""

# KEYS[1]: the record. ARGV: token, status, headers (JSON), body, ttl (ms). Returns 1 or 0.
COMPLETE_LUA = """
local held = redis.call('HGET', KEYS[1], 'token') == ARGV[1]
if not held or redis.call('HEXISTS', KEYS[1], 'status') == 1 then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'headers', ARGV[3], 'body', ARGV[4])
redis.call('HDEL', KEYS[1], 'until')
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
"""

# KEYS[1]: the record. ARGV: token. Deletes an in-flight record its holder gives back.
RELEASE_LUA = """
local held = redis.call('HGET', KEYS[1], 'token') == ARGV[1]
if held and redis.call('HEXISTS', KEYS[1], 'status') == 0 then return redis.call('DEL', KEYS[1]) end
return 0
"""


def _ms(moment: datetime.datetime) -> int:
    return int(moment.timestamp() * 1000)


class RedisStore:
    joins_transaction = False

    def __init__(
        self, *, url: str, prefix: str, timeout: float = 0.5, password: str | None = None
    ) -> None:
        # As for the counters: a password given apart from the URL (ElastiCache's app user,
        # from Secrets Manager) wins over one in the URL; rediss:// turns TLS on.
        extra = {"password": password} if password else {}
        self.client = redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout, **extra
        )
        self.prefix = prefix
        self._begin = self.client.register_script(BEGIN_LUA)
        self._complete = self.client.register_script(COMPLETE_LUA)
        self._release = self.client.register_script(RELEASE_LUA)

    def record_key(self, owner_id: int, key: str) -> str:
        # Hashed: a key is up to 255 characters of anything printable.
        digest = hashlib.sha256(key.encode()).hexdigest()
        return f"{self.prefix}:{owner_id}:{digest}"

    def _run(self, script: Any, keys: list[str], args: list[Any]) -> Any:
        try:
            return script(keys=keys, args=args)
        except redis.RedisError as exc:
            raise StoreUnavailableError(str(exc)) from exc

    def begin(self, *, owner_id: int, key: str, fingerprint: str, now: datetime.datetime) -> Begun:
        config = idempotency_settings()
        token = new_token()
        args = [fingerprint, token, _ms(now), config.LEASE * 1000, config.TTL * 1000]
        result = self._run(self._begin, [self.record_key(owner_id, key)], args)
        outcome = result[0].decode()
        if outcome == "started":
            return Started(token)
        if outcome == "mismatch":
            return Mismatch()
        if outcome == "in_progress":
            return InProgress()
        status, headers, body = int(result[1]), json.loads(result[2]), bytes(result[3])
        return Replay(StoredResponse(status, tuple((n, v) for n, v in headers), body))

    def complete(
        self,
        *,
        owner_id: int,
        key: str,
        token: str,
        response: StoredResponse,
        now: datetime.datetime,
    ) -> bool:
        headers = json.dumps([list(pair) for pair in response.headers])
        ttl_ms = idempotency_settings().TTL * 1000
        args = [token, response.status, headers, response.body, ttl_ms]
        return bool(self._run(self._complete, [self.record_key(owner_id, key)], args))

    def release(self, *, owner_id: int, key: str, token: str) -> None:
        self._run(self._release, [self.record_key(owner_id, key)], [token])

    def sweep(self, *, now: datetime.datetime) -> int:
        return 0  # Redis expires each record at its TTL.
