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
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and (key == _EMF or not key.startswith("_")):
                doc[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            exc_type, exc, tb = record.exc_info
            doc["errorType"] = exc_type.__name__
            doc["errorMessage"] = str(exc)
            doc["stackTrace"] = traceback.format_exception(exc_type, exc, tb)
        return json.dumps(doc, default=str, ensure_ascii=False)
