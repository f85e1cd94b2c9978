"""Mangum's event detection and response shaping around Django's WSGI application.

Mangum recognises each front door (HTTP API payload 2.0 and 1.0, REST API, ALB, Function
URL) and shapes the response for it (v2 `cookies`, v1/ALB `multiValueHeaders`, base64 for
non-text bodies). Running Django through its ASGI handler costs about 16 thread hand-offs
per request (measured 2.6x a WSGI call) and breaks persistent connections (Django ticket
33497), so this subclass builds a WSGI environ straight from the event, as apig-wsgi does
(Mangum's ASGI scope would encode every header to bytes, then the environ decode it again),
and calls Django's WSGI handler synchronously: no event loop, no threads, no lifespan
messages.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, cast

from django.conf import settings
from django.core.signals import setting_changed
from django.utils.functional import cached_property
from mangum import Mangum
from mangum.handlers import ALB, APIGateway, HTTPGateway
from mangum.handlers.utils import handle_base64_response_body, handle_exclude_headers
from mangum.types import ASGI, LambdaConfig, LambdaContext, Scope

from apps.common.errors import (
    DATABASE_UNAVAILABLE,
    RETRY_AFTER_UNAVAILABLE,
    error_json,
    message_for,
)
from apps.common.logging import request_context
from lambda_runtime.stage import StagePrefix, stage_prefix
from lambda_runtime.wsgi import (
    BoundedMemo,
    WSGIApplication,
    WSGIResponse,
    call_application,
    environ_alb,
    environ_v1,
    environ_v2,
    mangum_response,
    path_is_decoded,
    wsgi_path,
)

logger = logging.getLogger("gatewayproject.lambda")


class UnsupportedEventError(Exception):
    """The event is not an HTTP request from a front door this handler serves."""


class MalformedEventError(Exception):
    """The event looks like an HTTP request but cannot be read as one."""


class InvalidBodyError(Exception):
    """`isBase64Encoded` is true but the body is not base64."""


def _decode_body(event: dict[str, Any]) -> bytes:
    body = event.get("body")
    if not body:
        return b""
    if not isinstance(body, str):
        raise MalformedEventError("the event's body is not a string")
    if event.get("isBase64Encoded"):
        try:
            # Strict: Mangum's lenient decoding would silently drop stray characters.
            return base64.b64decode(body, validate=True)
        except binascii.Error:
            raise InvalidBodyError from None
    return body.encode()


class _Event:
    """What the adapter adds to Mangum's handlers: the body decoded once and strictly, the
    environ built straight from the event, and a scope that holds only what Mangum's
    response shaping reads (the event), instead of Mangum's ASGI scope, whose headers would
    be encoded to bytes only to be decoded again for the environ."""

    event: dict[str, Any]
    context: LambdaContext
    config: LambdaConfig

    @property
    def scope(self) -> Scope:
        return {"aws.event": self.event, "aws.context": self.context}

    @cached_property  # Django's: no lock to take, unlike functools'
    def body(self) -> bytes:
        return _decode_body(self.event)

    def environ(self) -> dict[str, Any]:
        raise NotImplementedError

    def __call__(self, response: WSGIResponse) -> dict[str, Any]:
        raise NotImplementedError


class _HTTPAPIEvent(_Event, HTTPGateway):
    def environ(self) -> dict[str, Any]:
        if self.event["version"] == "2.0":
            return environ_v2(self.event, self.body)
        return environ_v1(self.event, self.body)

    def __call__(self, response: WSGIResponse) -> dict[str, Any]:  # type: ignore[override]
        if self.event["version"] == "2.0":
            return _shape_v2(response, self.config)
        return _shape_multi(response, self.config, exclude=False)


class _RESTEvent(_Event, APIGateway):
    def environ(self) -> dict[str, Any]:
        return environ_v1(self.event, self.body)

    def __call__(self, response: WSGIResponse) -> dict[str, Any]:  # type: ignore[override]
        return _shape_multi(response, self.config, exclude=True)


class _ALBEvent(_Event, ALB):
    def environ(self) -> dict[str, Any]:
        return environ_alb(self.event, self.body)

    def __call__(self, response: WSGIResponse) -> dict[str, Any]:  # type: ignore[override]
        result: dict[str, Any] = ALB.__call__(self, mangum_response(response))
        result["statusDescription"] = status_description(response["status"])
        return result


# Mangum's response shaping for HTTP API and REST API events (HTTPGateway.__call__,
# APIGateway.__call__), on the application's str headers instead of their UTF-8 bytes, which
# Mangum would decode again: the same dict, key for key (tests/lambda_runtime/test_shaping.py
# compares them). Mangum's own decision of what is text and what goes base64.


# Response header name -> its lower case, made once per name: an application sends the same
# few dozen names, and a dict lookup costs less than a new lower-cased string. Bounded, since
# an application may echo names it was sent.
_LOWER = BoundedMemo(str.lower, 1024)


def _shape_v2(response: WSGIResponse, config: LambdaConfig) -> dict[str, Any]:
    """Payload 2.0: names lower-cased, repeated headers comma-joined, Set-Cookie values
    in `cookies`. One difference, on purpose: Mangum adds Content-Type "application/json"
    even to an answer without a body (a 204), which the gateway would pass on to the client;
    here an answer without a body keeps the Content-Type it has, if any."""
    pairs = response["headers"]
    headers: dict[str, str] = {}
    for name, value in pairs:  # a loop, not a comprehension: no function call before 3.12
        headers[_LOWER[name]] = value.strip()
    cookies: list[str] = []
    if len(headers) != len(pairs) or "set-cookie" in headers:  # repeated names, cookies
        headers = {}
        for name, value in pairs:
            name, value = name.lower(), value.strip()
            if name == "set-cookie":
                cookies.append(value)
            elif name in headers:
                headers[name] = f"{headers[name]},{value}"
            else:
                headers[name] = value
    body = response["body"]
    if body and "content-type" not in headers:
        headers["content-type"] = "application/json"
    text, is_base64 = handle_base64_response_body(body, headers, config["text_mime_types"])
    result: dict[str, Any] = {"statusCode": response["status"], "body": text}
    if headers:
        result["headers"] = headers
    if cookies:
        result["cookies"] = cookies
    result["isBase64Encoded"] = is_base64
    return result


def _shape_multi(response: WSGIResponse, config: LambdaConfig, exclude: bool) -> dict[str, Any]:
    """Payload 1.0 and REST: a name seen once in `headers`, a repeated one's values in
    `multiValueHeaders` only; REST leaves out the configured `exclude_headers`."""
    pairs = response["headers"]
    headers: dict[str, str] = {}
    for name, value in pairs:  # as in _shape_v2
        headers[_LOWER[name]] = value.strip()
    multi: dict[str, list[str]] = {}
    if len(headers) != len(pairs):  # repeated names
        headers = {}
        for name, value in pairs:
            name, value = name.lower(), value.strip()
            if name in multi:
                multi[name].append(value)
            elif name in headers:
                multi[name] = [headers.pop(name), value]
            else:
                headers[name] = value
    text, is_base64 = handle_base64_response_body(
        response["body"], headers, config["text_mime_types"]
    )
    if exclude and config["exclude_headers"]:
        headers = handle_exclude_headers(headers, config)
        multi = handle_exclude_headers(multi, config)
    return {
        "statusCode": response["status"],
        "headers": headers,
        "multiValueHeaders": multi,
        "body": text,
        "isBase64Encoded": is_base64,
    }


def status_description(status: int) -> str:
    """An ALB response's `statusDescription`, "200 OK": the status line the load balancer sends.
    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html
    """
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


# Mangum's order (first match wins). Function URL events are payload 2.0 events.
HANDLERS: tuple[type[_Event], ...] = (_ALBEvent, _HTTPAPIEvent, _RESTEvent)


def _is_http_proxy_event(event: Any) -> bool:
    if not isinstance(event, dict):
        return False
    request_context = event.get("requestContext")
    if not isinstance(request_context, dict):
        return False
    # WebSocket messages and authorizer inputs share the proxy events' keys but want a
    # different answer; serving them as HTTP requests would only hide the misconfiguration.
    # The last two: _is_vpc_lattice for a dict requestContext, inlined (every invoke).
    return (
        "eventType" not in request_context
        and event.get("type") not in ("REQUEST", "TOKEN")
        and "serviceArn" not in request_context
        and "serviceNetworkArn" not in request_context
    )


def _is_vpc_lattice(event: dict[str, Any]) -> bool:
    """A VPC Lattice request: payload 2.0 has a `version` and `requestContext` like an HTTP
    API event, but its context names the Lattice service instead of carrying `http`.
    https://docs.aws.amazon.com/vpc-lattice/latest/ug/lambda-functions.html
    """
    context = event.get("requestContext")
    if isinstance(context, dict):
        return "serviceArn" in context or "serviceNetworkArn" in context
    return "raw_path" in event and "is_base64_encoded" in event  # Lattice payload 1.0


class LambdaWSGIAdapter(Mangum):
    """`adapter(event, context)` → the front door's response dict, via Django's WSGI handler."""

    def __init__(self, app: WSGIApplication, **options: Any) -> None:
        # lifespan="off": Django has no lifespan protocol, and Mangum would run (and log
        # the failure of) a startup/shutdown cycle around every invocation (mangum#342).
        super().__init__(cast(ASGI, app), lifespan="off", **options)
        self.wsgi_app = app
        # Fail at init, not at the first request, on a bad API_GATEWAY_STAGE_PREFIX.
        self._stage_prefix()

    def _setup_event_loop(self) -> None:
        """No event loop: nothing here is asynchronous."""

    def infer(self, event: Any, context: LambdaContext) -> _Event:  # type: ignore[override]
        if _is_http_proxy_event(event):
            # Mangum's infer() rules (ALB, HTTPGateway, APIGateway: first match wins), read
            # once: each of them re-checks "requestContext", which _is_http_proxy_event has
            # (tests/lambda_runtime/test_adapter_cost.py holds them equal on every sample).
            if "elb" in event["requestContext"]:
                handler_cls: type[_Event] = _ALBEvent
            elif "version" in event:
                handler_cls = _HTTPAPIEvent
            elif "resource" in event:
                handler_cls = _RESTEvent
            else:
                raise UnsupportedEventError(_describe(event))
            return handler_cls(event, context, self.config)  # type: ignore[call-arg]
        raise UnsupportedEventError(_describe(event))

    def __call__(self, event: Any, context: LambdaContext) -> dict[str, Any]:
        log_context: dict[str, Any] = {}
        if lambda_id := getattr(context, "aws_request_id", None):
            log_context["requestId"] = lambda_id
        # gateway_request_id(event), its API Gateway case inlined (every invoke but ALB's).
        request_context_ = event.get("requestContext") if isinstance(event, dict) else None
        if isinstance(request_context_, dict) and isinstance(
            gateway_id := request_context_.get("requestId"), str
        ):
            gateway_id = str(gateway_id)
        else:
            gateway_id = gateway_request_id(event)
        if gateway_id:
            log_context["gatewayRequestId"] = gateway_id
        # No X-Ray trace id here: Lambda's _X_AMZN_TRACE_ID is read by the request's
        # middleware (apps.common.middleware, for the lines of the request) and by the JSON
        # formatter (any other line); reading it here too was a third read of os.environ
        # (~8k instructions, a KeyError inside os.environ.get where it is unset).
        token = request_context.set(log_context)
        try:
            # HTTP API and REST events, served without a handler object: Mangum's infer()
            # rules and _is_http_proxy_event, inlined (tests/lambda_runtime/test_adapter_cost.py
            # holds the choice equal to Mangum's on every sample); ALB events and anything
            # else take the general way.
            if (
                isinstance(request_context_, dict)
                and "elb" not in request_context_
                and "eventType" not in request_context_
                and "serviceArn" not in request_context_
                and "serviceNetworkArn" not in request_context_
                and event.get("type") not in ("REQUEST", "TOKEN")
            ):
                if (version := event.get("version")) == "2.0":
                    return self._serve_gateway(event, context, log_context, True, False)
                if version is not None or "version" in event:
                    return self._serve_gateway(event, context, log_context, False, False)
                if "resource" in event:
                    return self._serve_gateway(event, context, log_context, False, True)
            return self._serve(event, context, log_context)
        finally:
            request_context.reset(token)

    def _serve_gateway(
        self,
        event: dict[str, Any],
        context: LambdaContext,
        log_context: dict[str, Any],
        v2: bool,
        rest: bool,
    ) -> dict[str, Any]:
        """_serve for an HTTP API (v2: payload 2.0) or REST API event, without the handler
        object: the same environ, errors and shaping as _HTTPAPIEvent and _RESTEvent."""
        try:
            body = _decode_body(event) if event.get("body") else b""  # a call less for a GET
            environ = self._environ_for(event, (environ_v2 if v2 else environ_v1)(event, body))
        except InvalidBodyError:
            return error_result(event, 400, "Request body is not valid base64.", log_context)
        except (KeyError, TypeError, AttributeError, ValueError, MalformedEventError) as exc:
            front_door = "RESTEvent" if rest else "HTTPAPIEvent"
            logger.error("Malformed %s event: %r", front_door, exc)
            return error_result(event, 400, "Malformed request event", log_context)
        if v2:
            return self._respond(event, context, log_context, environ, _shape_v2, self.config)
        return self._respond(event, context, log_context, environ, _shape_multi, self.config, rest)

    def _serve(
        self, event: Any, context: LambdaContext, log_context: dict[str, Any]
    ) -> dict[str, Any]:
        try:
            handler = self.infer(event, context)
        except UnsupportedEventError as exc:
            logger.error("Unsupported event: %s", exc)
            return error_result(event, 400, "Unsupported event", log_context)
        try:
            environ = self._environ(handler, event)
        except InvalidBodyError:
            return error_result(event, 400, "Request body is not valid base64.", log_context)
        except (KeyError, TypeError, AttributeError, ValueError, MalformedEventError) as exc:
            logger.error("Malformed %s event: %r", type(handler).__name__[1:], exc)
            return error_result(event, 400, "Malformed request event", log_context)
        return self._respond(event, context, log_context, environ, handler)

    def _respond(
        self,
        event: dict[str, Any],
        context: LambdaContext,
        log_context: dict[str, Any],
        environ: dict[str, Any],
        shape: Callable[..., dict[str, Any]],
        *shape_args: Any,
    ) -> dict[str, Any]:
        """Run the application on `environ` and shape its answer (`shape(response,
        *shape_args)`) for the front door; a failure past the application is a JSON error."""
        environ["aws.event"] = event
        environ["aws.context"] = context
        environ["gatewayproject.request_id"] = log_context.get("gatewayRequestId")
        environ["gatewayproject.context"] = log_context
        try:
            return shape(call_application(self.wsgi_app, environ), *shape_args)
        except DATABASE_UNAVAILABLE as exc:
            # Django answers these itself; this is one raised after the response was made
            # (closing the request's connection), which would otherwise be a bare 500.
            logger.error("Database unavailable: %s", type(exc).__name__)
            headers = {"retry-after": str(RETRY_AFTER_UNAVAILABLE)}
            return error_result(event, 503, None, log_context, headers=headers)
        except Exception:
            logger.exception("The Lambda adapter failed")
            return error_result(event, 500, None, log_context)

    def _environ(self, handler: _Event, event: dict[str, Any]) -> dict[str, Any]:
        return self._environ_for(event, handler.environ())

    def _environ_for(self, event: dict[str, Any], environ: dict[str, Any]) -> dict[str, Any]:
        """The front door's environ completed: Host, SCRIPT_NAME and PATH_INFO, cookies."""
        request_context_ = event["requestContext"]
        if "HTTP_HOST" not in environ and (domain := request_context_.get("domainName")):
            environ["HTTP_HOST"] = str(domain)  # The host the client connected to.
        if (prefix := _PREFIX.get("prefix")) is None:
            prefix = self._stage_prefix()
        # The request path as the front door sent it, stage included if any.
        v2 = event.get("version") == "2.0"
        path = request_context_["http"]["path"] if v2 else event["path"]
        if not isinstance(path, str):
            raise TypeError("the event's path is not a string")
        path = path or "/"
        # An ASCII path without escapes is its own WSGI string, decoded by the front door
        # or not: skip the decoding (~3k instructions) for the usual request.
        if "%" in path or not path.isascii():
            path = wsgi_path(path, decoded=path_is_decoded(event))
        if prefix.mode == "off" or (
            # No stage to strip (StagePrefix.split's answer without calling it).
            prefix.mode == "auto" and request_context_.get("stage") in (None, "", "$default")
        ):
            environ["SCRIPT_NAME"], environ["PATH_INFO"] = "", path
        else:
            environ["SCRIPT_NAME"], environ["PATH_INFO"] = prefix.split(
                event, environ.get("HTTP_HOST", ""), path
            )
        if "multiValueHeaders" in event and "HTTP_COOKIE" in environ:
            environ["HTTP_COOKIE"] = _rest_cookies(event) or environ["HTTP_COOKIE"]
        return environ

    def _stage_prefix(self) -> StagePrefix:
        # Read once per process; a settings override (tests) clears it (_forget_prefix).
        if (prefix := _PREFIX.get("prefix")) is None:
            prefix = _PREFIX["prefix"] = stage_prefix(
                getattr(settings, "API_GATEWAY_STAGE_PREFIX", "auto"), settings.FORCE_SCRIPT_NAME
            )
        return prefix


