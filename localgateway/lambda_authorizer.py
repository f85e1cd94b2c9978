"""The Lambda authorizer, emulated: identity sources, the REQUEST event, simple responses
and API Gateway's result cache.

Every identity source must be present or the client gets 401 without the function being
called; the answer is cached per identity-source values for the authorizer's TTL (0: no
cache), allowed and denied alike, for every route that uses the authorizer.
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from localgateway.authorizers import LambdaAuthorizer


@dataclass(frozen=True)
class Decision:
    """Allowed (with the context for requestContext.authorizer.lambda) or refused."""

    status: int
    message: str = ""
    context: dict[str, Any] | None = None
    reason: str = ""

    @property
    def allowed(self) -> bool:
        return self.status == 200


UNAUTHORIZED = Decision(401, "Unauthorized", reason="an identity source is missing")
FORBIDDEN = Decision(403, "Forbidden")


class ResultCache:
    """Answers per (authorizer, identity values) until their TTL runs out."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._entries: dict[tuple[str, tuple[str, ...]], tuple[float, Decision]] = {}
        self._lock = threading.Lock()

    def get(self, authorizer: str, values: tuple[str, ...]) -> Decision | None:
        with self._lock:
            entry = self._entries.get((authorizer, values))
            if entry is None:
                return None
            if self.clock() >= entry[0]:
                del self._entries[(authorizer, values)]
                return None
            return entry[1]

    def put(self, authorizer: str, values: tuple[str, ...], ttl: int, decision: Decision) -> None:
        if ttl <= 0:
            return
        with self._lock:
            self._entries[(authorizer, values)] = (self.clock() + ttl, decision)


def identity_values(authorizer: LambdaAuthorizer, event: dict[str, Any]) -> tuple[str, ...] | None:
    """The identity sources' values from the request event; None if any is missing/empty."""
    values = []
    for source in authorizer.identity_sources:
        value: Any = None
        if source.startswith("$request.header."):
            value = (event.get("headers") or {}).get(source.split(".", 2)[2].lower())
        elif source.startswith("$request.querystring."):
            value = (event.get("queryStringParameters") or {}).get(source.split(".", 2)[2])
        elif source.startswith("$stageVariables."):
            value = (event.get("stageVariables") or {}).get(source.split(".", 1)[1])
        elif source.startswith("$context."):
            value = event["requestContext"].get(source.split(".", 1)[1])
        if not isinstance(value, str) or not value:
            return None
        values.append(value)
    return tuple(values)


def authorizer_event(event: dict[str, Any], values: tuple[str, ...]) -> dict[str, Any]:
    """The payload 2.0 REQUEST authorizer input for a request's proxy event."""
    context = event["requestContext"]
    method, path = context["http"]["method"], context["http"]["path"]
    route_arn = (
        f"arn:aws:execute-api:local:{context['accountId']}:{context['apiId']}/"
        f"{context['stage']}/{method}{path}"
    )
    authorizer_input: dict[str, Any] = {
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": route_arn,
        "identitySource": list(values),
        "routeKey": event["routeKey"],
        "rawPath": event["rawPath"],
        "rawQueryString": event["rawQueryString"],
    }
    for name in ("cookies", "headers", "queryStringParameters"):
        if name in event:
            authorizer_input[name] = event[name]
    authorizer_input["requestContext"] = context
    for name in ("pathParameters", "stageVariables"):
        if name in event:
            authorizer_input[name] = event[name]
    return authorizer_input


def decision_from(result: Any, authorizer: LambdaAuthorizer) -> Decision:
    """A simple response (`isAuthorized`, `context`), or an IAM policy's Allow/Deny."""
    if not isinstance(result, dict):
        return Decision(500, "Internal Server Error", reason="authorizer returned no object")
    context = result.get("context")
    if context is not None and not isinstance(context, dict):
        return Decision(500, "Internal Server Error", reason="authorizer context not an object")
    if authorizer.simple_responses:
        allowed = result.get("isAuthorized")
        if not isinstance(allowed, bool):
            return Decision(500, "Internal Server Error", reason="isAuthorized is not a boolean")
    else:
        statements = (result.get("policyDocument") or {}).get("Statement") or []
        effects = {s.get("Effect") for s in statements if isinstance(s, dict)}
        allowed = "Allow" in effects and "Deny" not in effects
    return Decision(200, context=context or {}) if allowed else FORBIDDEN
