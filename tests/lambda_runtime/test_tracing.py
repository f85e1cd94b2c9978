"""The invocation's X-Ray trace id is on every JSON line: Lambda's variable wins over headers."""

from __future__ import annotations

from typing import Any

import pytest

from tests.lambda_runtime import events
from tests.lambda_runtime.conftest import Invoke

LAMBDA_TRACE = "Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled=1"
HEADER_TRACE = "Root=1-5e9f0c65-1de4d666d4dd26aced652b6c"


def test_every_line_of_an_invocation_carries_lambdas_trace_id(
    invoke: Invoke, json_log: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("_X_AMZN_TRACE_ID", LAMBDA_TRACE)
    event = events.http_api(path="/v1/echo", headers={"x-amzn-trace-id": HEADER_TRACE})

    invoke(event)
    invoke({"not": "an http event"})  # logged as an error by the adapter

    assert len(json_log) >= 2
    assert {line.get("xrayTraceId") for line in json_log} == {"1-67891233-abcdef012345678912345678"}


def test_outside_lambda_the_front_doors_header_is_used(
    invoke: Invoke, json_log: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("_X_AMZN_TRACE_ID", raising=False)
    invoke(events.http_api(path="/v1/echo", headers={"x-amzn-trace-id": HEADER_TRACE}))

    (line,) = [line for line in json_log if line["logger"] == "gatewayproject.request"]
    assert line["xrayTraceId"] == "1-5e9f0c65-1de4d666d4dd26aced652b6c"


@pytest.mark.parametrize(
    "header",
    [
        'Root=1-5e9f0c65-1de4d666d4dd26aced652b6c\n{"forged": 1}',
        "Root=1-5E9F0C65-1DE4D666D4DD26ACED652B6C",
        "Root=2-5e9f0c65-1de4d666d4dd26aced652b6c",
        "Root=1-5e9f0c65-1de4d666d4dd26aced652b6",
        "Parent=53995c3f42cd8ad8",
        "x" * 2000,
    ],
)
def test_a_malformed_trace_header_is_not_logged(
    invoke: Invoke,
    json_log: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    header: str,
) -> None:
    monkeypatch.delenv("_X_AMZN_TRACE_ID", raising=False)
    invoke(events.http_api(path="/v1/echo", headers={"x-amzn-trace-id": header}))

    (line,) = [line for line in json_log if line["logger"] == "gatewayproject.request"]
    assert "xrayTraceId" not in line
