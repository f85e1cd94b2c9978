"""The local WebSocket API: an ASGI WebSocket handler doing what API Gateway does between a
client and the Lambda function, and the @connections Management API it serves over HTTP.

Per connection: $connect runs before the upgrade is accepted (a non-2xx result refuses it
with that status, a failure with 502); each text message is routed by the selection
expression (no match and no $default: a `Forbidden` error frame) and, on a route with a
route response, the result's body is sent back; binary frames close the connection with
1003 and oversized frames or messages with 1009 (uvicorn, see protocol.py); idle and
maximum-duration timers close it with 1001; $disconnect runs after it closed.
Pushes wait in a bounded queue per connection: a client that does not read fills it, and
PostToConnection then answers 429 LimitExceededException instead of buffering without end.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from localgateway import accesslog
from localgateway.events import LambdaContext, new_request_id
from localgateway.integrations import InvocationError, InvocationTimeoutError
from localgateway.throttle import TokenBucket
from localgateway.websocket import events
from localgateway.websocket.events import Client
from localgateway.websocket.spec import (
    IDLE_TIMEOUT_S,
    MAX_DURATION_S,
    MESSAGE_MAX_BYTES,
    URL_MAX_LENGTH,
    WebSocketRoute,
    WebSocketSpec,
)

logger = logging.getLogger("localgateway")
access_logger = logging.getLogger("localgateway.access")

Scope = dict[str, Any]
# Pushes a connection may have waiting; beyond, PostToConnection answers 429.
OUTBOX_SIZE = 256
CLOSE_TIMEOUT_S = 5
GOING_AWAY = 1001
UNSUPPORTED_DATA = 1003
# What real APIs put in disconnectReason for a close frame without a status code.
NO_STATUS_REASON = "Client-side close frame status not set"


@dataclass
class Connection:
    client: Client
    outbox: asyncio.Queue[str | bytes]
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    close_code: int = 1000
    close_reason: str = ""
    client_closed: bool = False  # the socket is already closed: no close frame to send
    last_active: float = field(default_factory=time.monotonic)
    last_active_ms: int = field(default_factory=lambda: int(time.time() * 1000))

    def touch(self) -> None:
        self.last_active = time.monotonic()
        self.last_active_ms = int(time.time() * 1000)

    def close(self, code: int, reason: str = "", *, by_client: bool = False) -> None:
        if not self.closed.is_set():
            self.close_code, self.close_reason, self.client_closed = code, reason, by_client
            self.closed.set()


class WebSocketApi:
    """The emulated WebSocket API of one stage, with its open connections."""

    def __init__(
        self,
        spec: WebSocketSpec,
        invoker: Any,
        *,
        idle_timeout: float = IDLE_TIMEOUT_S,
        max_duration: float = MAX_DURATION_S,
        outbox_size: int = OUTBOX_SIZE,
    ) -> None:
        self.spec = spec
        self.outbox_size = outbox_size
        self.invoker = invoker
        self.idle_timeout = idle_timeout
        self.max_duration = max_duration
        self.connections: dict[str, Connection] = {}
        self.buckets: dict[str, TokenBucket] = {}

    @property
    def stage_path(self) -> str:
        return "" if self.spec.stage == "$default" else f"/{self.spec.stage}"

    # --- the WebSocket side ---------------------------------------------------------------

    async def serve(self, scope: Scope, receive: Any, send: Any) -> None:
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        client = _client(scope)
        url_length = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
        if scope["path"].rstrip("/") != self.stage_path:
            await _deny(send, 403, {"message": "Forbidden"})
            return
        if url_length > URL_MAX_LENGTH:
            await _deny(send, 414, {"message": "Request-URI Too Long"})
            return
        if not self._admit("$connect"):
            await _deny(send, 429, {"message": "Too Many Requests"})
            return
        accepted = await self._connect(client, scope, send)
        if accepted:
            await self._run(Connection(client, asyncio.Queue(self.outbox_size)), receive, send)

    async def _connect(self, client: Client, scope: Scope, send: Any) -> bool:
        route = self.spec.routes.get("$connect")
        headers: list[tuple[bytes, bytes]] = []
        if route is not None:
            event = events.connect_event(client, self.spec.stage)
            try:
                result, latency = await self._invoke(route, event)
            except (InvocationError, InvocationTimeoutError) as exc:
                logger.error("$connect failed: %s", str(exc).splitlines()[0])
                self._log(event, 502)
                await _deny(send, 502, {"message": "Internal server error"})
                return False
            status, body, result_headers = _http_result(result)
            self._log(event, status, latency)
            if not 200 <= status < 300:
                await _deny(send, status, body, result_headers)
                return False
            headers = [(n.lower().encode(), v.encode()) for n, v in result_headers.items()]
        subprotocol = next((v.decode() for n, v in headers if n == b"sec-websocket-protocol"), None)
        offered = scope.get("subprotocols") or []
        await send(
            {
                "type": "websocket.accept",
                "subprotocol": subprotocol if subprotocol in offered else None,
            }
        )
        return True

    async def _run(self, connection: Connection, receive: Any, send: Any) -> None:
        connection_id = connection.client.connection_id
        self.connections[connection_id] = connection
        tasks = [
            asyncio.create_task(self._read(connection, receive)),
            asyncio.create_task(self._write(connection, send)),
            asyncio.create_task(self._expire(connection)),
        ]
        try:
            await connection.closed.wait()
        finally:
            del self.connections[connection_id]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if not connection.client_closed:
                # Bounded: a client that does not read keeps the socket unwritable.
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(
                        send(
                            {
                                "type": "websocket.close",
                                "code": connection.close_code,
                                "reason": connection.close_reason,
                            }
                        ),
                        CLOSE_TIMEOUT_S,
                    )
        await self._disconnect(connection)

    async def _read(self, connection: Connection, receive: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                code = int(message.get("code") or 1005)
                reason = message.get("reason") or (NO_STATUS_REASON if code == 1005 else "")
                connection.close(code, reason, by_client=True)
                return
            if message.get("bytes") is not None:
                # API Gateway refuses binary frames: "disconnects the client with code 1003".
                connection.close(UNSUPPORTED_DATA, "Binary frames are not supported")
                return
            connection.touch()
            await self._message(connection, message.get("text") or "")

    async def _message(self, connection: Connection, body: str) -> None:
        client = connection.client
        route = self.spec.routes.get(self._select(body)) or self.spec.routes.get("$default")
        if route is None:
            self._error_frame(connection, "Forbidden")
            return
        event = events.message_event(client, self.spec.stage, route.key, body)
        if not self._admit(route.key):
            self._error_frame(connection, "Too Many Requests", event)
            return
        try:
            result, latency = await self._invoke(route, event)
        except (InvocationError, InvocationTimeoutError) as exc:
            logger.error("%s failed: %s", route.key, str(exc).splitlines()[0])
            self._log(event, 500)
            self._error_frame(connection, "Internal server error", event)
            return
        self._log(event, 200, latency)
        reply = result.get("body") if isinstance(result, dict) else None
        if route.two_way and isinstance(reply, str) and reply:
            self._enqueue(connection, reply)

    def _select(self, body: str) -> str:
        """The route key `$request.body.<path>` evaluates to ("" if not found)."""
        try:
            value: Any = json.loads(body)
        except (ValueError, RecursionError):
            return ""
        for part in self.spec.selection_path:
            if not isinstance(value, dict) or part not in value:
                return ""
            value = value[part]
        return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))

    def _error_frame(
        self, connection: Connection, message: str, event: dict[str, Any] | None = None
    ) -> None:
        request_id = event["requestContext"]["requestId"] if event else new_request_id()
        frame = {
            "message": message,
            "connectionId": connection.client.connection_id,
            "requestId": request_id,
        }
        self._enqueue(connection, json.dumps(frame, separators=(",", ":")))

    def _enqueue(self, connection: Connection, data: str | bytes) -> bool:
        try:
            connection.outbox.put_nowait(data)
        except asyncio.QueueFull:
            return False
        return True

    async def _write(self, connection: Connection, send: Any) -> None:
        while True:
            data = await connection.outbox.get()
            try:
                if isinstance(data, str):
                    await send({"type": "websocket.send", "text": data})
                else:
                    await send({"type": "websocket.send", "bytes": data})
            except Exception:  # the client went away mid-send
                connection.close(1006, "", by_client=True)
                return

    async def _expire(self, connection: Connection) -> None:
        """API Gateway's idle timeout (10 min) and connection duration limit (2 h)."""
        ends = time.monotonic() + self.max_duration
        while True:
            now = time.monotonic()
            idle_ends = connection.last_active + self.idle_timeout
            if now >= ends:
                connection.close(GOING_AWAY, "Connection duration exceeded")
                return
            if now >= idle_ends:
                connection.close(GOING_AWAY, "Idle timeout")
                return
            await asyncio.sleep(min(ends, idle_ends) - now)

    async def _disconnect(self, connection: Connection) -> None:
        route = self.spec.routes.get("$disconnect")
        if route is None:
            return
        event = events.disconnect_event(
            connection.client, self.spec.stage, connection.close_code, connection.close_reason
        )
        try:
            _, latency = await self._invoke(route, event)
        except (InvocationError, InvocationTimeoutError) as exc:
            # Best effort, as on AWS: nobody is left to tell.
            logger.error("$disconnect failed: %s", str(exc).splitlines()[0])
            self._log(event, 500)
            return
        self._log(event, 200, latency)

    async def _invoke(self, route: WebSocketRoute, event: dict[str, Any]) -> tuple[Any, int]:
        """The handler's result and the integration latency (ms)."""
        function_s = route.function_timeout_ms / 1000
        integration_s = route.integration_timeout_ms / 1000
        context = LambdaContext(function_name=route.handler, timeout_ms=route.function_timeout_ms)
        started = time.perf_counter()
        result = await self.invoker.invoke(event, context, min(function_s, integration_s))
        return result, int((time.perf_counter() - started) * 1000)

    def _admit(self, route_key: str) -> bool:
        if self.spec.throttle_rate is None or self.spec.throttle_burst is None:
            return True
        bucket = self.buckets.setdefault(
            route_key, TokenBucket(self.spec.throttle_rate, self.spec.throttle_burst)
        )
        return bucket.take()

    def _log(self, event: dict[str, Any], status: int, latency_ms: int | None = None) -> None:
        context = event["requestContext"]
        variables = {
            "requestId": context["requestId"],
            "extendedRequestId": context["extendedRequestId"],
            "identity.sourceIp": context["identity"]["sourceIp"],
            "requestTime": context["requestTime"],
            "requestTimeEpoch": context["requestTimeEpoch"],
            "eventType": context["eventType"],
            "routeKey": context["routeKey"],
            "connectionId": context["connectionId"],
            "messageId": context.get("messageId"),
            "stage": context["stage"],
            "status": status,
            "integrationLatency": latency_ms,
            "apiId": context["apiId"],
            "domainName": context["domainName"],
        }
        access_logger.info(accesslog.render(self.spec.access_log_format, variables))

    # --- the @connections Management API ----------------------------------------------------

    def is_management_path(self, path: str) -> bool:
        return path.startswith(f"{self.stage_path}/@connections/")

    async def manage(self, scope: Scope, receive: Any, send: Any) -> None:
        """POST/GET/DELETE {stage}/@connections/{id}, answered as API Gateway does
        (botocore reads the error code from x-amzn-ErrorType)."""
        raw = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        connection_id = unquote(raw.split("/@connections/", 1)[1])
        method = scope["method"]
        body, too_large = await _read_body(receive, MESSAGE_MAX_BYTES)
        connection = self.connections.get(connection_id)
        if method not in ("POST", "GET", "DELETE"):
            await _respond(send, 404, {"message": "Not Found"})
        elif too_large and method == "POST":
            await _error(send, 413, "PayloadTooLargeException", "Request entity too large")
        elif connection is None or connection.closed.is_set():
            await _error(send, 410, "GoneException", f"Connection {connection_id} is gone")
        elif method == "POST":
            if self._enqueue(connection, _text_or_bytes(body)):
                connection.touch()
                await _respond(send, 200, None)
            else:
                await _error(send, 429, "LimitExceededException", "The client is not reading")
        elif method == "GET":
            await _respond(send, 200, _describe(connection))
        else:
            connection.close(1000, "")
            await _respond(send, 204, None)


