"""CloudWatch metrics as Embedded Metric Format (EMF) members of JSON log lines: no API calls.

CloudWatch Logs extracts a metric from any log line whose root holds an `_aws` object
naming it (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/
CloudWatch_Embedded_Metric_Format_Specification.html); on Lambda printing the line is
enough. The access log line of each request is such a line (one line, no extra bytes for
a second), and so is the line each photo processing attempt writes.

Dimensions are chosen so the number of metrics stays bounded (docs/observability.md
counts them): the route template ("GET /v1/pets/{pk}", never the raw path), the usage
plan (an operator-made name), the processing outcome (an enum) - never a key, user,
request or photo id, which go in as plain members for Logs Insights instead.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from functools import lru_cache
from typing import Any, Final, NamedTuple

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created

from apps.common.conf import app_settings
from apps.common.logging import LineMetrics, log_line

logger = logging.getLogger("gatewayproject.metrics")


class ObservabilitySettings(NamedTuple):
    """settings.OBSERVABILITY, laid over these defaults (docs/observability.md)."""

    # Emit EMF members (off: the log lines stay, without `_aws`).
    METRICS: bool = True
    # The CloudWatch namespace of every metric (the template passes the stack name).
    NAMESPACE: str = "PetsApi"
    # Seconds a deep health check's answer is reused, so no caller can make the process
    # hit the database, the bucket and Redis more often than this.
    DEEP_HEALTH_CACHE: float = 10.0


OBSERVABILITY_DEFAULTS = ObservabilitySettings()


def observability_settings() -> ObservabilitySettings:
    return app_settings("OBSERVABILITY", OBSERVABILITY_DEFAULTS)


# The units the EMF schema allows.
UNITS = frozenset(
    [
        "Seconds",
        "Microseconds",
        "Milliseconds",
        "Bytes",
        "Kilobytes",
        "Megabytes",
        "Gigabytes",
        "Terabytes",
        "Bits",
        "Kilobits",
        "Megabits",
        "Gigabits",
        "Terabits",
        "Percent",
        "Count",
        "Bytes/Second",
        "Kilobytes/Second",
        "Megabytes/Second",
        "Gigabytes/Second",
        "Terabytes/Second",
        "Bits/Second",
        "Kilobits/Second",
        "Megabits/Second",
        "Gigabits/Second",
        "Terabits/Second",
        "Count/Second",
        "None",
    ]
)


class MetricGroup:
    """One EMF directive: metrics (name -> unit) published under each dimension set."""

    # Equal and hashed by identity: groups are module constants, the directive cache's key (a
    # field-wise hash of the nested tuples on every line cost more than the rest of the
    # lookup). A plain class, not a dataclass, which compiles its methods at import.
    __slots__ = ("dimension_sets", "metrics")

    def __init__(
        self,
        metrics: tuple[tuple[str, str], ...],
        dimension_sets: tuple[tuple[str, ...], ...],
    ) -> None:
        self.metrics: Final = metrics
        self.dimension_sets: Final = dimension_sets

    def directive(self, namespace: str) -> dict[str, Any]:
        return _directive(namespace, self.metrics, self.dimension_sets)


@lru_cache(maxsize=64)
def _directive(
    namespace: str,
    metrics: tuple[tuple[str, str], ...],
    dimension_sets: tuple[tuple[str, ...], ...],
) -> dict[str, Any]:
    # Built once per namespace: the same (read-only) dict goes into every line.
    return {
        "Namespace": namespace,
        "Dimensions": [list(names) for names in dimension_sets],
        "Metrics": [{"Name": name, "Unit": unit} for name, unit in metrics],
    }


# Every request (the access log line): per route and in total.
REQUESTS = MetricGroup(
    metrics=(
        ("Requests", "Count"),
        ("Latency", "Milliseconds"),
        ("Errors4xx", "Count"),
        ("Errors5xx", "Count"),
        ("DBQueries", "Count"),
        ("DBTime", "Milliseconds"),
    ),
    dimension_sets=((), ("Route",)),
)
# Every metered request (an API key or a token user): per usage plan and in total.
PLANS = MetricGroup(
    metrics=(("PlanRequests", "Count"), ("Throttled", "Count"), ("QuotaRefused", "Count")),
    dimension_sets=((), ("Plan",)),
)
# Every photo processing attempt: per outcome and in total.
PHOTOS = MetricGroup(
    metrics=(
        ("PhotosProcessed", "Count"),
        ("PhotoProcessingTime", "Milliseconds"),
        ("PhotoBytes", "Bytes"),
    ),
    dimension_sets=((), ("Outcome",)),
)


def emf_members(
    groups: Iterable[MetricGroup], *, now_ms: int | None = None
) -> dict[str, Any] | None:
    """The `_aws` member naming `groups` (None when metrics are off): add it, the metric
    values and the dimension values to the line's root."""
    config = observability_settings()
    if not config.METRICS:
        return None
    return {
        "Timestamp": int(time.time() * 1000) if now_ms is None else now_ms,
        "CloudWatchMetrics": _directives(config.NAMESPACE, tuple(groups)),
    }


