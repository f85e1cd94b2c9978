"""The REST API in front of the Lambda handler: what API Gateway does before and after it.

In order, as API Gateway evaluates a request: the stage and resource (403 Missing
Authentication Token when none matches), the body limit, the API key and its usage plan
(403, 429), the stage throttle, the request validator (400), then the integration: MOCK
answers from the template, Lambda proxy gets a payload 1.0 event. Every refusal goes
through the template's gateway responses.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import anyio.to_thread

from localgateway.events import LambdaContext, Request, event_size, join_headers, payload_size
from localgateway.integrations import InvocationError, InvocationTimeoutError
from localgateway.rest import cache, mock, usage_plans
from localgateway.rest.cache import StageCache
from localgateway.rest.events import KeyIdentity, build_rest_event, new_rest_request_id
from localgateway.rest.model import REST_MAX_PAYLOAD_BYTES, RestMethod, RestSpec
from localgateway.rest.responses import Refusal, render
from localgateway.rest.results import from_rest_result
from localgateway.rest.validation import validate
from localgateway.rest.vtl import Inputs
from localgateway.results import HttpResponse, MalformedResultError
from localgateway.routing import Match, select_route
from localgateway.server import (
    BodyTooLargeError,
    GatewayApp,
    Outcome,
    _read_body,
    _request_line_and_headers,
    logger,
)
from localgateway.spec import (
    HTTP_API_MAX_REQUEST_LINE_AND_HEADERS,
    LAMBDA_MAX_EVENT_BYTES,
    ApiSpec,
    Route,
)
from localgateway.throttle import TokenBucket

INTERNAL_ERROR = "Internal server error"  # REST's spelling (HTTP APIs: "Internal Server Error")


@dataclass
class RestOutcome(Outcome):
    rest_request_id: str = ""
    resource_path: str = "-"
    api_key: KeyIdentity | None = None
    refusal: Refusal | None = None


@dataclass
class _Call:
    """One request on its way through the REST API."""

    request: Request
    rest_request_id: str
    headers: dict[str, str]  # lower-case names, duplicates comma-joined
    query: dict[str, str]
    method: RestMethod | None = None
    path: str = ""
    path_parameters: dict[str, str] | None = None
    api_key: KeyIdentity | None = None
    latency_ms: int | None = None
    cache_hit: bool = False


def as_api_spec(spec: RestSpec) -> ApiSpec:
    """The HTTP API view of a REST spec that GatewayApp's shared parts read (stage, routes)."""
    routes = tuple(
        Route(key=m.key, integration=m.integration, handler=m.handler) for m in spec.methods
    )
    return ApiSpec(
        name=spec.name,
        stage=spec.stage,
        routes=routes,
        access_log_format=spec.access_log_format,
        stage_variables=spec.stage_variables,
    )


