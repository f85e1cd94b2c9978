"""WSGI middleware: a chunked request body (no Content-Length) is read, or refused in JSON.

Django reads exactly CONTENT_LENGTH bytes of a body and sees none without it, so behind
gunicorn a chunked JSON POST arrived empty ("name: required") and a 5 MB chunked upload was
"the file is empty" (400) instead of too large (413). gunicorn decodes the chunks and marks
the stream as ending by itself (`wsgi.input_terminated`); this reads it, up to API Gateway's
own payload limit, and hands Django a body with a length. A server that cannot say where a
chunked body ends (runserver) gets a 411 instead, as RFC 9112 allows.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from typing import IO, Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# HTTP API payload limit: what could arrive with a Content-Length could arrive chunked.
# https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html
MAX_BODY_BYTES = 10 * 1024 * 1024
# Past this, the body is spooled to a temporary file instead of memory.
SPOOL_BYTES = 1024 * 1024
# A body refused as too large is read on and discarded up to this much more, so the client
# (still sending) sees the 413 instead of a reset connection; then the connection closes.
DRAIN_BYTES = 16 * 1024 * 1024
CHUNK_BYTES = 64 * 1024


class ChunkedBodyMiddleware:
    """Wraps Django's WSGI application for servers that pass chunked bodies through."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        coding = environ.get("HTTP_TRANSFER_ENCODING")
        if not coding or environ.get("CONTENT_LENGTH") or "chunked" not in coding.lower():
            return self.app(environ, start_response)
        if not environ.get("wsgi.input_terminated"):
            # No Content-Length on the answer: the server then closes the connection, so
            # the unread chunks are never parsed as a next request.
            return refuse(start_response, 411, length=False)
        stream: IO[bytes] = environ["wsgi.input"]
        body, size = read_body(stream, MAX_BODY_BYTES)
        if body is None:
            discard(stream, DRAIN_BYTES)
            return refuse(start_response, 413, close=True)
        environ["wsgi.input"] = body
        environ["CONTENT_LENGTH"] = str(size)
        del environ["HTTP_TRANSFER_ENCODING"]  # The body Django sees is no longer chunked.
        return self.app(environ, start_response)


def read_body(stream: IO[bytes], limit: int) -> tuple[IO[bytes] | None, int]:
    """The whole body in a seekable file, and its size; (None, size) past `limit` bytes."""
    body: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
    size = 0
    while chunk := stream.read(CHUNK_BYTES):
        size += len(chunk)
        if size > limit:
            body.close()
            return None, size
        body.write(chunk)
    body.seek(0)
    return body, size


def discard(stream: IO[bytes], limit: int) -> None:
    read = 0
    while read < limit and (chunk := stream.read(CHUNK_BYTES)):
        read += len(chunk)


def refuse(
    start_response: Callable[..., Any], status: int, *, length: bool = True, close: bool = False
) -> Iterable[bytes]:
    """The project's JSON error. `close` asks the server to close the connection after it
    (gunicorn honours an application's Connection header; wsgiref forbids one)."""
    # Imported here: this module loads before Django is set up (gatewayproject/wsgi.py).
    from apps.common.errors import error_json, message_for

    body = error_json(message_for(status))
    headers = [("Content-Type", "application/json")]
    if length:
        headers.append(("Content-Length", str(len(body))))
    if close:
        headers.append(("Connection", "close"))
    start_response(f"{status} {message_for(status)}", headers)
    # An iterator, not a list: wsgiref would count a one-item list and add a Content-Length.
    return [body] if length else iter([body])
