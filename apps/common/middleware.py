"""Project-wide middleware: request id and access log, and JSON for every API error."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.http import Http404, HttpRequest, HttpResponse

from apps.common import deadlines, tracing
from apps.common.errors import (
    DATABASE_UNAVAILABLE,
    error_json,
    json_error,
    message_for,
    service_unavailable,
)
from apps.common.logging import LineMetrics, log_line, request_context
from apps.common.metrics import (
    METRICS_EXTRA,
    PLANS,
    REQUESTS,
    QueryCounter,
    count_queries,
    line_metrics,
    plan_label,
    route_label,
)
from apps.common.views import HealthView

access_logger = logging.getLogger("gatewayproject.request")
error_logger = logging.getLogger("gatewayproject.errors")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._=/+-]{1,128}$")


def _request_id(request: HttpRequest) -> str:
    """The gateway's request id when a front door supplied one, else a new one.

    The Lambda adapter passes API Gateway's `requestContext.requestId` (or the ALB's trace
    id) under "gatewayproject.request_id"; that one wins over a client's X-Request-Id.
    """
    for supplied in (
        request.META.get("gatewayproject.request_id") or "",
        request.META.get("HTTP_X_REQUEST_ID", ""),
    ):
        if _REQUEST_ID.match(supplied):
            return str(supplied)
    return uuid.uuid4().hex


class RequestContextMiddleware:
    """Gives each request an id and a trace id, and writes one JSON access-log line when it is
    done; the line carries the request's CloudWatch metrics (apps.common.metrics)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        request_id = _request_id(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        # In Lambda the adapter's context adds the Lambda request id (as `requestId`, the
        # name Lambda's JSON log format uses), the gateway's id (`gatewayRequestId`) and
        # the invocation's trace id; elsewhere the trace id comes from the front door.
        context = {"requestId": request_id, **request.META.get("gatewayproject.context", {})}
        if "xrayTraceId" not in context and (trace := tracing.from_request(request.META)):
            context["xrayTraceId"] = trace
        token = request_context.set(context)
        queries = QueryCounter()
        try:
            with count_queries(queries):
                response = self.get_response(request)
            response["X-Request-Id"] = request_id
            duration_ms = round((time.perf_counter() - started) * 1000, 3)
            fields: dict[str, object] = {
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "durationMs": duration_ms,
            }
            if key_prefix := getattr(request, "api_key_prefix", None):
                fields["keyPrefix"] = key_prefix
            if token_user := getattr(request, "token_user_id", None):
                fields["tokenUserId"] = token_user
            if rejected := getattr(request, "api_key_rejected", None):
                fields["keyRejected"] = rejected
            fields[METRICS_EXTRA] = _request_metrics(
                request, response.status_code, duration_ms, queries
            )
            log_line(access_logger, logging.INFO, "request", fields)
            return response
        finally:
            request_context.reset(token)


# The metric groups of a request's line: every request's, and a metered one's.
_UNMETERED = (REQUESTS,)
_METERED = (REQUESTS, PLANS)


def _request_metrics(
    request: HttpRequest, status: int, duration_ms: float, queries: QueryCounter
) -> LineMetrics:
    """The request's metrics (apps.common.metrics.REQUESTS, and PLANS if metered)."""
    metrics: dict[str, object] = {
        "Route": route_label(
            request.method, request.path_info, getattr(request, "resolver_match", None)
        ),
        "Requests": 1,
        "Latency": duration_ms,
        "Errors4xx": int(400 <= status < 500),
        "Errors5xx": int(status >= 500),
        "DBQueries": queries.count,
        "DBTime": round(queries.seconds * 1000, 3),
    }
    # Set by the usage-plan throttle (apps.api_keys.throttling) for every metered request.
    metered = getattr(request, "usage_metered", None)
    if metered is None:
        return line_metrics(_UNMETERED, metrics)
    reason = getattr(getattr(request, "api_key_admission", None), "reason", None)
    metrics["Plan"] = plan_label(metered.plan)
    metrics["PlanRequests"] = 1
    metrics["Throttled"] = int(reason == "throttle")
    metrics["QuotaRefused"] = int(reason == "quota")
    return line_metrics(_METERED, metrics)


class HealthCheckMiddleware:
    """Answers `/health` before the host is validated, so load balancers' checks pass.

    An ALB's health check of a Lambda target sends no Host header (AWS's sample event, and
    Mangum then reports the host as "mangum:80"), the API Gateway console's test invoke sends
    no headers at all, and an ALB checks a container by its private IP. The health answer
    builds no URL from the host, so it needs none; every other path still goes through
    ALLOWED_HOSTS (SecurityMiddleware and CommonMiddleware, which come after this one).
    """

    paths = ("/health", "/health/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.view = HealthView.as_view()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info not in self.paths:
            return self.get_response(request)
        response = self.view(request)
        # A view's response is rendered by Django's handler; one returned by middleware is not.
        response.render()
        return response


class DatabaseDeadlineMiddleware:
    """Bounds each request's database work by DATABASE_TIMEOUTS["REQUEST"] seconds."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # deadlines.deadline() without its context manager: this runs on every request.
        seconds = settings.DATABASE_TIMEOUTS["REQUEST"]
        if seconds <= 0:
            return self.get_response(request)
        watchdog = deadlines.watchdog  # looked up here, so a test can swap it
        token = watchdog.arm(seconds)
        try:
            return self.get_response(request)
        finally:
            watchdog.disarm(token)


class JSONErrorMiddleware:
    """Every error outside the admin leaves as {"message": ...}, with DEBUG on or off.

    Django answers some errors itself with HTML (the DEBUG 404 page, CSRF failures,
    405 from plain views); this rewrites those, and turns unhandled exceptions into a
    logged 500.
    """

    html_prefixes = ("/admin/",)

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code >= 400 and self._wants_json(request) and _is_html(response):
            message = message_for(response.status_code)
            response.content = error_json(message)
            response["Content-Type"] = "application/json"
            if response.has_header("Content-Length"):  # set by CommonMiddleware for the HTML
                response["Content-Length"] = str(len(response.content))
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not self._wants_json(request):
            return None
        if isinstance(exception, Http404):
            return json_error(404)
        if isinstance(exception, PermissionDenied):
            return json_error(403)
        if isinstance(exception, RequestDataTooBig):
            return json_error(413)
        if isinstance(exception, (BadRequest, SuspiciousOperation)):
            return json_error(400)
        if isinstance(exception, DATABASE_UNAVAILABLE):
            error_logger.error(
                "Database unavailable: %s",
                type(exception).__name__,
                extra={"method": request.method, "path": request.path},
            )
            return service_unavailable()
        error_logger.exception(
            "Unhandled exception", extra={"method": request.method, "path": request.path}
        )
        response = json_error(500)
        # Already logged with its traceback; stop django.request logging it again.
        response._has_been_logged = True  # type: ignore[attr-defined]
        return response

    def _wants_json(self, request: HttpRequest) -> bool:
        return not request.path_info.startswith(self.html_prefixes)


def _is_html(response: HttpResponse) -> bool:
    if getattr(response, "streaming", False) or hasattr(response, "accepted_renderer"):
        return False  # DRF responses are already rendered in the negotiated format.
    content_type = response.get("Content-Type", "")
    return not content_type.startswith("application/json")
