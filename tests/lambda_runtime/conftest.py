"""Fixtures for the Lambda handler tests: a Lambda context, and `invoke` (the real handler)."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.core import signals
from django.db import close_old_connections

from apps.common.logging import JSONFormatter
from lambda_runtime.handler import handler

Invoke = Callable[[Any], dict[str, Any]]

# Hosts in the AWS samples: default execute-api endpoints, ALBs, Function URLs and a
# custom domain used by the stage-prefix tests.
EVENT_HOSTS = [".amazonaws.com", ".on.aws", "api.example.com"]


@dataclass
class LambdaContext:
    """The attributes of Lambda's context object that the handler reads."""

    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    function_name: str = "gatewayproject-http"


@pytest.fixture(autouse=True)
def _lambda_settings(settings: Any) -> None:
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, *EVENT_HOSTS]
    settings.ROOT_URLCONF = "tests.lambda_runtime.urls_echo"
    settings.API_GATEWAY_STAGE_PREFIX = "auto"
    settings.FORCE_SCRIPT_NAME = None


@pytest.fixture
def lambda_context() -> LambdaContext:
    return LambdaContext()


@pytest.fixture
def invoke(db: None, lambda_context: LambdaContext) -> Iterator[Invoke]:
    """Call lambda_runtime.handler.handler as Lambda would.

    Like Django's test client, this keeps Django from closing the test's database
    connection at request boundaries (the test runs inside a transaction); the
    persistent-connection behaviour itself is tested in a fresh interpreter.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield lambda event: handler(json.loads(json.dumps(event)), lambda_context)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


class _JSONLines(logging.Handler):
    """Formats each record when it is emitted, while the request's log context is set."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JSONFormatter())
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def json_log() -> Iterator[list[dict[str, Any]]]:
    """The JSON log lines written during the test, from every logger, as dicts."""
    capture = _JSONLines()
    loggers = [logging.getLogger(name) for name in ("", "gatewayproject", "django.request")]
    for logger in loggers:
        logger.addHandler(capture)
    try:
        yield capture.lines
    finally:
        for logger in loggers:
            logger.removeHandler(capture)


def body_json(result: dict[str, Any]) -> Any:
    """The JSON body of a handler result."""
    body = result["body"]
    if result.get("isBase64Encoded"):
        body = base64.b64decode(body)
    return json.loads(body)


def header(result: dict[str, Any], name: str) -> str | None:
    """A response header from `headers` or the single value in `multiValueHeaders`."""
    if name in (result.get("headers") or {}):
        return str(result["headers"][name])
    values = (result.get("multiValueHeaders") or {}).get(name)
    return str(values[0]) if values and len(values) == 1 else None
