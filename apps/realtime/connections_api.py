"""The @connections Management API (PostToConnection, GetConnection, DeleteConnection).

boto3's `apigatewaymanagementapi` client with the endpoint URL of the WebSocket API's stage
(https://{api-id}.execute-api.{region}.amazonaws.com/{stage}; rungateway serves the same API
locally). https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from apps.realtime.conf import realtime_settings

if TYPE_CHECKING:
    from mypy_boto3_apigatewaymanagementapi import ApiGatewayManagementApiClient

_EXECUTE_API = re.compile(r"[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?")
# PostToConnection's Data is at most 128 KiB (the WebSocket API's message payload quota).
MAX_DATA_BYTES = 128 * 1024


class GoneError(Exception):
    """410 GoneException: the connection no longer exists (its row can go)."""


class PushError(Exception):
    """Any other failure: `code` is the API's error code (LimitExceededException, ...)."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code


_clients: dict[str, ApiGatewayManagementApiClient] = {}
_lock = threading.Lock()


def client(endpoint: str) -> ApiGatewayManagementApiClient:
    """One client per endpoint, made once (about 20 ms) and shared by threads: boto3 clients
    are thread-safe once made, making them is not."""
    found = _clients.get(endpoint)
    if found is not None:
        return found
    with _lock:
        if endpoint not in _clients:
            _clients[endpoint] = _make(endpoint)
        return _clients[endpoint]


def _make(endpoint: str) -> ApiGatewayManagementApiClient:
    # Imported here: only functions that push pay for boto3's import.
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=2,
        read_timeout=5,
        # No retries: a push is a live update the client can re-read over REST; retrying
        # with back-off inside the HTTP request that caused it would only slow that request.
        retries={"total_max_attempts": 1, "mode": "standard"},
        max_pool_connections=max(10, realtime_settings().SEND_CONCURRENCY),
    )
    session = boto3.session.Session()  # sessions are not thread-safe: one per client
    return session.client(
        "apigatewaymanagementapi",
        endpoint_url=endpoint,
        region_name=_region(endpoint, session.region_name),
        config=config,
    )


def _region(endpoint: str, configured: str | None) -> str:
    """The region to sign for: an execute-api host names it; anything else (a custom domain,
    rungateway) uses the configured one, or us-east-1."""
    host = urlsplit(endpoint).hostname or ""
    found = _EXECUTE_API.fullmatch(host)
    return found.group(1) if found else (configured or "us-east-1")


def _raise_for(exc: Exception) -> None:
    from botocore.exceptions import BotoCoreError, ClientError

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "ClientError"))
        if code == "GoneException":
            raise GoneError from None
        raise PushError(code, str(error.get("Message", ""))) from None
    if isinstance(exc, BotoCoreError):
        raise PushError(type(exc).__name__, str(exc)) from None
    raise exc


def post(endpoint: str, connection_id: str, data: bytes) -> None:
    """Send `data` to the connection; GoneError when it is gone, PushError otherwise."""
    if len(data) > MAX_DATA_BYTES:
        raise PushError("PayloadTooLargeException", f"{len(data)} bytes")
    try:
        client(endpoint).post_to_connection(ConnectionId=connection_id, Data=data)
    except Exception as exc:
        _raise_for(exc)


def delete(endpoint: str, connection_id: str) -> bool:
    """Close the connection ($disconnect follows); False if it was already gone."""
    try:
        client(endpoint).delete_connection(ConnectionId=connection_id)
    except Exception as exc:
        try:
            _raise_for(exc)
        except GoneError:
            return False
    return True


def exists(endpoint: str, connection_id: str) -> bool:
    """GetConnection: whether the gateway still holds the connection."""
    try:
        client(endpoint).get_connection(ConnectionId=connection_id)
    except Exception as exc:
        try:
            _raise_for(exc)
        except GoneError:
            return False
    return True
