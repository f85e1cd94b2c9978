"""WSGI glue for the Lambda adapter: a PEP 3333 environ straight from the front door's event,
and a synchronous call of the WSGI application that collects the response the way a WSGI
server would."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, Protocol, TypedDict, TypeVar
from urllib.parse import unquote_to_bytes, urlencode

from mangum.handlers.alb import encode_query_string_for_alb
from mangum.types import Response

ExcInfo = tuple[type[BaseException], BaseException, TracebackType]
K = TypeVar("K")
V = TypeVar("V")
StartResponse = Callable[..., Callable[[bytes], object]]


class WSGIApplication(Protocol):
    def __call__(
        self, environ: dict[str, Any], start_response: StartResponse, /
    ) -> Iterable[bytes]: ...


# Request headers a WSGI server turns into CONTENT_* instead of HTTP_*. Content-Length is
# recomputed from the decoded body: the gateway's value (when there is one at all) counts
# base64 text, and without one Django's multipart parser sees no files (mangum#310).
_CONTENT_HEADERS = {"content-type": "CONTENT_TYPE", "content-length": ""}
_KEYS_MAX = 1024


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


def _wsgi_str(value: str) -> str:
    """A header value or query string as PEP 3333 carries it: its UTF-8 bytes as latin-1.
    A value that is not a string, or not encodable (a lone surrogate), raises: a malformed
    event."""
    return value if value.isascii() else value.encode().decode("latin-1")


class BoundedMemo(dict[K, V]):
    """key -> make(key), made once per key and kept for at most `limit` keys (the keys come
    from clients or applications, so the memo is bounded; past it, values are made each
    time). Read as `memo[key]` on the request path: a subscript costs less by the clock than
    a `.get()` call."""

    __slots__ = ("limit", "make")

    def __init__(self, make: Callable[[K], V], limit: int) -> None:
        super().__init__()
        self.make = make
        self.limit = limit

    def __missing__(self, key: K) -> V:
        value = self.make(key)  # may raise: nothing is kept then
        if len(self) < self.limit:
            self[key] = value
        return value


def _make_environ_key(raw_name: str) -> str:
    name = raw_name.lower()
    if name in _CONTENT_HEADERS:
        return _CONTENT_HEADERS[name]
    if "_" in name:
        # Like runserver, gunicorn and nginx: "x_forwarded_proto" must not be able to pose
        # as "x-forwarded-proto", since both would become the same environ key.
        return ""
    return "HTTP_" + _wsgi_str(name).upper().replace("-", "_")


# Header name as sent -> environ key ("" for a header that is dropped): `_KEYS[name]` in
# the header loops, nine times an invoke.
_KEYS = BoundedMemo(_make_environ_key, _KEYS_MAX)


def _environ_key(raw_name: str) -> str:
    """The environ key of a header name, "" if a WSGI server would drop it."""
    return _KEYS[raw_name]


def _set_headers(environ: dict[str, Any], headers: dict[str, Any]) -> None:
    """One value per name, the last of names differing only in case (API Gateway's maps)."""
    for name, value in headers.items():
        if not value.isascii():  # _wsgi_str, inlined: this loop runs for every header
            value = value.encode().decode("latin-1")
        if key := _KEYS[name]:
            environ[key] = value


def _add_headers(environ: dict[str, Any], headers: Iterable[tuple[str, str]]) -> None:
    """Repeated headers (ALB multi-value headers) joined as RFC 9110 allows; cookies with
    "; " (RFC 6265 section 5.4)."""
    for name, value in headers:
        value = _wsgi_str(value)
        if key := _environ_key(name):
            if key in environ:
                value = environ[key] + ("; " if key == "HTTP_COOKIE" else ",") + value
            environ[key] = value


# The keys every environ has; the first five are placeholders, set for each request. A copy
# of a made dict is one C-level copy of its table, where a dict display inserts (and
# resizes) key by key: ~3k instructions an invoke less.
_BASE_ENVIRON: dict[str, Any] = {
    "REQUEST_METHOD": "",
    "QUERY_STRING": "",
    "CONTENT_LENGTH": "",
    "REMOTE_ADDR": "",
    "wsgi.input": None,
    "wsgi.errors": None,
    "SERVER_PROTOCOL": "HTTP/1.1",
    "wsgi.version": (1, 0),
    "wsgi.multithread": False,
    "wsgi.multiprocess": True,
    "wsgi.run_once": False,
}


def _environ(method: str, query: str, body: bytes, client: str | None) -> dict[str, Any]:
    environ = _BASE_ENVIRON.copy()
    environ["REQUEST_METHOD"] = method.upper()
    environ["QUERY_STRING"] = query
    environ["CONTENT_LENGTH"] = str(len(body)) if body else "0"
    # API Gateway gives the bare client IP; the ALB gives X-Forwarded-For, whose last entry
    # is the address the load balancer saw (earlier ones are client-supplied). Some samples
    # carry a CIDR suffix ("1.2.3.4/32"), which is never part of an address.
    if not client:
        environ["REMOTE_ADDR"] = ""
    elif "," in client or "/" in client:
        environ["REMOTE_ADDR"] = client.rpartition(",")[2].strip().partition("/")[0]
    else:  # a bare address: the usual API Gateway event, two method calls less
        environ["REMOTE_ADDR"] = client.strip()
    environ["wsgi.input"] = io.BytesIO(body)
    environ["wsgi.errors"] = sys.stderr  # read per request: a test may have replaced it
    return environ


def _set_server(
    environ: dict[str, Any], host: str | None, proto: str | None, port: Any
) -> dict[str, Any]:
    """SERVER_NAME/SERVER_PORT from Host (else X-Forwarded-Port), the scheme from
    X-Forwarded-Proto (https unless it says http): what the gateway tells, as Mangum reads it."""
    if host is None:
        name, port = "mangum", 80 if port is None else port
    elif ":" not in host:
        name, port = host, 80 if port is None else port
    else:
        name, port = host.split(":")
    environ["SERVER_NAME"] = name
    environ["SERVER_PORT"] = _PORTS[port]  # ValueError: a malformed event
    environ["wsgi.url_scheme"] = proto if proto in ("http", "https") else "https"
    return environ


# Port text (or the default int) -> SERVER_PORT, as int() normalises it; bounded, since
# clients choose X-Forwarded-Port and the Host's port.
_PORTS_MAX = 64
_PORTS: BoundedMemo[Any, str] = BoundedMemo(lambda port: str(int(port)), _PORTS_MAX)


def _original(value: str | None) -> str | None:
    """A header value as the event had it (undoes _wsgi_str)."""
    return value if value is None or value.isascii() else value.encode("latin-1").decode()


def _from_environ(environ: dict[str, Any]) -> dict[str, Any]:
    """_set_server from the environ's Host, X-Forwarded-Port and X-Forwarded-Proto (_original
    inlined: this runs for every HTTP API and REST request)."""
    host = environ.get("HTTP_HOST")
    if host is not None and not host.isascii():
        host = host.encode("latin-1").decode()
    port = environ.get("HTTP_X_FORWARDED_PORT")
    if port is not None and not port.isascii():
        port = port.encode("latin-1").decode()
    return _set_server(environ, host, environ.get("HTTP_X_FORWARDED_PROTO"), port)


def environ_v2(event: dict[str, Any], body: bytes) -> dict[str, Any]:
    """HTTP API payload 2.0 (and Function URLs); SCRIPT_NAME and PATH_INFO are the caller's:
    they depend on the stage prefix."""
    http = event["requestContext"]["http"]
    query = event.get("rawQueryString", "")
    if not query.isascii():  # _wsgi_str, inlined
        query = query.encode().decode("latin-1")
    environ = _environ(http["method"], query, body, http["sourceIp"])
    for name, value in event.get("headers", {}).items():  # _set_headers, inlined
        if not value.isascii():
            value = value.encode().decode("latin-1")
        if key := _KEYS[name]:
            environ[key] = value
    if cookies := event.get("cookies"):
        # Payload 2.0 moves the Cookie header's pairs into `cookies`.
        environ["HTTP_COOKIE"] = _wsgi_str("; ".join(cookies))
    return _from_environ(environ)


def environ_v1(event: dict[str, Any], body: bytes) -> dict[str, Any]:
    """REST API and HTTP API payload 1.0: `multiValueHeaders` (comma-joined) win over
    `headers`, `multiValueQueryStringParameters` over `queryStringParameters`."""
    params = event.get("multiValueQueryStringParameters", {}) or event.get(
        "queryStringParameters", {}
    )
    identity = event["requestContext"].get("identity", {})
    environ = _environ(
        event["httpMethod"],
        urlencode(params, doseq=True) if params else "",
        body,
        identity.get("sourceIp"),
    )
    headers = event.get("headers", {}) or {}
    multi = event.get("multiValueHeaders")
    if not multi:
        _set_headers(environ, headers)
        return _from_environ(environ)
    # Every name in `multiValueHeaders` overwrites what `headers` set for it, and API
    # Gateway sends every header in both: set only the names `headers` alone has (usually
    # none) instead of setting each header twice.
    if only_single := headers.keys() - multi.keys():
        _set_headers(environ, {name: headers[name] for name in headers if name in only_single})
    for name, values in multi.items():
        value = ", ".join(values) if isinstance(values, list) else ""
        if key := _KEYS[name]:  # _environ_key and _wsgi_str, inlined as in _set_headers
            environ[key] = value if value.isascii() else value.encode().decode("latin-1")
    return _from_environ(environ)


def environ_alb(event: dict[str, Any], body: bytes) -> dict[str, Any]:
    """ALB, with or without multi-value headers; the query parameters arrive as the client
    encoded them, and are normalised as Mangum does."""
    if "multiValueHeaders" in event:
        pairs = [
            (name.lower(), value)
            for name, values in event["multiValueHeaders"].items()
            for value in values
        ]
    else:
        pairs = [(name.lower(), value) for name, value in event["headers"].items()]
    last = dict(pairs)  # The last of repeated values says where the request came from.
    params = event.get("multiValueQueryStringParameters", event.get("queryStringParameters", {}))
    query = encode_query_string_for_alb(params).decode() if params else ""
    environ = _environ(event["httpMethod"], query, body, last.get("x-forwarded-for", ""))
    _add_headers(environ, pairs)
    return _set_server(
        environ, last.get("host"), last.get("x-forwarded-proto"), last.get("x-forwarded-port")
    )


class WSGIResponse(TypedDict):
    """What the application answered: the status code, its headers as it gave them (str
    names and values), the whole body."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


def call_application(app: WSGIApplication, environ: dict[str, Any]) -> WSGIResponse:
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
        # Django writes nothing through write(): join the iterable itself, no list between.
        body = b"".join([*written, *result] if written else result)
    finally:
        if close := getattr(result, "close", None):
            close()
    status, headers = started
    return {
        "status": _STATUS_CODES[status],
        "headers": headers,
        "body": b"" if environ["REQUEST_METHOD"] == "HEAD" else body,
    }


# "200 OK" -> 200: a handful of status lines, each parsed once; bounded all the same.
_STATUS_CODES_MAX = 128
_STATUS_CODES: BoundedMemo[str, int] = BoundedMemo(
    lambda status: int(status[:3]), _STATUS_CODES_MAX
)


def mangum_response(response: WSGIResponse) -> Response:
    """The response as Mangum's handlers read it: header names and values as UTF-8 bytes
    (Mangum decodes them as UTF-8), the values stripped as Django's ASGI handler does (its
    Set-Cookie values start with a space)."""
    return {
        "status": response["status"],
        "headers": [[name.encode(), value.strip().encode()] for name, value in response["headers"]],
        "body": response["body"],
    }