class RestGatewayApp(GatewayApp):
    """ASGI application: a REST API's stage, keys, validators, mocks and gateway responses."""

    def __init__(self, rest_spec: RestSpec, **kwargs: Any) -> None:
        super().__init__(as_api_spec(rest_spec), **kwargs)
        self.rest = rest_spec
        self.methods = {method.key: method for method in rest_spec.methods}
        self.cache = StageCache(self.clock)

    def _id_headers(self, request: Request, outcome: Outcome) -> list[tuple[str, str]]:
        rest_id = outcome.rest_request_id if isinstance(outcome, RestOutcome) else ""
        return [("x-amzn-RequestId", rest_id), ("x-amz-apigw-id", request.request_id)]

    async def _handle(self, request: Request, receive: Any) -> Outcome:
        call = _Call(
            request,
            new_rest_request_id(),
            join_headers(request.headers),
            dict(parse_qsl(request.raw_query, keep_blank_values=True)),
        )
        result = await self._through(call, receive)
        refusal = result if isinstance(result, Refusal) else None
        if isinstance(result, Refusal):
            result = self._render(call, result)
        method = call.method
        return RestOutcome(
            response=result,
            refusal=refusal,
            route_key=method.key if method else "-",
            rest_request_id=call.rest_request_id,
            resource_path=method.path if method else "-",
            api_key=call.api_key,
            integration_latency_ms=call.latency_ms,
        )

    async def _through(self, call: _Call, receive: Any) -> HttpResponse | Refusal:
        if _request_line_and_headers(call.request) > HTTP_API_MAX_REQUEST_LINE_AND_HEADERS:
            return Refusal("DEFAULT_4XX", "Request Header Fields Too Large", status=431)
        path = self._strip_stage(call.request.path)
        match = select_route(self.spec.routes, call.request.method, path) if path else None
        if path is None or match is None:
            # A REST API answers unknown stages, resources and methods alike.
            return Refusal("MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token")
        call.method, call.path = self.methods[match.route.key], path
        call.path_parameters = match.path_parameters
        try:
            call.request.body = await _read_body(receive, call.headers, REST_MAX_PAYLOAD_BYTES)
        except BodyTooLargeError:
            return Refusal("REQUEST_TOO_LARGE", "Request Too Long")
        refusal = await self._method_request(call, call.method, match)
        if refusal is not None:
            return refusal
        if call.method.integration == "mock" and call.method.mock is not None:
            return mock.respond(
                call.method.mock,
                Inputs(
                    headers=call.headers,
                    query=call.query,
                    path=match.path_parameters,
                    context=self._context(call),
                    stage_variables=self.rest.stage_variables,
                ),
            )
        return await self._cached(call, call.method, match)

    async def _cached(
        self, call: _Call, method: RestMethod, match: Match
    ) -> HttpResponse | Refusal:
        """The Lambda integration, through the stage cache when the method has one."""
        how = cache.policy(self.rest, method)
        if how is None:
            return await self._invoke_rest(call, match)
        key = cache.key_for(method, call.headers, call.query, match.path_parameters)
        refresh = how.invalidation_allowed and cache.wants_refresh(call.headers)
        if not refresh and (hit := self.cache.get(key)) is not None:
            call.cache_hit = True
            return hit
        result = await self._invoke_rest(call, match)
        if isinstance(result, HttpResponse):
            self.cache.put(key, result, how.ttl)
        return result

    def _admit(self, match: Match) -> bool:
        """The stage's throttle for the method (its MethodSettings over `/*` `*`)."""
        setting = self.rest.setting(self.methods[match.route.key])
        if setting.throttle_rate is None or setting.throttle_burst is None:
            return True
        bucket = self.buckets.setdefault(
            match.route.key, TokenBucket(setting.throttle_rate, setting.throttle_burst)
        )
        return bucket.take()

    async def _method_request(
        self, call: _Call, method: RestMethod, match: Match
    ) -> Refusal | None:
        """The method request's checks, in API Gateway's order: the API key and its usage
        plan, the stage throttle, the validator."""
        if method.api_key_required:
            checked = await anyio.to_thread.run_sync(
                usage_plans.check_key, call.headers.get("x-api-key")
            )
            if isinstance(checked, Refusal):
                call.api_key = checked.api_key
                return checked
            call.api_key = checked
        if not self._admit(match):
            return Refusal("THROTTLED", "Too Many Requests", reason="stage throttle")
        return validate(
            method,
            headers=call.headers,
            query=call.query,
            path_parameters=match.path_parameters,
            body=call.request.body,
        )

    async def _invoke_rest(self, call: _Call, match: Match) -> HttpResponse | Refusal:
        method = call.method
        assert method is not None  # noqa: S101 (set before the integration runs)
        event = build_rest_event(
            call.request,
            stage=self.rest.stage,
            path=call.path,
            resource=method.path,
            path_parameters=match.path_parameters,
            stage_variables=self.rest.stage_variables,
            binary_media_types=self.rest.binary_media_types,
            rest_request_id=call.rest_request_id,
            api_key=call.api_key,
        )
        if event_size(event) > LAMBDA_MAX_EVENT_BYTES:
            return Refusal("REQUEST_TOO_LARGE", "Request Too Long", reason="event over 6 MB")
        function_s = method.function_timeout_ms / 1000
        integration_s = self.timeout_override or method.integration_timeout_ms / 1000
        context = LambdaContext(function_name=method.handler, timeout_ms=int(function_s * 1000))
        started = time.perf_counter()
        try:
            result = await self.invoker.invoke(event, context, min(function_s, integration_s))
        except InvocationTimeoutError:
            if function_s < integration_s:
                # Lambda ends the function first: a function error, which REST answers 502.
                return Refusal("DEFAULT_5XX", INTERNAL_ERROR, status=502, reason="timed out")
            return Refusal("INTEGRATION_TIMEOUT", "Endpoint request timed out")
        except InvocationError as exc:
            logger.error("Lambda handler failed: %s", exc)
            return Refusal("DEFAULT_5XX", INTERNAL_ERROR, status=502, reason="function error")
        finally:
            call.latency_ms = int((time.perf_counter() - started) * 1000)
        if payload_size(result) > LAMBDA_MAX_EVENT_BYTES:
            return Refusal("DEFAULT_5XX", INTERNAL_ERROR, status=502, reason="response over 6 MB")
        try:
            response = from_rest_result(
                result,
                accept=call.headers.get("accept"),
                binary_media_types=self.rest.binary_media_types,
            )
        except MalformedResultError as exc:
            logger.error("Malformed Lambda proxy response: %s", exc)
            return Refusal("DEFAULT_5XX", INTERNAL_ERROR, status=502, reason=str(exc))
        return response

    def _context(self, call: _Call) -> dict[str, object]:
        """`$context.*` values for templates (gateway responses, mocks)."""
        method = call.method
        return {
            "requestId": call.rest_request_id,
            "extendedRequestId": call.request.request_id,
            "stage": self.rest.stage,
            "httpMethod": call.request.method,
            "resourcePath": method.path if method else "",
            "path": call.request.path,
            "apiId": "localrest0",
            "identity.sourceIp": call.request.source_ip,
            "identity.apiKey": call.api_key.value if call.api_key else "",
            "identity.apiKeyId": call.api_key.key_id if call.api_key else "",
        }

    def _render(self, call: _Call, refusal: Refusal) -> HttpResponse:
        return render(
            refusal,
            self.rest.gateway_responses,
            context=self._context(call),
            stage_variables=self.rest.stage_variables,
            request_headers=call.headers,
            query=call.query,
            path_parameters=call.path_parameters or {},
        )

    def _access_variables(
        self, request: Request, outcome: Outcome, started: float
    ) -> dict[str, object]:
        variables = super()._access_variables(request, outcome, started)
        if isinstance(outcome, RestOutcome):
            variables |= {
                "requestId": outcome.rest_request_id,
                "apiId": "localrest0",
                "resourcePath": outcome.resource_path,
                "identity.apiKeyId": outcome.api_key.key_id if outcome.api_key else None,
                "identity.usagePlanId": (
                    outcome.api_key.usage_plan_id if outcome.api_key else None
                ),
                "error.responseType": outcome.refusal.type if outcome.refusal else None,
                "error.validationErrorString": (
                    outcome.refusal.validation_error if outcome.refusal else None
                ),
            }
        return variables
