"""uvicorn's WebSocket protocol with API Gateway's frame limit: a frame over 32 KB closes the
connection with 1009, as a message over 128 KB does (uvicorn's `ws_max_size`).

ASGI hands the app whole messages, so only the protocol layer sees frames; this overrides
the sans-I/O implementation's frame handlers, which tests/localgateway/test_websocket.py
exercises so a uvicorn upgrade that changes them fails there.
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import CloseCode, Frame

from localgateway.websocket.spec import FRAME_MAX_BYTES, MESSAGE_MAX_BYTES


class ApiGatewayWebSocketProtocol(WebSocketsSansIOProtocol):
    """Refuses frames over FRAME_MAX_BYTES before their message reaches the app."""

    def handle_text(self, event: Frame) -> None:
        if self._allowed(event):
            super().handle_text(event)

    def handle_bytes(self, event: Frame) -> None:
        if self._allowed(event):
            super().handle_bytes(event)

    def handle_cont(self, event: Frame) -> None:
        if self._allowed(event):
            super().handle_cont(event)

    def _allowed(self, frame: Frame) -> bool:
        if self.close_sent:  # closing: what the client still sends is dropped
            return False
        if len(frame.data) <= FRAME_MAX_BYTES:
            return True
        self.conn.fail(CloseCode.MESSAGE_TOO_BIG, "Frame too big")
        self.handle_parser_exception()
        return False


# uvicorn.Config options for API Gateway's WebSocket behaviour: 128 KB messages (and 32 KB
# frames, above), no keepalive pings (the gateway only has its idle timeout), no compression.
UVICORN_OPTIONS: dict[str, Any] = {
    "ws": ApiGatewayWebSocketProtocol,
    "ws_max_size": MESSAGE_MAX_BYTES,
    "ws_ping_interval": None,
    "ws_per_message_deflate": False,
}
