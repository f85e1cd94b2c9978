"""An Embedded Metric Format validator: the published JSON schema plus the spec's prose rules.

`problems(line)` lists everything wrong with one log line as an EMF document (empty: valid).
The schema is tests/fixtures/emf/emf-schema.json (see the README there); the other rules
are the specification's: the line is one JSON object with nothing around it, every
reference names a root member, a dimension target is a string, a metric target a number
or an array of at most 100 numbers, at most 100 metrics per directive; dimension values
are 1-1024 ASCII characters without control characters (the Dimension API's rule), and a
namespace may not start with "AWS/".
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA = Path(__file__).resolve().parent / "fixtures" / "emf" / "emf-schema.json"


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA.read_text())
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)  # type: ignore[no-any-return]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def problems(line: str) -> list[str]:
    """What keeps `line` from being a valid EMF document."""
    try:
        doc = json.loads(line)
    except ValueError as exc:
        return [f"not one JSON object: {exc}"]
    if not isinstance(doc, dict):
        return ["the root is not a JSON object"]
    found = [error.message for error in _validator().iter_errors(doc)]
    if found:
        return found
    timestamp = doc["_aws"]["Timestamp"]
    if not 10**12 <= timestamp < 10**13:
        found.append(f"Timestamp {timestamp} is not milliseconds since the epoch")
    for index, directive in enumerate(doc["_aws"]["CloudWatchMetrics"]):
        where = f"directive {index}"
        if directive["Namespace"].startswith("AWS/"):
            found.append(f"{where}: namespace {directive['Namespace']!r} is AWS's")
        if len(directive["Metrics"]) > 100:
            found.append(f"{where}: more than 100 metrics")
        for dimension_set in directive["Dimensions"]:
            for name in dimension_set:
                value = doc.get(name)
                if not isinstance(value, str):
                    found.append(f"{where}: dimension {name!r} is not a string member")
                elif not (1 <= len(value) <= 1024 and value.isascii() and value.isprintable()):
                    found.append(f"{where}: dimension {name}={value!r} is not valid")
        for metric in directive["Metrics"]:
            value = doc.get(metric["Name"])
            if isinstance(value, list):
                if not value or len(value) > 100 or not all(_is_number(v) for v in value):
                    found.append(f"{where}: metric {metric['Name']!r} is not 1-100 numbers")
            elif not _is_number(value):
                found.append(f"{where}: metric {metric['Name']!r} is not a number member")
    return found


def metric_lines(text: str) -> list[dict[str, Any]]:
    """The JSON lines of `text` that carry an `_aws` member."""
    docs = []
    for line in text.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            docs.append(json.loads(line))
    return docs
