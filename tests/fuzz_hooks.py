"""schemathesis hooks: business rules that OpenAPI cannot state, applied to generated data."""

from __future__ import annotations

import datetime
from typing import Any

import schemathesis


@schemathesis.hook
def map_body(context: Any, body: Any) -> Any:
    """A birth date may not be in the future; OpenAPI 3.0 has no `maximum` for dates.

    Moving a future date back to today keeps a schema-valid body schema-valid, so
    positive cases stay positive and negative ones stay negative.
    """
    if isinstance(body, dict) and isinstance(body.get("birth_date"), str):
        try:
            birth_date = datetime.date.fromisoformat(body["birth_date"])
        except ValueError:
            return body
        today = datetime.datetime.now(datetime.UTC).date()
        if birth_date > today:
            body["birth_date"] = today.isoformat()
    return body
