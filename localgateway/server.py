"""The gateway itself: an ASGI app that does what an HTTP API does in front of a Lambda."""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import anyio.to_thread

from localgateway import accesslog, cors, jwt_auth, local_issuer
from localgateway.authorizers import JwtAuthorizer, LambdaAuthorizer, RouteAuth
from localgateway.events import (
    LambdaContext,
    Request,
    build_event,
    event_size,
    join_headers,
    payload_size,
)
from localgateway.integrations import InvocationError, InvocationTimeoutError
from localgateway.lambda_authorizer import (
    UNAUTHORIZED,
    Decision,
    ResultCache,
    authorizer_event,
    decision_from,
    identity_values,
)
from localgateway.results import (
    HttpResponse,
    MalformedResultError,
    from_lambda_result,
    gateway_error,
)
from localgateway.routing import Match, select_route
from localgateway.spec import (
    HTTP_API_MAX_PAYLOAD_BYTES,
    HTTP_API_MAX_REQUEST_LINE_AND_HEADERS,
    LAMBDA_MAX_EVENT_BYTES,
    ApiSpec,
)
from localgateway.throttle import TokenBucket
from localgateway.upstream import HttpUpstream, UpstreamError
from localgateway.websocket.server import WebSocketApi

access_logger = logging.getLogger("localgateway.access")
logger = logging.getLogger("localgateway")

Scope = dict[str, Any]
# A Lambda authorizer's time limit on HTTP APIs (http-api-quotas).
AUTHORIZER_TIMEOUT_S = 10.0


class BodyTooLargeError(Exception):
    """The request body went past the payload limit."""


class ClientGoneError(Exception):
    """The client disconnected before the body was complete."""


@dataclass
class Outcome:
    """What happened to a request, for the access log."""

    response: HttpResponse
    route_key: str = "-"
    integration_latency_ms: int | None = None