class EncodedDirectives(list[dict[str, Any]]):
    """The `CloudWatchMetrics` of a set of groups, with its JSON text made once: the
    JSON log formatter writes `json` instead of encoding the same ~600 bytes per line."""

    json: str


@lru_cache(maxsize=64)
def _directives(namespace: str, groups: tuple[MetricGroup, ...]) -> EncodedDirectives:
    directives = EncodedDirectives(group.directive(namespace) for group in groups)
    directives.json = json.dumps(directives, ensure_ascii=False)
    return directives


# The `extra=` key a log call passes its LineMetrics under (underscored: formatters that do
# not know it leave it out of their output).
METRICS_EXTRA = "_metrics"


def line_metrics(groups: Iterable[MetricGroup], members: dict[str, Any]) -> LineMetrics:
    """`members` (dimension and metric values) with the `_aws` member naming `groups`."""
    return LineMetrics(members, emf_members(groups))


def emit(
    message: str,
    group: MetricGroup,
    values: Mapping[str, float],
    dimensions: Mapping[str, str],
    **properties: Any,
) -> None:
    """Write one log line with `group`'s metrics (`values`), its dimensions and properties."""
    found = line_metrics((group,), {**dimensions, **values})
    log_line(logger, logging.INFO, message, {**properties, METRICS_EXTRA: found})


# --- Dimension values: bounded, and valid (1-1024 ASCII characters, none a control one) ----

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")
_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")
_PRINTABLE_ASCII = re.compile(r"^[\x20-\x7e]{1,255}$")


def method_label(method: str | None) -> str:
    """The HTTP method, or OTHER for anything else a client may send (bounded)."""
    return method if method in METHODS else "OTHER"


@lru_cache(maxsize=512)
def route_template(route: str) -> str:
    """A URL pattern as a template: `v1/^pets/(?P<pk>[^/.]+)/?$` -> `/v1/pets/{pk}`.

    Cached per pattern: there are as many as the URLconf has, whatever the paths.
    """
    text = _GROUP.sub(lambda m: "{" + m.group(1) + "}", route)
    text = _CONVERTER.sub(lambda m: "{" + m.group(1) + "}", text)
    for token in ("^", "$", "\\", "/?"):
        text = text.replace(token, "")
    text = "/" + text.strip("/")
    return text if _PRINTABLE_ASCII.match(text) else "/unrecognised"


def route_label(method: str | None, path: str, resolver_match: Any) -> str:
    """`METHOD /template` for a resolved request; the admin and unresolved paths grouped.

    The admin's many pages are one route (staff traffic); a path nothing resolved (a 404,
    a redirect, a refusal before routing) is `METHOD unmatched`, whatever the path was.
    """
    verb = method_label(method)
    route = getattr(resolver_match, "route", None)
    if path in ("/health", "/health/"):
        return f"{verb} /health"
    if not route:
        return f"{verb} unmatched"
    if route.startswith("admin/"):
        return f"{verb} /admin"
    return f"{verb} {route_template(route)}"


def plan_label(plan: Any) -> str:
    """A usage plan's name as a dimension value, or `plan-<id>` if it cannot be one."""
    name = str(getattr(plan, "name", "") or "")
    return name if _PRINTABLE_ASCII.match(name) else f"plan-{getattr(plan, 'pk', '?')}"


# --- Database work per request ---------------------------------------------------------


class QueryCounter:
    """`connection.execute_wrapper` that counts the statements and the time they took."""

    __slots__ = ("count", "seconds")

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0

    def __call__(
        self, execute: Any, sql: str, params: Any, many: bool, context: dict[str, Any]
    ) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.count += 1


# This thread's default database connection (its DatabaseWrapper), as `connection_created`
# last announced it. `django.db.connection` and `connections[alias]` find it through an
# asgiref Local on every access (about 10,000 instructions each, a fifth of what the
# metrics add to a keyed read); a metric needs no more than the wrapper queries go through.
_thread = threading.local()


def _remember_connection(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    # Only the thread's own wrapper: a backend may connect a throwaway copy under the same
    # alias (PostgreSQL's _nodb_cursor fallback), which would then never run a query again.
    if connection.alias == DEFAULT_DB_ALIAS and connections[DEFAULT_DB_ALIAS] is connection:
        _thread.connection = connection


connection_created.connect(_remember_connection, dispatch_uid="apps.common.metrics")


def count_queries(counter: QueryCounter) -> AbstractContextManager[None]:
    """`connection.execute_wrapper(counter)` on this thread's default connection.

    Before the thread's first connection (or if none was announced) it is looked up as
    usual; the lookup it saves afterwards is the one part that cost more than the counting.
    """
    db: BaseDatabaseWrapper | None = getattr(_thread, "connection", None)
    if db is None:
        db = connections[DEFAULT_DB_ALIAS]
    return db.execute_wrapper(counter)
