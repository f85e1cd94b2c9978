"""JSON log lines in the field names of Lambda's JSON log format, with request context."""

from __future__ import annotations

import json
import logging
import os
import re
import traceback
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

# Made once: json.dumps() with options builds an encoder per call.
_ENCODER = json.JSONEncoder(default=str, ensure_ascii=False)
_DIRECTIVES = "CloudWatchMetrics"

# Set by RequestContextMiddleware (and the Lambda handler) for the current request.
request_context: ContextVar[dict[str, Any] | None] = ContextVar("request_context", default=None)

# Attributes every LogRecord has; anything else on a record came in through `extra=`.
_RECORD_FIELDS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys() | {"message", "asctime"}
)
# The one underscored extra that is written: a CloudWatch Embedded Metric Format directive
# (apps.common.metrics).
_EMF = "_aws"
# The Root of Lambda's per-invocation `_X_AMZN_TRACE_ID`, for lines written outside any
# request context (apps.common.tracing reads it for requests).
_TRACE_ROOT = re.compile(r"(?:^|;)Root=(1-[0-9a-f]{8}-[0-9a-f]{24})(?:;|$)")


class JSONFormatter(logging.Formatter):
    """One JSON object per line: timestamp, level, logger, message, request ids, extras."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if context := request_context.get():
            doc.update(context)
        if "xrayTraceId" not in doc and (
            match := _TRACE_ROOT.search(os.environ.get("_X_AMZN_TRACE_ID", ""))
        ):
            doc["xrayTraceId"] = match.group(1)
        emf = None
        for key, value in vars(record).items():
            if key in _RECORD_FIELDS:
                continue
            if key == _EMF:
                emf = value
            elif not key.startswith("_"):
                doc[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            exc_type, exc, tb = record.exc_info
            doc["errorType"] = exc_type.__name__
            doc["errorMessage"] = str(exc)
            doc["stackTrace"] = traceback.format_exception(exc_type, exc, tb)
        line: str = _ENCODER.encode(doc)
        if emf is not None:
            # Last in the object, so its constant part can be spliced in as made once.
            line = f'{line[:-1]}, "{_EMF}": {_encode_emf(emf)}}}'
        return line


def _encode_emf(emf: Any) -> str:
    """The `_aws` member; its directives as apps.common.metrics.EncodedDirectives made them."""
    directives = emf.get(_DIRECTIVES) if isinstance(emf, dict) else None
    encoded = getattr(directives, "json", None)
    if isinstance(encoded, str) and emf.keys() == {"Timestamp", _DIRECTIVES}:
        return f'{{"Timestamp": {_ENCODER.encode(emf["Timestamp"])}, "{_DIRECTIVES}": {encoded}}}'
    return str(_ENCODER.encode(emf))