class GatewayApp:
    """ASGI application: routing, CORS, limits, the Lambda or HTTP integration, access logs."""

    def __init__(
        self,
        spec: ApiSpec,
        *,
        invoker: Any = None,
        upstream: HttpUpstream | None = None,
        timeout_override: float | None = None,
        storage: tuple[tuple[str, ...], Any] | None = None,
        websocket: WebSocketApi | None = None,
        authorizer_invokers: dict[str, Any] | None = None,
        key_sets: jwt_auth.KeySets | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.spec = spec
        self.invoker = invoker
        # Authorizers: Lambda authorizer functions by name, each issuer's JWKS, and the
        # clock (epoch seconds) that token times and the authorizer cache are read against.
        self.authorizer_invokers = authorizer_invokers or {}
        self.key_sets = key_sets or jwt_auth.KeySets()
        self.clock = clock
        self.authorizer_cache = ResultCache(clock)
        self.upstream = upstream
        self.timeout_override = timeout_override
        self.buckets: dict[str, TokenBucket] = {}
        # (paths, ASGI app): the local stand-in for S3, which clients reach directly, not
        # through API Gateway, so none of the gateway's limits apply to it.
        self.storage_paths: tuple[str, ...] = storage[0] if storage else ()
        self.storage_app: Any = storage[1] if storage else None
        # The template's WebSocket API, on the same host and port: upgrade requests go to
        # it, and so do HTTP requests for its @connections Management API.
        self.websocket = websocket

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            return
        if self.websocket is not None and self.websocket.is_management_path(scope["path"]):
            await self.websocket.manage(scope, receive, send)
            return
        started = time.perf_counter()
        request = _request_from_scope(scope)
        if (document := self._local_issuer_document(request.raw_path)) is not None:
            await _send(send, _json_response(document), head=request.method == "HEAD")
            return
        if self.storage_app is not None and self._is_storage(request.raw_path):
            await self.storage_app({**scope, "root_path": self._stage_prefix()}, receive, send)
            return
        try:
            outcome = await self._handle(request, receive)
        except ClientGoneError:
            logger.info(
                "client disconnected before the body was complete",
                extra={"requestId": request.request_id},
            )
            return
        response = outcome.response
        response.headers += self._id_headers(request, outcome)
        await _send(send, response, head=request.method == "HEAD")
        access_logger.info(self._access_line(request, outcome, started))

    def _id_headers(self, request: Request, outcome: Outcome) -> list[tuple[str, str]]:
        """The request id headers every response of this API type carries."""
        return [("apigw-requestid", request.request_id)]

    async def _handle(self, request: Request, receive: Any) -> Outcome:
        headers = join_headers(request.headers)
        if _request_line_and_headers(request) > HTTP_API_MAX_REQUEST_LINE_AND_HEADERS:
            return Outcome(gateway_error(431, "Request Header Fields Too Large"))
        # Routes match the decoded path, as API Gateway's do.
        path = self._strip_stage(request.path)
        if path is None:
            return Outcome(gateway_error(404, "Not Found"))
        if self.spec.cors and cors.is_preflight(request.method, headers):
            return Outcome(cors.preflight(self.spec.cors, headers))
        match = select_route(self.spec.routes, request.method, path)
        if match is None:
            return Outcome(gateway_error(404, "Not Found"))
        if not self._admit(match):
            return Outcome(gateway_error(429, "Too Many Requests"), match.route.key)
        try:
            request.body = await _read_body(receive, headers, HTTP_API_MAX_PAYLOAD_BYTES)
        except BodyTooLargeError:
            return Outcome(gateway_error(413, "Request Too Long"), match.route.key)
        authorizer: dict[str, Any] | None = None
        if (route_auth := self.spec.authorization.get(match.route.key)) is not None:
            granted = await self._authorize(route_auth, request, headers, match)
            if isinstance(granted, HttpResponse):
                if self.spec.cors:
                    cors.apply(self.spec.cors, headers, granted)
                return Outcome(granted, match.route.key)
            authorizer = granted
        outcome = await self._integrate(request, match, path, authorizer)
        if self.spec.cors:
            cors.apply(self.spec.cors, headers, outcome.response)
        return outcome

    async def _websocket(self, scope: Scope, receive: Any, send: Any) -> None:
        if self.websocket is not None:
            await self.websocket.serve(scope, receive, send)
            return
        # No WebSocket API in the template: the HTTP API answers the upgrade as a GET would.
        if (await receive())["type"] == "websocket.connect":
            response = gateway_error(404, "Not Found")
            await send(
                {
                    "type": "websocket.http.response.start",
                    "status": response.status,
                    "headers": [(n.encode(), v.encode()) for n, v in response.headers],
                }
            )
            await send({"type": "websocket.http.response.body", "body": response.body})

    def _stage_prefix(self) -> str:
        return "" if self.spec.stage == "$default" else f"/{self.spec.stage}"

    def _is_storage(self, raw_path: str) -> bool:
        path = self._strip_stage(raw_path)
        return path is not None and path.rstrip("/") in self.storage_paths

    def _strip_stage(self, raw_path: str) -> str | None:
        """The path without the stage; None when the request names no stage we serve."""
        if self.spec.stage == "$default":
            return raw_path
        prefix = f"/{self.spec.stage}"
        if raw_path == prefix or raw_path.startswith(prefix + "/"):
            return raw_path[len(prefix) :] or "/"
        return None

    def _admit(self, match: Match) -> bool:
        if self.spec.throttle_rate is None or self.spec.throttle_burst is None:
            return True
        bucket = self.buckets.setdefault(
            match.route.key, TokenBucket(self.spec.throttle_rate, self.spec.throttle_burst)
        )
        return bucket.take()

    async def _authorize(
        self, route_auth: RouteAuth, request: Request, headers: dict[str, str], match: Match
    ) -> dict[str, Any] | HttpResponse:
        """`requestContext.authorizer` for the integration, or the gateway's refusal."""
        authorizer = route_auth.authorizer
        if isinstance(authorizer, JwtAuthorizer):
            token = jwt_auth.token_from(headers, authorizer.identity_source)
            if token is None:
                return gateway_error(401, "Unauthorized", reason="no token")
            # In a thread: a remote issuer's keys may have to be fetched.
            verdict = await anyio.to_thread.run_sync(
                functools.partial(
                    jwt_auth.verify,
                    token,
                    authorizer,
                    route_auth.scopes,
                    self.key_sets,
                    now=self.clock(),
                )
            )
            if not verdict.allowed:
                response = gateway_error(verdict.status, verdict.message)
                if verdict.www_authenticate:
                    response.headers.append(("www-authenticate", verdict.www_authenticate))
                return response
            return {"jwt": {"claims": verdict.claims, "scopes": verdict.scopes}}
        decision = await self._lambda_decision(authorizer, request, match)
        if not decision.allowed:
            return gateway_error(decision.status, decision.message, reason=decision.reason)
        return {"lambda": decision.context or {}}

    async def _lambda_decision(
        self, authorizer: LambdaAuthorizer, request: Request, match: Match
    ) -> Decision:
        event = self._event(request, match)
        values = identity_values(authorizer, event)
        if values is None:
            return UNAUTHORIZED
        cached = self.authorizer_cache.get(authorizer.name, values)
        if cached is not None:
            return cached
        invoker = self.authorizer_invokers.get(authorizer.name)
        if invoker is None:
            return Decision(
                500, "Internal Server Error", reason=f"no function for {authorizer.name}"
            )
        context = LambdaContext(function_name=authorizer.handler, timeout_ms=10_000)
        try:
            result = await invoker.invoke(
                authorizer_event(event, values), context, AUTHORIZER_TIMEOUT_S
            )
        except (InvocationError, InvocationTimeoutError) as exc:
            # Errors are not cached: the next request calls the function again.
            logger.error("Lambda authorizer failed: %s", exc)
            return Decision(500, "Internal Server Error", reason="authorizer failed")
        decision = decision_from(result, authorizer)
        if decision.status != 500:
            self.authorizer_cache.put(authorizer.name, values, authorizer.ttl, decision)
        return decision

    def _event(self, request: Request, match: Match) -> dict[str, Any]:
        return build_event(
            request,
            stage=self.spec.stage,
            route_key=match.route.key,
            path_parameters=match.path_parameters,
            stage_variables=self.spec.stage_variables,
        )

    def _local_issuer_document(self, raw_path: str) -> dict[str, Any] | None:
        """The local issuer's OIDC discovery document and JWKS, served outside the stage."""
        issuer = self.key_sets.local_issuer_url
        if issuer is None or self.key_sets.local_keys is None:
            return None
        base = urlsplit(issuer).path.rstrip("/")
        if raw_path == f"{base}/.well-known/openid-configuration":
            return local_issuer.discovery(issuer)
        if raw_path == f"{base}/.well-known/jwks.json":
            return local_issuer.jwks(self.key_sets.local_keys)
        return None

    async def _integrate(
        self, request: Request, match: Match, path: str, authorizer: dict[str, Any] | None = None
    ) -> Outcome:
        route = match.route
        started = time.perf_counter()
        if route.integration == "http":
            response = await self._proxy(request, match, path, authorizer)
        else:
            response = await self._invoke(request, match, authorizer)
        latency = int((time.perf_counter() - started) * 1000)
        return Outcome(response, route.key, latency)

    async def _proxy(
        self, request: Request, match: Match, path: str, authorizer: dict[str, Any] | None
    ) -> HttpResponse:
        if self.upstream is None:
            return gateway_error(
                500, "Internal Server Error", reason="no --upstream for an HTTP_PROXY route"
            )
        # The VPC link forwards the stage unless the template overwrites the path; an HTTP
        # request line carries the path percent-encoded, as the client sent it.
        stripped = self._strip_stage(request.raw_path) if match.route.overwrite_path else None
        target = stripped or request.raw_path
        timeout = self.timeout_override or match.route.integration_timeout_ms / 1000
        try:
            return await self.upstream.forward(
                request, target, timeout, match.route.header_mappings, context_values(authorizer)
            )
        except UpstreamError as exc:
            return gateway_error(503, "Service Unavailable", reason=str(exc))

    async def _invoke(
        self, request: Request, match: Match, authorizer: dict[str, Any] | None
    ) -> HttpResponse:
        route = match.route
        event = self._event(request, match)
        if authorizer is not None:
            event["requestContext"]["authorizer"] = authorizer
        if event_size(event) > LAMBDA_MAX_EVENT_BYTES:
            return gateway_error(
                413, "Request Too Long", reason="event over Lambda's 6 MB invoke limit"
            )
        function_s = route.function_timeout_ms / 1000
        integration_s = self.timeout_override or route.integration_timeout_ms / 1000
        context = LambdaContext(function_name=route.handler, timeout_ms=int(function_s * 1000))
        try:
            result = await self.invoker.invoke(event, context, min(function_s, integration_s))
        except InvocationTimeoutError:
            if function_s < integration_s:
                # Lambda ends the function first: a function error, which becomes a 500.
                return gateway_error(
                    500,
                    "Internal Server Error",
                    reason=f"Task timed out after {function_s:.2f} seconds",
                )
            return gateway_error(503, "Service Unavailable", reason="integration timeout")
        except InvocationError as exc:
            logger.error("Lambda handler failed: %s", exc)
            return gateway_error(500, "Internal Server Error", reason=str(exc).splitlines()[0])
        if payload_size(result) > LAMBDA_MAX_EVENT_BYTES:
            # Lambda refuses to return more than 6 MB; the gateway sees a function error.
            return gateway_error(500, "Internal Server Error", reason="response over 6 MB")
        try:
            return from_lambda_result(result)
        except MalformedResultError as exc:
            logger.error("Malformed Lambda result: %s", exc)
            return gateway_error(500, "Internal Server Error", reason=str(exc))

    def _access_line(self, request: Request, outcome: Outcome, started: float) -> str:
        return accesslog.render(
            self.spec.access_log_format, self._access_variables(request, outcome, started)
        )

    def _access_variables(
        self, request: Request, outcome: Outcome, started: float
    ) -> dict[str, object]:
        """The `$context.*` values of the access log line."""
        response = outcome.response
        return {
            "requestId": request.request_id,
            "extendedRequestId": request.request_id,
            "identity.sourceIp": request.source_ip,
            "identity.userAgent": join_headers(request.headers).get("user-agent"),
            "requestTime": time.strftime(
                "%d/%b/%Y:%H:%M:%S +0000", time.gmtime(request.epoch_ms / 1000)
            ),
            "requestTimeEpoch": request.epoch_ms,
            "httpMethod": request.method,
            "routeKey": outcome.route_key,
            "path": request.raw_path,
            "stage": self.spec.stage,
            "status": response.status,
            "protocol": request.protocol,
            "responseLength": len(response.body),
            "responseLatency": int((time.perf_counter() - started) * 1000),
            "integrationLatency": outcome.integration_latency_ms,
            "integrationErrorMessage": response.integration_error,
            "error.message": response.integration_error,
            "apiId": "localapi00",
            "domainName": join_headers(request.headers).get("host"),
        }

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                websocket_invoker = self.websocket.invoker if self.websocket else None
                for closer in (self.invoker, self.upstream, websocket_invoker):
                    if closer is not None:
                        await closer.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return


def _request_from_scope(scope: Scope) -> Request:
    raw_path = scope.get("raw_path") or scope["path"].encode()
    client = scope.get("client") or ("127.0.0.1", 0)
    server = scope.get("server") or ("127.0.0.1", 80)
    return Request(
        method=scope["method"],
        # Bytes outside ASCII (invalid in a request line) are percent-encoded, as clients do.
        raw_path=quote(raw_path, safe="/%!$&'()*+,;=:@~-._"),
        raw_query=scope.get("query_string", b"").decode("latin-1"),
        headers=[(n.decode("latin-1"), _header_text(v)) for n, v in scope["headers"]],
        body=b"",
        source_ip=client[0],
        scheme=scope.get("scheme", "http"),
        port=server[1] or 80,
        protocol=f"HTTP/{scope.get('http_version', '1.1')}",
    )


def _header_text(value: bytes) -> str:
    try:
        return value.decode()
    except UnicodeDecodeError:
        return value.decode("latin-1")


def _request_line_and_headers(request: Request) -> int:
    line = (
        len(request.method)
        + len(request.raw_path)
        + len(request.raw_query)
        + len(request.protocol)
        + 3
    )
    return line + sum(len(value.encode()) for _, value in request.headers)


async def _read_body(receive: Any, headers: dict[str, str], limit: int) -> bytes:
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLargeError
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGoneError
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def _send(send: Any, response: HttpResponse, *, head: bool) -> None:
    headers = [
        (n.lower(), v)
        for n, v in response.headers
        if n.lower() not in ("content-length", "transfer-encoding", "connection")
    ]
    headers.append(("content-length", str(len(response.body))))
    await send(
        {
            "type": "http.response.start",
            "status": response.status,
            "headers": [(n.encode("latin-1"), v.encode("latin-1", "replace")) for n, v in headers],
        }
    )
    await send({"type": "http.response.body", "body": b"" if head else response.body})


def context_values(authorizer: dict[str, Any] | None) -> dict[str, str]:
    """`$context.authorizer.*` values for parameter mappings: the JWT's claims
    (`authorizer.claims.sub`) or the Lambda authorizer's context (`authorizer.<key>`)."""
    values: dict[str, str] = {}
    if not authorizer:
        return values
    for name, value in ((authorizer.get("jwt") or {}).get("claims") or {}).items():
        values[f"authorizer.claims.{name}"] = str(value)
    for name, value in (authorizer.get("lambda") or {}).items():
        values[f"authorizer.{name}"] = value if isinstance(value, str) else json.dumps(value)
    return values


def _json_response(document: dict[str, Any]) -> HttpResponse:
    return HttpResponse(200, [("content-type", "application/json")], json.dumps(document).encode())