_PREFIX: dict[str, StagePrefix] = {}


def _forget_prefix(*, setting: str, **kwargs: Any) -> None:
    if setting in ("API_GATEWAY_STAGE_PREFIX", "FORCE_SCRIPT_NAME"):
        _PREFIX.clear()


setting_changed.connect(_forget_prefix, dispatch_uid="lambda_runtime.adapter._forget_prefix")


def _rest_cookies(event: dict[str, Any]) -> str:
    """REST/ALB multi-value Cookie headers: Mangum joins them with ", ", which is not a
    cookie separator; join with "; " instead."""
    for name, values in (event.get("multiValueHeaders") or {}).items():
        if name.lower() == "cookie" and isinstance(values, list):
            return "; ".join(v for v in values if isinstance(v, str))
    return ""


def gateway_request_id(event: Any) -> str | None:
    """API Gateway's `requestContext.requestId`, or the ALB's X-Amzn-Trace-Id."""
    if not isinstance(event, dict):
        return None
    request_context_ = event.get("requestContext")
    if isinstance(request_context_, dict) and isinstance(request_context_.get("requestId"), str):
        return str(request_context_["requestId"])
    headers = event.get("headers") or {}
    multi = event.get("multiValueHeaders") or {}
    trace = headers.get("x-amzn-trace-id") if isinstance(headers, dict) else None
    if trace is None and isinstance(multi, dict):
        values = multi.get("x-amzn-trace-id")
        trace = values[0] if isinstance(values, list) and values else None
    return trace if isinstance(trace, str) else None


