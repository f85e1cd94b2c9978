"""X-Ray trace ids: read from Lambda's `_X_AMZN_TRACE_ID` or a front door's header, no SDK.

Lambda sets `_X_AMZN_TRACE_ID` for each invocation (`Root=1-...;Parent=...;Sampled=1`);
an ALB, and API Gateway towards a container, send the same in `X-Amzn-Trace-Id`. Only the
Root (`1-<8 hex>-<24 hex>`, the id the X-Ray console searches for) is kept and logged as
`xrayTraceId`. A header comes from outside, so only that exact shape is accepted: a client
can at most choose the label its own request is logged under, never inject text.

Spans: with the ADOT layer (infra/template.yaml's TracingLayerArn) OpenTelemetry is set
up before the handler runs; `span()` then opens a span, and is a no-op otherwise, without
importing OpenTelemetry (docs/observability.md says why, with the measurements).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from apps.common.logging import request_context

LAMBDA_VARIABLE = "_X_AMZN_TRACE_ID"
META_HEADER = "HTTP_X_AMZN_TRACE_ID"
_ROOT = re.compile(r"(?:^|;)\s*Root=(1-[0-9a-f]{8}-[0-9a-f]{24})(?:;|$)")
TRACE_ID = re.compile(r"1-[0-9a-f]{8}-[0-9a-f]{24}")


def root_of(header: str | None) -> str | None:
    """The Root trace id in an X-Ray tracing header, or None if there is no valid one."""
    if not header or len(header) > 512:
        return None
    match = _ROOT.search(header)
    return match.group(1) if match else None


def from_environment() -> str | None:
    """The current Lambda invocation's trace id (None outside Lambda)."""
    return root_of(os.environ.get(LAMBDA_VARIABLE))


def from_request(meta: Mapping[str, Any]) -> str | None:
    """The trace id of an HTTP request: the Lambda invocation's, else the front door's header."""
    return from_environment() or root_of(meta.get(META_HEADER))


def current_trace_id() -> str:
    """The trace id the current log context carries ("" when there is none)."""
    context = request_context.get()
    if context and (trace := context.get("xrayTraceId")):
        return str(trace)
    return from_environment() or ""


def span(name: str, **attributes: str | int | float) -> AbstractContextManager[Any]:
    """An OpenTelemetry span around a block when OpenTelemetry is already set up; else nothing.

    The ADOT layer's wrapper imports and configures OpenTelemetry before the handler, so
    the check is whether it is loaded: this module never imports it (its import is what a
    cold start would pay).
    """
    trace_api = sys.modules.get("opentelemetry.trace")
    if trace_api is None:
        return nullcontext()
    return _otel_span(trace_api, name, attributes)


@contextmanager
def _otel_span(trace_api: Any, name: str, attributes: dict[str, Any]) -> Iterator[Any]:
    tracer = trace_api.get_tracer("gatewayproject")
    with tracer.start_as_current_span(name, attributes=attributes) as current:
        yield current
