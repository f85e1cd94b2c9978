"""Lambda handlers for the gateway's tests: echo the event, sleep, fail, misbehave."""

from __future__ import annotations

import base64
import json
import os
import time
from typing import Any


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Return the event as JSON, plus a cookie and a backend CORS header to be replaced."""
    if event.get("rawPath", "").endswith("/sleep"):
        time.sleep(float((event.get("queryStringParameters") or {}).get("s", "5")))
    return {
        "statusCode": 200,
        "headers": {
            "content-type": "application/json",
            "access-control-allow-origin": "*",
            "x-context-request-id": context.aws_request_id,
            "x-handler-pid": str(os.getpid()),
        },
        "cookies": ["session=abc; HttpOnly", "theme=dark"],
        "body": json.dumps(event),
    }


def binary(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {
        "statusCode": 200,
        "headers": {"content-type": "image/png"},
        "body": base64.b64encode(b"\x89PNG\r\n\x1a\n\x00\xff").decode(),
        "isBase64Encoded": True,
    }


def slow(event: dict[str, Any], context: Any) -> dict[str, Any]:
    time.sleep(10)
    return {"statusCode": 200, "body": "late"}


def boom(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise RuntimeError("handler exploded")


def non_dict(event: dict[str, Any], context: Any) -> list[int]:
    return [1, 2, 3]


def plain_dict(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"hello": "world"}


def bad_status(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": "two hundred", "body": "x"}


def unserialisable(event: dict[str, Any], context: Any) -> Any:
    return {"statusCode": 200, "body": object()}


def huge(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "body": "x" * (7 * 1024 * 1024)}


def nap(event: dict[str, Any], context: Any) -> dict[str, Any]:
    time.sleep(float(event.get("nap", 0)))
    return {"statusCode": 200, "body": "awake"}