def error_result(
    event: Any,
    status: int,
    message: str | None,
    log_context: dict[str, Any],
    *,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An error in the project's one shape, valid for every front door (a v2, v1 or ALB
    response: ALB with multi-value headers on must answer with `multiValueHeaders`)."""
    headers = {"content-type": "application/json", **(headers or {})}
    if gateway_id := log_context.get("gatewayRequestId"):
        headers["x-request-id"] = gateway_id
    result: dict[str, Any] = {
        "statusCode": status,
        "body": error_json(message or message_for(status)).decode(),
        "isBase64Encoded": False,
    }
    if isinstance(event, dict) and "multiValueHeaders" in event:
        result["multiValueHeaders"] = {name: [value] for name, value in headers.items()}
    else:
        result["headers"] = headers
    if isinstance(event, dict) and "elb" in (event.get("requestContext") or {}):
        result["statusDescription"] = status_description(status)
    return result


def _describe(event: Any) -> str:
    """What the event looks like, without its values (they may hold secrets)."""
    if not isinstance(event, dict):
        return f"a JSON {type(event).__name__}, not an object"
    if _is_vpc_lattice(event):
        return "a VPC Lattice request; this entry point serves API Gateway, ALB and Function URLs"
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], dict):
        source = str(records[0].get("eventSource") or records[0].get("EventSource") or "?")
        return f"records from {source}; this entry point serves HTTP requests only"
    keys = ", ".join(sorted(map(str, event))[:12]) or "no keys"
    return f"an object with keys: {keys}"
