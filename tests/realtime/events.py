"""Real WebSocket API event samples (tests/fixtures/aws-events/powertools), rewritten."""

from __future__ import annotations

import json
from typing import Any

from tests.lambda_runtime.events import load

CONNECT = "powertools/apiGatewayWebSocketApiConnect.json"
MESSAGE = "powertools/apiGatewayWebSocketApiMessage.json"
DISCONNECT = "powertools/apiGatewayWebSocketApiDisconnect.json"
# The samples' connection and domain, as API Gateway wrote them.
DOMAIN = "asasasas.execute-api.us-east-1.amazonaws.com"


def connect(
    connection_id: str = "BFHPhfCWIAMCKlQ=",
    *,
    headers: dict[str, str] | None = None,
    query: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """$connect with the client's header casing, and a query string if given."""
    event = load(CONNECT)
    event["requestContext"]["connectionId"] = connection_id
    for name, value in (headers or {}).items():
        event["headers"][name] = value
        event["multiValueHeaders"][name] = [value]
    if query:
        event["queryStringParameters"] = {k: v[-1] for k, v in query.items()}
        event["multiValueQueryStringParameters"] = query
    return event


def message(
    body: Any, connection_id: str = "BFaT_fALIAMCKug=", route: str = "$default"
) -> dict[str, Any]:
    """A MESSAGE: `body` as sent (a dict is sent as JSON)."""
    event = load(MESSAGE)
    event["requestContext"]["connectionId"] = connection_id
    event["requestContext"]["routeKey"] = route
    event["body"] = body if isinstance(body, str) else json.dumps(body)
    return event


def disconnect(connection_id: str = "BFaT_fALIAMCKug=") -> dict[str, Any]:
    event = load(DISCONNECT)
    event["requestContext"]["connectionId"] = connection_id
    return event
