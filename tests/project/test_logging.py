"""Logging: one JSON access line per request, with the request id."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from apps.common.logging import (
    JSONFormatter,
    LineMetrics,
    iso_timestamp,
    log_line,
    request_context,
)
from apps.common.metrics import METRICS_EXTRA, REQUESTS, line_metrics

pytestmark = pytest.mark.django_db


@contextmanager
def records_of(logger: logging.Logger) -> Iterator[list[logging.LogRecord]]:
    """The records `logger` handles inside the block."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)


def test_one_access_line_per_request(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="gatewayproject"):
        response = Client().get("/health", HTTP_X_REQUEST_ID="abc-123")

    lines = [r for r in caplog.records if r.name == "gatewayproject.request"]
    assert len(lines) == 1
    record = lines[0]
    assert (record.method, record.path, record.status) == ("GET", "/health", 200)
    assert record.durationMs >= 0
    assert response["X-Request-Id"] == "abc-123"


def test_an_unsafe_request_id_is_replaced(caplog: pytest.LogCaptureFixture) -> None:
    response = Client().get("/health", HTTP_X_REQUEST_ID="bad id\nwith newline")

    assert response["X-Request-Id"] != "bad id\nwith newline"
    assert len(response["X-Request-Id"]) == 32


def test_json_formatter_includes_context_extras_and_traceback() -> None:
    token = request_context.set({"requestId": "r-1"})
    try:
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            record = logging.getLogger("x").makeRecord(
                "x",
                logging.ERROR,
                __file__,
                1,
                "failed %s",
                ("here",),
                exc_info=True,
                extra={"path": "/v1/pets"},
            )
            import sys

            record.exc_info = sys.exc_info()
        line = JSONFormatter().format(record)
    finally:
        request_context.reset(token)

    doc = json.loads(line)
    assert doc["level"] == "ERROR"
    assert doc["message"] == "failed here"
    assert doc["requestId"] == "r-1"
    assert doc["path"] == "/v1/pets"
    assert doc["errorType"] == "RuntimeError"
    assert any("boom" in line for line in doc["stackTrace"])
    assert "\n" not in line


@pytest.mark.parametrize(
    "created",
    [
        1796508036.0,
        1796508036.420,
        1796508036.0019996,  # rounds up across a millisecond
        1796508036.9999996,  # rounds up across a second
        1796508036.9995,
        1796543999.99999995,  # across a day, as a float holds it
        0.0005,
    ],
)
def test_iso_timestamp_writes_what_datetime_writes(created: float) -> None:
    expected = datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")

    assert iso_timestamp(created) == expected
    assert iso_timestamp(created) == expected  # and again, from the cached seconds


@given(st.floats(min_value=0, max_value=4_102_444_800, allow_nan=False))
def test_iso_timestamp_matches_datetime_for_any_time(created: float) -> None:
    assert iso_timestamp(created) == datetime.fromtimestamp(created, UTC).isoformat(
        timespec="milliseconds"
    )


def test_line_metrics_are_one_record_attribute_and_root_members_of_the_line() -> None:
    logger = logging.getLogger("gatewayproject.tests.metrics")
    members = {"Route": "GET /v1/pets/{pk}", "Requests": 1, "Latency": 1.5}
    with records_of(logger) as records:
        logger.warning(
            "request",
            extra={"status": 200, METRICS_EXTRA: line_metrics((REQUESTS,), dict(members))},
        )
        logger.warning("off", extra={METRICS_EXTRA: LineMetrics(dict(members), None)})

    on, off = records
    assert not hasattr(on, "Route")  # one attribute for the lot, not one per member
    line = JSONFormatter().format(on)
    doc = json.loads(line)
    assert list(doc)[-5:] == ["status", "Route", "Requests", "Latency", "_aws"]
    assert {key: doc[key] for key in members} == members
    assert doc["_aws"]["CloudWatchMetrics"][0]["Metrics"][1] == {
        "Name": "Latency",
        "Unit": "Milliseconds",
    }
    doc_off = json.loads(JSONFormatter().format(off))
    assert "_aws" not in doc_off
    assert {key: doc_off[key] for key in members} == members
    assert "_metrics" not in doc
    assert "_metrics" not in doc_off


def test_log_line_writes_what_logger_log_writes_and_respects_the_level() -> None:
    logger = logging.getLogger("gatewayproject.tests.log_line")
    logger.setLevel(logging.INFO)
    with records_of(logger) as records:
        log_line(logger, logging.INFO, "request", {"status": 200, "path": "/v1/pets"})
        logger.info("request", extra={"status": 200, "path": "/v1/pets"})
        log_line(logger, logging.DEBUG, "not written", {"status": 500})
    logger.setLevel(logging.NOTSET)

    fast, usual = records  # the DEBUG line was below the logger's level
    lines = [json.loads(JSONFormatter().format(record)) for record in (fast, usual)]
    for line in lines:
        del line["timestamp"]
    assert lines[0] == lines[1]
    assert (fast.status, fast.path) == (200, "/v1/pets")
