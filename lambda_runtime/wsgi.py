"""WSGI glue for the Lambda adapter: a PEP 3333 environ from Mangum's scope, and a synchronous
call of the WSGI application that collects the response the way a WSGI server would."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, Protocol
from urllib.parse import unquote_to_bytes

from mangum.types import Response, Scope

ExcInfo = tuple[type[BaseException], BaseException, TracebackType]
StartResponse = Callable[..., Callable[[bytes], object]]


class WSGIApplication(Protocol):
    def __call__(
        self, environ: dict[str, Any], start_response: StartResponse, /
    ) -> Iterable[bytes]: ...


# Request headers a WSGI server turns into CONTENT_* instead of HTTP_*. Content-Length is
# recomputed from the decoded body: the gateway's value (when there is one at all) counts
# base64 text, and without one Django's multipart parser sees no files (mangum#310).
_CONTENT_HEADERS = {"content-type": "CONTENT_TYPE", "content-length": None}


def raw_path(event: dict[str, Any]) -> str:
    """The request path as the front door sent it, stage included if any."""
    if event.get("version") == "2.0":
        path = event["requestContext"]["http"]["path"]
    else:
        path = event["path"]
    if not isinstance(path, str):
        raise TypeError("the event's path is not a string")
    return path or "/"


def path_is_decoded(event: dict[str, Any]) -> bool:
    """HTTP APIs (payload 1.0 and 2.0) hand over the path already percent-decoded; REST
    APIs, Function URLs and ALBs as the client sent it. Observed on live traffic, not
    documented: aws/aws-lambda-dotnet#1901, middleapi/standard-server#93 (hotsock/voker#8).
    Decoding an HTTP API path again would turn a literal "%41" into "A"."""
    version = event.get("version")
    if version == "1.0":
        return True  # HTTP API payload 1.0; REST events carry no version
    if version == "2.0":
        domain = str((event.get("requestContext") or {}).get("domainName") or "")
        return ".lambda-url." not in domain  # Function URLs use payload 2.0 too
    return False


def wsgi_path(path: str, *, decoded: bool = False) -> str:
    """PATH_INFO per PEP 3333: decoded bytes carried in a latin-1 string, so UTF-8 (and
    invalid UTF-8) round-trips exactly into Django's own decoding."""
    if decoded:
        return path.encode("utf-8", "surrogateescape").decode("latin-1")
    return unquote_to_bytes(path).decode("latin-1")


def build_environ(scope: Scope, body: bytes) -> dict[str, Any]:
    """The environ a WSGI server would build for this request (SCRIPT_NAME and PATH_INFO
    are the caller's: they depend on the stage prefix)."""
    scheme = scope["scheme"] if scope["scheme"] in ("http", "https") else "https"
    server_name, server_port = scope["server"]
    client = scope["client"][0] or ""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"].upper(),
        "QUERY_STRING": scope["query_string"].decode("latin-1"),
        "CONTENT_LENGTH": str(len(body)),
        "SERVER_NAME": server_name,
        "SERVER_PORT": str(server_port),
        "SERVER_PROTOCOL": "HTTP/1.1",
        # API Gateway gives the bare client IP; the ALB handler gives X-Forwarded-For, whose
        # last entry is the address the load balancer saw (earlier ones are client-supplied).
        # Some samples carry a CIDR suffix ("1.2.3.4/32"), which is never part of an address.
        "REMOTE_ADDR": client.rpartition(",")[2].strip().partition("/")[0],
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    _add_headers(environ, scope["headers"])
    return environ


def _add_headers(environ: dict[str, Any], headers: list[list[bytes]]) -> None:
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1")
        value = raw_value.decode("latin-1")
        if name in _CONTENT_HEADERS:
            if key := _CONTENT_HEADERS[name]:
                environ[key] = value
            continue
        if "_" in name:
            # Like runserver, gunicorn and nginx: "x_forwarded_proto" must not be able to
            # pose as "x-forwarded-proto", since both would become the same environ key.
            continue
        key = "HTTP_" + name.upper().replace("-", "_")
        if key in environ:
            # Repeated headers (ALB multi-value headers) are joined as RFC 9110 allows;
            # cookies with "; " (RFC 6265 section 5.4).
            value = environ[key] + ("; " if key == "HTTP_COOKIE" else ",") + value
        environ[key] = value


def call_application(app: WSGIApplication, environ: dict[str, Any]) -> Response:
    """Run the WSGI application to completion: status, headers, the whole body, then close().

    close() is what fires Django's request_finished signal, so persistent database
    connections (CONN_MAX_AGE) are checked and kept exactly as under a WSGI server, and a
    streamed file (WhiteNoise) is closed.
    """
    started: list[Any] = []
    written: list[bytes] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: ExcInfo | None = None
    ) -> Callable[[bytes], object]:
        if started and exc_info is None:
            raise AssertionError("start_response called twice without exc_info")
        started[:] = [status, headers]
        return written.append

    result = app(environ, start_response)
    try:
        chunks = [*written, *result]
    finally:
        if close := getattr(result, "close", None):
            close()
    status, headers = started
    body = b"" if environ["REQUEST_METHOD"] == "HEAD" else b"".join(chunks)
    return {
        "status": int(status[:3]),
        # Mangum decodes header bytes as UTF-8; Django's header values are str already.
        # Stripped as Django's ASGI handler does: its Set-Cookie values start with a space.
        "headers": [[name.encode(), value.strip().encode()] for name, value in headers],
        "body": body,
    }
