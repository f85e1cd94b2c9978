"""Typed app settings: `settings.REALTIME` over the defaults below, read at each access."""

from __future__ import annotations

from typing import NamedTuple

from apps.common.conf import app_settings


class RealtimeSettings(NamedTuple):
    """`settings.REALTIME` keys and their defaults (the environment sets them as REALTIME_<KEY>)."""

    # Base URL of the @connections Management API, e.g.
    # https://{api-id}.execute-api.{region}.amazonaws.com/{stage}. Empty: each connection's
    # own, worked out at $connect from the event (domain name, stage, forwarded port/proto).
    MANAGEMENT_ENDPOINT: str = ""
    # The WebSocket API's URL (wss://{api-id}.execute-api.{region}.amazonaws.com/{stage}),
    # returned with each ticket. Empty: the HTTP API's own host and stage (rungateway).
    WEBSOCKET_URL: str = ""
    # Seconds a browser ticket (POST /v1/realtime/tickets) stays valid; it is single-use.
    TICKET_TTL: int = 30
    # Open connections one API key may hold; the next $connect is refused with a 429.
    MAX_CONNECTIONS_PER_KEY: int = 100
    # An event for at most this many connections is pushed inside the request that caused
    # it; more are handed off (docs/realtime.md, "Fan-out", for the measurement).
    INLINE_FANOUT_MAX: int = 25
    # Pushes in flight at once per fan-out (threads sharing one HTTP connection pool).
    SEND_CONCURRENCY: int = 8
    # The Lambda function (name or ARN) a large fan-out is handed to, invoked asynchronously.
    # Empty: a background thread of this process (rungateway, the container), which a Lambda
    # function must not use: it is frozen as soon as it returns.
    FANOUT_FUNCTION: str = ""
    # The sweep asks the Management API about connections silent for longer than this
    # (seconds); API Gateway closes a connection idle for 10 minutes.
    SWEEP_IDLE: int = 600


DEFAULTS = RealtimeSettings()


def realtime_settings() -> RealtimeSettings:
    """The current settings (override_settings works: nothing is cached)."""
    return app_settings("REALTIME", DEFAULTS)
