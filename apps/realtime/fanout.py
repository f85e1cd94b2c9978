"""Fan-out: a committed domain event pushed to its owner's connections.

Policy (measured in docs/performance.md, "Live updates"): an event for at most
REALTIME["INLINE_FANOUT_MAX"] connections is pushed inside the request that caused it, by
up to SEND_CONCURRENCY threads; a larger one is handed off, so the request pays one
hand-off instead of a push per connection: an asynchronous invoke of REALTIME
["FANOUT_FUNCTION"] on Lambda, or a background thread in long-running processes.
A connection the gateway says is gone (410) is forgotten; other failures are logged.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.db import close_old_connections
from django.utils import timezone

from apps.common.events import DomainEvent
from apps.realtime import connections_api, protocol, selectors, services
from apps.realtime.conf import realtime_settings
from apps.realtime.selectors import Target

logger = logging.getLogger(__name__)

# The key of a handed-off fan-out in the realtime function's invoke payload.
PAYLOAD_KEY = "realtime_fanout"

_pools: dict[str, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def _pool(name: str, workers: int) -> ThreadPoolExecutor:
    with _pools_lock:
        if name not in _pools:
            _pools[name] = ThreadPoolExecutor(workers, thread_name_prefix=f"realtime-{name}")
        return _pools[name]


def publish(event: DomainEvent) -> str:
    """Push a committed event to its owner's connections; how: none, inline or handed-off."""
    targets = selectors.event_targets(
        owner_id=event.owner_id, event_type=event.type, now=timezone.now()
    )
    if not targets:
        return "none"
    if len(targets) <= realtime_settings().INLINE_FANOUT_MAX:
        deliver(protocol.encode(event.message()), targets)
        return "inline"
    hand_off(event)
    return "handed-off"


def deliver(message: str, targets: Iterable[Target]) -> Counter[str]:
    """Push `message` to every target and wait for all; counts by outcome
    (sent, gone, and each error code). Gone connections are forgotten."""
    data = message.encode()
    targets = list(targets)
    workers = realtime_settings().SEND_CONCURRENCY
    if len(targets) == 1 or workers <= 1:
        outcomes = [_push(target, data) for target in targets]
    else:
        pool = _pool("push", workers)
        outcomes = list(pool.map(lambda target: _push(target, data), targets))
    gone = [
        target.connection_id
        for target, outcome in zip(targets, outcomes, strict=True)
        if outcome == "gone"
    ]
    for connection_id in gone:
        services.connection_forget(connection_id=connection_id)
    counts = Counter(outcomes)
    if set(counts) - {"sent", "gone"}:
        logger.warning("Some pushes failed", extra={"outcomes": dict(counts)})
    return counts


def _push(target: Target, data: bytes) -> str:
    try:
        connections_api.post(target.endpoint, target.connection_id, data)
    except connections_api.GoneError:
        return "gone"
    except connections_api.PushError as exc:
        # LimitExceededException: the account's callback rate, or the client's buffer is
        # full (it does not read); the message is dropped for this connection.
        return exc.code
    return "sent"


def hand_off(event: DomainEvent) -> None:
    """Fan out later, off this request: an asynchronous invoke, or a background thread."""
    payload = {PAYLOAD_KEY: {"owner_id": event.owner_id, "message": event.message()}}
    function = realtime_settings().FANOUT_FUNCTION
    if function:
        _invoke_async(function, payload)
    else:
        _pool("hand-off", 1).submit(_run_in_thread, payload)


def _invoke_async(function: str, payload: dict[str, Any]) -> None:
    _lambda_client().invoke(
        FunctionName=function, InvocationType="Event", Payload=json.dumps(payload).encode()
    )


@functools.cache
def _lambda_client() -> Any:
    """Made once per process (tens of ms); short timeouts: the request is waiting."""
    import boto3  # only functions that hand off pay for the import
    from botocore.config import Config

    config = Config(connect_timeout=2, read_timeout=5, retries={"total_max_attempts": 2})
    return boto3.session.Session().client("lambda", config=config)


def _run_in_thread(payload: dict[str, Any]) -> None:
    close_old_connections()
    try:
        run_handed_off(payload[PAYLOAD_KEY])
    except Exception:
        logger.exception("A handed-off fan-out failed")
    finally:
        close_old_connections()


def run_handed_off(job: Any) -> dict[str, int]:
    """The receiving side of hand_off: push the message to every current target, inline."""
    if not isinstance(job, dict) or not isinstance(job.get("message"), dict):
        raise ValueError("not a fan-out job")
    message = job["message"]
    targets = selectors.event_targets(
        owner_id=int(job["owner_id"]), event_type=str(message["type"]), now=timezone.now()
    )
    return dict(deliver(protocol.encode(message), targets))
