"""Logging: one JSON access line per request, with the request id."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client

from apps.common.logging import JSONFormatter, request_context

pytestmark = pytest.mark.django_db


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
