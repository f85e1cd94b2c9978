"""Trace ids: the Root of an X-Ray header, and the log line fallback outside a request."""

from __future__ import annotations

import json
import logging

import pytest

from apps.common import tracing
from apps.common.logging import JSONFormatter, request_context


@pytest.mark.parametrize(
    ("header", "root"),
    [
        ("Root=1-5759e988-bd862e3fe1be46a994272793", "1-5759e988-bd862e3fe1be46a994272793"),
        (
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
            "1-5759e988-bd862e3fe1be46a994272793",
        ),
        (
            "Self=1-67891234-12456789abcdef012345678;Root=1-67891233-abcdef012345678912345678",
            "1-67891233-abcdef012345678912345678",
        ),
        (
            "Root=1-67891233-abcdef012345678912345678;Sampled=0;Lineage=a87bd80c:1|68fd508a:5",
            "1-67891233-abcdef012345678912345678",
        ),
        ("Root=1-67891233-abcdef01234567891234567", None),
        ("Root=1-6789123-abcdef012345678912345678", None),
        ("Root=1-67891233-ABCDEF012345678912345678", None),
        ("Root=1-67891233-abcdef012345678912345678x", None),
        ("XRoot=1-67891233-abcdef012345678912345678", None),
        ("", None),
        (None, None),
    ],
)
def test_root_of(header: str | None, root: str | None) -> None:
    assert tracing.root_of(header) == root


def _line(message: str) -> dict[str, object]:
    record = logging.getLogger("x").makeRecord("x", logging.INFO, __file__, 1, message, (), None)
    return json.loads(JSONFormatter().format(record))  # type: ignore[no-any-return]


def test_a_line_outside_any_request_takes_lambdas_trace_id(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-67891233-abcdef012345678912345678;Sampled=1")

    assert _line("init")["xrayTraceId"] == "1-67891233-abcdef012345678912345678"
    token = request_context.set({"uploadTraceId": "1-11111111-222222222222222222222222"})
    try:
        line = _line("processing")
    finally:
        request_context.reset(token)
    assert line["xrayTraceId"] == "1-67891233-abcdef012345678912345678"
    assert line["uploadTraceId"] == "1-11111111-222222222222222222222222"


def test_no_trace_id_outside_lambda_and_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("_X_AMZN_TRACE_ID", raising=False)

    assert "xrayTraceId" not in _line("hello")
    assert tracing.current_trace_id() == ""


def test_span_is_a_no_op_without_opentelemetry() -> None:
    import sys

    assert "opentelemetry.trace" not in sys.modules
    with tracing.span("photos.render", bytes=3) as span:
        assert span is None