def _describe(connection: Connection) -> dict[str, Any]:
    def iso(epoch_ms: int) -> str:
        moment = datetime.datetime.fromtimestamp(epoch_ms / 1000, datetime.UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    client = connection.client
    return {
        "connectedAt": iso(client.connected_at),
        "identity": {"sourceIp": client.source_ip, "userAgent": client.user_agent},
        "lastActiveAt": iso(connection.last_active_ms),
    }


def _text_or_bytes(body: bytes) -> str | bytes:
    """Posted data that is UTF-8 goes out as a text frame, anything else as binary."""
    try:
        return body.decode()
    except UnicodeDecodeError:
        return body


def _client(scope: Scope) -> Client:
    headers = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in scope["headers"]]
    host_header = next((v for n, v in headers if n.lower() == "host"), "localhost")
    server = scope.get("server") or ("127.0.0.1", 80)
    client = scope.get("client") or ("127.0.0.1", 0)
    return Client(
        connection_id=events.new_connection_id(),
        headers=headers,
        raw_query=(scope.get("query_string") or b"").decode("latin-1"),
        source_ip=client[0],
        host=host_header.rsplit(":", 1)[0] if not host_header.endswith("]") else host_header,
        port=int(server[1] or 80),
        scheme="https" if scope.get("scheme") == "wss" else "http",
    )


