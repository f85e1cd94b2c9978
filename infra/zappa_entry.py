"""The Lambda entry point of the Zappa deploy path (infra/zappa_settings.json).

Zappa deploys one function per stage, and every event reaches its `lambda_handler`: HTTP
requests from the HTTP API, the photo bucket's S3 notifications, and `zappa manage`/`invoke`
calls. This sends each to the project's own entry point in lambda_runtime.handler,
imported on first use so a cold start loads only what the event needs.
"""

from __future__ import annotations

import importlib
from typing import Any

ENTRY_MODULE = "lambda_runtime.handler"


def route(event: Any) -> str:
    """The name of the lambda_runtime.handler function that handles `event`."""
    if isinstance(event, dict):
        records = event.get("Records")
        first = records[0] if isinstance(records, list) and records else None
        if isinstance(first, dict) and first.get("eventSource") == "aws:s3":
            return "process_photos"
        if "manage" in event or "command" in event:
            return "manage"
    return "handler"


def handler(event: Any, context: Any) -> Any:
    entry = getattr(importlib.import_module(ENTRY_MODULE), route(event))
    return entry(event, context)
