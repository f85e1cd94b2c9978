"""Lambda handlers for the gateway's tests: echo the event, sleep, hold, fail, misbehave."""

from __future__ import annotations

import base64
import json
import os
import time
from pathlib import Path
from typing import Any

# How long a held handler waits for its release at most, so a failed test leaves no thread
# or worker behind for long; the tests release it long before.
HOLD_LIMIT_S = 120


def hold_until_released(directory: str) -> None:
    """Touch `directory`/started, then wait until `directory`/release exists.

    Tests use it for a handler that is still running for certain while they check
    something, and that ends when they say so: no guess at how long anything takes.
    """
    (Path(directory) / "started").touch()
    release = Path(directory) / "release"
    deadline = time.monotonic() + HOLD_LIMIT_S
    while not release.exists() and time.monotonic() < deadline:
        time.sleep(0.01)


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Return the event as JSON, plus a cookie and a backend CORS header to be replaced.

    /sleep?s=N sleeps N seconds first; /hold?dir=D holds until the test releases it.
    """
    parameters = event.get("queryStringParameters") or {}
    if event.get("rawPath", "").endswith("/sleep"):
        time.sleep(float(parameters.get("s", "5")))
    if event.get("rawPath", "").endswith("/hold"):
        hold_until_released(parameters["dir"])
    return {
        "statusCode": 200,
        "headers": {
            "content-type": "application/json",
            "access-control-allow-origin": "*",
            "x-context-request-id": context.aws_request_id,
            "x-handler-pid": str(os.getpid()),
            "x-initialization-type": os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE", ""),
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
    if "hold" in event:
        hold_until_released(event["hold"])
    time.sleep(float(event.get("nap", 0)))
    return {"statusCode": 200, "body": "awake"}


def rest_echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A REST API (payload 1.0) answer with the event as JSON; /fail raises, /malformed
    answers a 2.0-only key, /binary a base64 PNG."""
    path = event.get("path", "")
    if path.endswith("/fail"):
        raise RuntimeError("the function failed")
    if path.endswith("/binary"):
        return binary(event, context)
    result: dict[str, Any] = {
        "statusCode": 200,
        "headers": {"content-type": "application/json", "x-one": "single"},
        "multiValueHeaders": {"set-cookie": ["a=1", "b=2"], "x-one": ["multi"]},
        "body": json.dumps(event),
        "isBase64Encoded": False,
    }
    if path.endswith("/malformed"):
        result["cookies"] = ["c=3"]
    return result
