"""A WebSocket route handler for the gateway tests: records every event, answers on demand."""

from __future__ import annotations

import json
import threading
from typing import Any

EVENTS: list[dict[str, Any]] = []
RECORDED = threading.Condition()


def handle(event: dict[str, Any], context: Any) -> Any:
    with RECORDED:
        EVENTS.append(event)
        RECORDED.notify_all()
    request = event["requestContext"]
    if request["eventType"] == "CONNECT":
        query = event.get("queryStringParameters") or {}
        if "crash" in query:
            raise RuntimeError("refusing to connect")
        if "status" in query:
            return {"statusCode": int(query["status"]), "body": '{"message":"Refused here"}'}
        if "protocol" in query:
            return {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": query["protocol"]}}
        return {"statusCode": 200}
    if request["eventType"] == "MESSAGE":
        if '"crash": true' in event["body"]:
            raise RuntimeError("message handler failed")
        return {
            "statusCode": 200,
            "body": json.dumps({"route": request["routeKey"], "size": len(event["body"])}),
        }
    return {"statusCode": 200}


def wait_for(predicate: Any, timeout: float = 30) -> list[dict[str, Any]]:
    """The recorded events once `predicate(events)` holds (generous: a busy machine)."""
    with RECORDED:
        if not RECORDED.wait_for(lambda: predicate(EVENTS), timeout):
            raise AssertionError(
                f"not seen within {timeout} s: {[e['requestContext']['eventType'] for e in EVENTS]}"
            )
        return list(EVENTS)