def _http_result(result: Any) -> tuple[int, Any, dict[str, str]]:
    """statusCode, body and headers of a $connect result (no statusCode: 200)."""
    if not isinstance(result, dict):
        return 200, None, {}
    status = result.get("statusCode", 200)
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        return 502, {"message": "Internal server error"}, {}
    headers = result.get("headers") or {}
    return status, result.get("body"), {str(k): str(v) for k, v in headers.items()}


async def _deny(send: Any, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
    """Refuse the upgrade with an HTTP response (ASGI's WebSocket denial response)."""
    payload = (
        body.encode()
        if isinstance(body, str)
        else json.dumps(body or {}, separators=(",", ":")).encode()
    )
    names = {k.lower(): v for k, v in (headers or {}).items() if k.lower() != "content-length"}
    names.setdefault("content-type", "application/json")
    names["content-length"] = str(len(payload))
    await send(
        {
            "type": "websocket.http.response.start",
            "status": status,
            "headers": [(n.encode(), v.encode()) for n, v in names.items()],
        }
    )
    await send({"type": "websocket.http.response.body", "body": payload})


async def _read_body(receive: Any, limit: int) -> tuple[bytes, bool]:
    """The request body, up to `limit` bytes (the rest is read and dropped)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"", False
        chunk = message.get("body", b"")
        size += len(chunk)
        if size <= limit:
            chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks), size > limit


async def _respond(
    send: Any, status: int, document: Any, headers: dict[str, str] | None = None
) -> None:
    body = b"" if document is None else json.dumps(document, separators=(",", ":")).encode()
    pairs = [("content-type", "application/json"), ("content-length", str(len(body)))]
    pairs += list((headers or {}).items())
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(n.encode(), v.encode()) for n, v in pairs],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _error(send: Any, status: int, code: str, message: str) -> None:
    await _respond(send, status, {"message": message}, {"x-amzn-ErrorType": code})
