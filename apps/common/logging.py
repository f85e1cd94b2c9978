"""JSON log lines in the field names of Lambda's JSON log format, with request context."""

from __future__ import annotations

import json
import logging
import math
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
# The one underscored extra carrying a line's metric values and directive together
# (apps.common.metrics.LineMetrics): its members go into the root, its directive last.
_METRICS = "_metrics"
# The Root of Lambda's per-invocation `_X_AMZN_TRACE_ID`, for lines written outside any
# request context (apps.common.tracing reads it for requests).
_TRACE_ROOT = re.compile(r"(?:^|;)Root=(1-[0-9a-f]{8}-[0-9a-f]{24})(?:;|$)")


def log_line(logger: logging.Logger, level: int, message: str, fields: dict[str, Any]) -> None:
    """`logger.log(level, message, extra=fields)` without looking up the caller's frame.

    For the lines written on every request (the access line): the JSON line never shows
    where it was logged from, and finding the calling frame (`Logger.findCaller`, the
    Logging HOWTO's "Optimization" section) cost more than making the record. The record's
    pathname is this module's, its line number 0.
    """
    if logger.isEnabledFor(level):
        logger.handle(
            logger.makeRecord(logger.name, level, __file__, 0, message, (), None, extra=fields)
        )


class LineMetrics:
    """A log line's metrics: the dimension and metric values, and the `_aws` member naming
    them (None when metrics are off); made by apps.common.metrics.line_metrics.

    Passed as the one `extra={"_metrics": ...}` of a log call: the formatter writes `members`
    into the line's root and `aws` last. One record attribute for the lot, where a member
    per attribute made every line pay for a dozen more attribute checks and copies.
    """

    __slots__ = ("aws", "members")

    def __init__(self, members: dict[str, Any], aws: dict[str, Any] | None) -> None:
        self.members = members
        self.aws = aws

    def __repr__(self) -> str:
        return f"LineMetrics({self.members!r}, {self.aws!r})"


# The whole seconds of the last line's timestamp, and their ISO text: lines come many a
# second, and a datetime per line cost more than the rest of the timestamp.
_second: tuple[float, str] = (math.nan, "")


def iso_timestamp(created: float) -> str:
    """`created` (a LogRecord's) as `datetime.fromtimestamp(created, UTC).isoformat(
    timespec="milliseconds")` writes it, the same text to the character."""
    global _second
    # datetime rounds to the microsecond (half to even) before it truncates to the
    # millisecond; a rounding up to a whole second carries into the seconds.
    fraction, whole = math.modf(created)
    micros = round(fraction * 1e6)
    if micros >= 1_000_000:
        whole, micros = whole + 1, micros - 1_000_000
    elif micros < 0:
        whole, micros = whole - 1, micros + 1_000_000
    seconds, text = _second
    if whole != seconds:
        text = datetime.fromtimestamp(whole, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        _second = (whole, text)  # one tuple, so a thread reads the pair it was written with
    return f"{text}.{micros // 1000:03d}+00:00"


class JSONFormatter(logging.Formatter):
    """One JSON object per line: timestamp, level, logger, message, request ids, extras."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "timestamp": iso_timestamp(record.created),
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
            if key == _METRICS and isinstance(value, LineMetrics):
                doc.update(value.members)
                emf = value.aws
            elif key == _EMF:
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
