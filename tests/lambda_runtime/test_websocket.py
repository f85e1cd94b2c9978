"""The `websocket` entry point with real WebSocket samples; the HTTP entry point refuses them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from apps.api_keys.models import APIKey
from apps.realtime import fanout
from apps.realtime.models import Connection
from lambda_runtime.handler import websocket
from tests.api_keys.factories import APIKeyFactory
from tests.lambda_runtime.conftest import Invoke, LambdaContext, body_json
from tests.realtime import events

pytestmark = pytest.mark.django_db

Handler = Callable[[Any], dict[str, Any]]


@pytest.fixture
def ws(lambda_context: LambdaContext) -> Handler:
    """The entry point called as Lambda calls it: JSON in, JSON out."""
    return lambda event: json.loads(
        json.dumps(websocket(json.loads(json.dumps(event)), lambda_context))
    )


@pytest.fixture
def key(user: Any) -> APIKey:
    return APIKeyFactory(owner=user)


def test_connect_message_disconnect_with_real_samples(ws: Handler, key: APIKey) -> None:
    connect = events.connect("BFaT_fALIAMCKug=", headers={"X-Api-Key": key.raw_key})  # type: ignore[attr-defined]

    assert ws(connect) == {"statusCode": 200}
    assert ws(events.message({"action": "ping"})) == {"statusCode": 200, "body": '{"type":"pong"}'}
    assert ws(events.disconnect()) == {"statusCode": 200}
    assert not Connection.objects.exists()


def test_connect_without_a_key_is_refused(ws: Handler) -> None:
    result = ws(events.load(events.CONNECT))

    assert result["statusCode"] == 403
    assert json.loads(result["body"]) == {"message": "Forbidden"}


def test_a_handed_off_fan_out_is_pushed(
    ws: Handler, monkeypatch: pytest.MonkeyPatch, key: APIKey
) -> None:
    pushed: list[Any] = []
    monkeypatch.setattr(
        fanout, "deliver", lambda message, targets: pushed.append((message, targets)) or {}
    )
    job = {
        "owner_id": key.owner_id,
        "message": {"type": "pet.created", "id": 1, "version": 1, "data": {}, "at": "x"},
    }

    assert ws({fanout.PAYLOAD_KEY: job}) == {"pushed": {}}
    assert len(pushed) == 1


def test_the_schedule_sweeps(ws: Handler) -> None:
    scheduled = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}

    assert ws(scheduled) == {
        "swept": {"closed": 0, "expired": 0, "gone": 0, "alive": 0, "tickets": 0}
    }


@pytest.mark.parametrize("event", [{}, [], "x", None, {"Records": []}, {"requestContext": {}}])
def test_anything_else_is_ignored(ws: Handler, event: Any) -> None:
    assert ws(event) == {"ignored": "unknown event"}


@pytest.mark.parametrize("sample", [events.CONNECT, events.MESSAGE, events.DISCONNECT])
def test_the_http_entry_point_refuses_websocket_events(invoke: Invoke, sample: str) -> None:
    result = invoke(events.load(sample))

    assert result["statusCode"] == 400
    assert body_json(result) == {"message": "Unsupported event"}
