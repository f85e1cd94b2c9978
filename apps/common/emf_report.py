"""Summaries of the EMF metric lines in a log: count, sum, p50 and p99 per metric and dimensions.

`manage.py metrics_report LOGFILE` prints what CloudWatch would extract from a log such as
`rungateway`'s output, without CloudWatch. Every line is classified: a valid EMF document
(summarised), another JSON object (a plain log line, skipped), a line that is not one JSON
object (counted), or a malformed EMF document (counted with why, never half-summarised).
The rules are the specification's (https://docs.aws.amazon.com/AmazonCloudWatch/latest/
monitoring/CloudWatch_Embedded_Metric_Format_Specification.html) and its published JSON
schema's (tests/emf.py checks the same against the schema itself).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from apps.common.metrics import UNITS

# The schema's limits: dimension keys per set, names and namespaces 1-255 characters.
MAX_DIMENSION_KEYS = 9
MAX_NAME = 255
MAX_METRICS = 100
MAX_VALUES = 100
# How many bad lines are kept with their reason (all are counted).
KEEP_PROBLEMS = 20


class MalformedError(ValueError):
    """An `_aws` document that breaks the specification; the message says where."""


@dataclass
class Series:
    """The values of one metric under one dimension set (and the values of its dimensions)."""

    unit: str
    values: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.values)
        return {
            "unit": self.unit,
            "count": len(ordered),
            "sum": round(math.fsum(ordered), 6),
            "p50": percentile(ordered, 50),
            "p99": percentile(ordered, 99),
        }


# (namespace, metric name, ((dimension, value), ...)) -> its values.
SeriesKey = tuple[str, str, tuple[tuple[str, str], ...]]


@dataclass
class Report:
    """Everything read from one log."""

    lines: int = 0
    metric_lines: int = 0
    other_json: int = 0
    not_json: int = 0
    malformed: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)  # malformed, with why
    not_json_at: list[int] = field(default_factory=list)  # where the first ones are
    series: dict[SeriesKey, Series] = field(default_factory=dict)

    def bad(self, number: int, reason: str) -> None:
        self.malformed += 1
        if len(self.problems) < KEEP_PROBLEMS:
            self.problems.append((number, reason))

    def text(self, number: int) -> None:
        self.not_json += 1
        if len(self.not_json_at) < KEEP_PROBLEMS:
            self.not_json_at.append(number)

    def as_dict(self) -> dict[str, Any]:
        return {
            "lines": self.lines,
            "metricLines": self.metric_lines,
            "otherJsonLines": self.other_json,
            "notJsonLines": self.not_json,
            "malformedLines": self.malformed,
            "problems": [{"line": n, "reason": r} for n, r in self.problems],
            "notJsonAt": self.not_json_at,
            "metrics": [
                {"namespace": ns, "metric": name, "dimensions": dict(dims), **s.summary()}
                for (ns, name, dims), s in sorted(self.series.items())
            ],
        }


def percentile(ordered: list[float], p: float) -> float | None:
    """The nearest-rank percentile of sorted values (CloudWatch's pNN on raw values)."""
    if not ordered:
        return None
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def summarise(lines: Iterable[str]) -> Report:
    """Read every line; never raises on what a line holds."""
    report = Report()
    for number, line in enumerate(lines, start=1):
        report.lines += 1
        text = line.strip()
        if not text:
            continue
        try:
            doc = json.loads(text)
        except (ValueError, RecursionError):
            doc = None
        if not isinstance(doc, dict):
            if '"_aws"' in text:  # meant as a metric line, but not one JSON object
                report.bad(number, "not one JSON object")
            else:
                report.text(number)
            continue
        if "_aws" not in doc:
            report.other_json += 1
            continue
        try:
            found = extract(doc)
        except MalformedError as exc:
            report.bad(number, str(exc))
            continue
        report.metric_lines += 1
        for key, unit, values in found:
            report.series.setdefault(key, Series(unit)).values.extend(values)
    return report


def extract(doc: dict[str, Any]) -> list[tuple[SeriesKey, str, list[float]]]:
    """Every (series, unit, values) the document publishes; MalformedError if it breaks a rule."""
    meta = doc["_aws"]
    if not isinstance(meta, dict):
        raise MalformedError("_aws is not an object")
    timestamp = meta.get("Timestamp")
    if not _is_integer(timestamp) or not 10**12 <= timestamp < 10**13:
        raise MalformedError("_aws.Timestamp is not milliseconds since the epoch")
    directives = meta.get("CloudWatchMetrics")
    if not isinstance(directives, list):
        raise MalformedError("_aws.CloudWatchMetrics is not an array")
    found: list[tuple[SeriesKey, str, list[float]]] = []
    for index, directive in enumerate(directives):
        try:
            found.extend(_directive(doc, directive))
        except MalformedError as exc:
            raise MalformedError(f"directive {index}: {exc}") from None
    return found


def _directive(doc: dict[str, Any], directive: Any) -> list[tuple[SeriesKey, str, list[float]]]:
    if not isinstance(directive, dict):
        raise MalformedError("not an object")
    namespace = directive.get("Namespace")
    if not _is_name(namespace) or namespace.startswith("AWS/"):
        raise MalformedError(f"namespace {namespace!r} is not valid")
    dimension_sets = [_dimensions(doc, names) for names in _array(directive, "Dimensions")]
    if not dimension_sets:
        raise MalformedError("Dimensions is empty")
    metrics = _array(directive, "Metrics")
    if len(metrics) > MAX_METRICS:
        raise MalformedError("more than 100 metrics")
    found: list[tuple[SeriesKey, str, list[float]]] = []
    for metric in metrics:
        name, unit, values = _metric(doc, metric)
        found.extend(((namespace, name, dims), unit, values) for dims in dimension_sets)
    return found


def _array(directive: dict[str, Any], name: str) -> list[Any]:
    value = directive.get(name)
    if not isinstance(value, list):
        raise MalformedError(f"{name} is not an array")
    return value


def _dimensions(doc: dict[str, Any], names: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(names, list) or len(names) > MAX_DIMENSION_KEYS:
        raise MalformedError("a dimension set is not an array of at most 9 names")
    pairs = []
    for name in names:
        value = doc.get(name) if _is_name(name) else None
        if not isinstance(value, str):
            raise MalformedError(f"dimension {name!r} is not a string member")
        if not (1 <= len(value) <= 1024 and value.isascii() and value.isprintable()):
            raise MalformedError(f"dimension {name}={value!r} is not valid")
        pairs.append((name, value))
    return tuple(pairs)


def _metric(doc: dict[str, Any], metric: Any) -> tuple[str, str, list[float]]:
    name = metric.get("Name") if isinstance(metric, dict) else None
    if not _is_name(name):
        raise MalformedError("a metric has no valid Name")
    unit = metric.get("Unit", "None")
    if not isinstance(unit, str) or unit not in UNITS:
        raise MalformedError(f"metric {name!r} has unit {unit!r}")
    value = doc.get(name)
    values = value if isinstance(value, list) else [value]
    if not 1 <= len(values) <= MAX_VALUES or not all(_is_number(v) for v in values):
        raise MalformedError(f"metric {name!r} is not a number or 1-100 numbers")
    return name, unit, [float(v) for v in values]


def _is_name(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and 1 <= len(value) <= MAX_NAME


def _is_integer(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too large for a float
        return False
