"""The local WebSocket API with a real client (`websockets`): events shaped like the real
samples, route selection, refusals, API Gateway's limits, and the @connections API."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
import uvicorn
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from localgateway.integrations import ThreadInvoker
from localgateway.server import GatewayApp
from localgateway.spec import load_spec
from localgateway.websocket.protocol import UVICORN_OPTIONS
from localgateway.websocket.server import WebSocketApi
from localgateway.websocket.spec import WebSocketSpec, load_websocket_spec
from tests.lambda_runtime.events import load
from tests.localgateway import ws_handlers
from tests.localgateway.conftest import TEMPLATE
from tests.realtime.events import CONNECT, DISCONNECT, MESSAGE

pytestmark = pytest.mark.anyio

WEBSOCKET_TEMPLATE = Path(__file__).parent / "fixtures" / "websocket.yaml"
KIB = 1024
WAIT = 30  # seconds: generous, the machine may be busy


@dataclass
class Gateway:
    port: int
    api: WebSocketApi

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/live"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/live"


def _serve(api: WebSocketApi) -> Iterator[Gateway]:
    app = GatewayApp(
        load_spec(TEMPLATE),
        invoker=ThreadInvoker("tests.localgateway.handlers.echo", 4),
        websocket=api,
    )
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, lifespan="off", log_level="warning", **UVICORN_OPTIONS)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(600):
        if server.started:
            break
        threading.Event().wait(0.05)
    ws_handlers.EVENTS.clear()
    try:
        yield Gateway(sock.getsockname()[1], api)
    finally:
        server.should_exit = True
        thread.join(timeout=WAIT)
        sock.close()


def _api(spec: WebSocketSpec | None = None, **options: Any) -> WebSocketApi:
    spec = spec or load_websocket_spec(WEBSOCKET_TEMPLATE)
    assert spec is not None
    invoker = ThreadInvoker(next(iter(spec.handlers)), 4)
    return WebSocketApi(spec, invoker, **options)


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    yield from _serve(_api())


def kinds(events: list[dict[str, Any]]) -> list[str]:
    return [e["requestContext"]["eventType"] for e in events]


async def reply(ws: ClientConnection) -> Any:
    return json.loads(await asyncio.wait_for(ws.recv(), WAIT))


async def closed_with(ws: ClientConnection) -> tuple[int | None, str | None]:
    with pytest.raises(ConnectionClosed):
        await asyncio.wait_for(ws.recv(), WAIT)
    assert ws.close_code is not None
    return ws.close_code, ws.close_reason


# --- events --------------------------------------------------------------------------------


async def test_the_three_events_have_the_real_samples_keys(gateway: Gateway) -> None:
    async with connect(gateway.url + "?a=1&a=2", additional_headers={"X-Api-Key": "k"}) as ws:
        await ws.send(json.dumps({"action": "echo"}))
        await reply(ws)
    events = ws_handlers.wait_for(lambda e: kinds(e) == ["CONNECT", "MESSAGE", "DISCONNECT"])

    connect_event, message, disconnect = events
    for event, sample in ((connect_event, CONNECT), (message, MESSAGE), (disconnect, DISCONNECT)):
        real = load(sample)
        assert set(event["requestContext"]) >= set(real["requestContext"]) - {"identity"}
        assert set(event) - {"queryStringParameters", "multiValueQueryStringParameters"} == set(
            real
        )
    # messageId only on MESSAGE; one connectionId and connectedAt throughout.
    assert [("messageId" in e["requestContext"]) for e in events] == [False, True, False]
    assert len({e["requestContext"]["connectionId"] for e in events}) == 1
    assert len({e["requestContext"]["connectedAt"] for e in events}) == 1
    # ASGI servers lower-case header names, so the client's casing (which API Gateway keeps)
    # is lost here; handlers must look headers up case-insensitively (apps.realtime does).
    assert connect_event["headers"]["x-api-key"] == "k"
    assert connect_event["headers"]["X-Forwarded-Proto"] == "http"
    assert connect_event["headers"]["X-Forwarded-Port"] == str(gateway.port)
    assert connect_event["queryStringParameters"] == {"a": "2"}
    assert connect_event["multiValueQueryStringParameters"] == {"a": ["1", "2"]}
    assert connect_event["requestContext"]["domainName"] == "127.0.0.1"
    assert connect_event["requestContext"]["stage"] == "live"
    assert disconnect["headers"]["x-api-key"] == ""  # placeholders, as on AWS
    assert disconnect["requestContext"]["disconnectStatusCode"] == 1000


async def test_the_clients_close_code_and_reason_reach_disconnect(gateway: Gateway) -> None:
    ws = await connect(gateway.url)
    await ws.close(code=4000, reason="bye")
    events = ws_handlers.wait_for(lambda e: "DISCONNECT" in kinds(e))

    assert events[-1]["requestContext"]["disconnectStatusCode"] == 4000
    assert events[-1]["requestContext"]["disconnectReason"] == "bye"


# --- $connect --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 401, 403, 429])
async def test_a_non_2xx_connect_result_refuses_the_handshake_with_it(
    gateway: Gateway, status: int
) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await connect(f"{gateway.url}?status={status}")

    assert refused.value.response.status_code == status
    assert json.loads(bytes(refused.value.response.body or b"")) == {"message": "Refused here"}


async def test_a_failing_connect_handler_is_a_502(gateway: Gateway) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await connect(f"{gateway.url}?crash=1")

    assert refused.value.response.status_code == 502


async def test_the_subprotocol_the_handler_selects_is_used(gateway: Gateway) -> None:
    async with connect(f"{gateway.url}?protocol=v1", subprotocols=["v0", "v1"]) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == "v1"


async def test_another_path_than_the_stage_is_refused(gateway: Gateway) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await connect(f"ws://127.0.0.1:{gateway.port}/other")

    assert refused.value.response.status_code == 403
    assert ws_handlers.EVENTS == []


async def test_a_url_over_4096_characters_is_refused(gateway: Gateway) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await connect(f"{gateway.url}?pad={'x' * 4100}")

    assert refused.value.response.status_code == 414


# --- messages ---------------------------------------------------------------------------------


async def test_routes_are_selected_by_the_action(gateway: Gateway) -> None:
    async with connect(gateway.url) as ws:
        await ws.send(json.dumps({"action": "echo", "x": 1}))
        assert (await reply(ws))["route"] == "echo"
        await ws.send(json.dumps({"action": "oneway"}))  # runs, answers nothing
        await ws.send("not json")  # no match, no $default: a Forbidden error frame
        error = await reply(ws)
    events = ws_handlers.wait_for(lambda e: "DISCONNECT" in kinds(e))

    assert error["message"] == "Forbidden"
    assert set(error) == {"message", "connectionId", "requestId"}
    assert [e["requestContext"]["routeKey"] for e in events if "body" in e] == ["echo", "oneway"]


async def test_without_a_match_the_default_route_takes_it() -> None:
    spec = load_websocket_spec(WEBSOCKET_TEMPLATE)
    assert spec is not None
    routes = dict(spec.routes)
    routes["$default"] = dataclasses.replace(routes["echo"], key="$default")
    for gateway in _serve(_api(dataclasses.replace(spec, routes=routes))):
        async with connect(gateway.url) as ws:
            for body in ("plain text", '{"action": "dance"}', '{"action": {"a": 1}}', "[]"):
                await ws.send(body)
                assert (await reply(ws))["route"] == "$default"


async def test_a_failing_message_handler_answers_an_error_frame_and_keeps_the_connection(
    gateway: Gateway,
) -> None:
    async with connect(gateway.url) as ws:
        await ws.send(json.dumps({"action": "echo", "crash": True}))
        error = await reply(ws)
        await ws.send(json.dumps({"action": "echo"}))
        assert (await reply(ws))["route"] == "echo"

    assert error["message"] == "Internal server error"
    assert error["connectionId"] == ws_handlers.EVENTS[0]["requestContext"]["connectionId"]


async def test_binary_frames_close_the_connection_with_1003(gateway: Gateway) -> None:
    async with connect(gateway.url) as ws:
        await ws.send(b"\x00\x01")
        code, _ = await closed_with(ws)
    events = ws_handlers.wait_for(lambda e: "DISCONNECT" in kinds(e))

    assert code == 1003
    assert events[-1]["requestContext"]["disconnectStatusCode"] == 1003


async def test_a_frame_over_32_kib_closes_with_1009(gateway: Gateway) -> None:
    async with connect(gateway.url, max_size=None) as ws:
        await ws.send(json.dumps({"action": "echo", "pad": "x" * (32 * KIB)}))
        code, _ = await closed_with(ws)

    assert code == 1009
    assert "MESSAGE" not in kinds(ws_handlers.wait_for(lambda e: "DISCONNECT" in kinds(e)))


async def test_a_128_kib_message_in_32_kib_frames_arrives_whole(gateway: Gateway) -> None:
    body = json.dumps({"action": "echo", "pad": ""})
    body = body[:-2] + "x" * (128 * KIB - len(body)) + '"}'
    frames = [body[i : i + 32 * KIB] for i in range(0, len(body), 32 * KIB)]
    async with connect(gateway.url) as ws:
        await ws.send(iter(frames))
        assert await reply(ws) == {"route": "echo", "size": 128 * KIB}


async def test_a_message_over_128_kib_closes_with_1009(gateway: Gateway) -> None:
    frames = ["x" * (32 * KIB)] * 4 + ["x"]
    async with connect(gateway.url) as ws:
        await ws.send(iter(frames))
        code, _ = await closed_with(ws)

    assert code == 1009


async def test_an_idle_connection_is_closed_and_disconnected() -> None:
    for gateway in _serve(_api(idle_timeout=0.5)):
        async with connect(gateway.url) as ws:
            code, reason = await closed_with(ws)
        events = ws_handlers.wait_for(lambda e: "DISCONNECT" in kinds(e))

        assert (code, reason) == (1001, "Idle timeout")
        assert events[-1]["requestContext"]["disconnectStatusCode"] == 1001


async def test_the_connection_duration_limit_closes_even_a_busy_connection() -> None:
    for gateway in _serve(_api(max_duration=1.0)):
        async with connect(gateway.url) as ws:

            async def keep_busy() -> None:
                while True:  # activity does not extend the duration limit
                    await ws.send(json.dumps({"action": "oneway"}))
                    await asyncio.sleep(0.05)

            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(keep_busy(), WAIT)
            assert (ws.close_code, ws.close_reason) == (1001, "Connection duration exceeded")


# --- @connections -----------------------------------------------------------------------------


def management(gateway: Gateway) -> Any:
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=gateway.endpoint,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


async def connection_id() -> str:
    events = await asyncio.to_thread(ws_handlers.wait_for, lambda e: "CONNECT" in kinds(e))
    return str(events[0]["requestContext"]["connectionId"])


async def test_boto3_posts_gets_and_deletes_through_the_local_api(gateway: Gateway) -> None:
    client = management(gateway)
    async with connect(gateway.url, user_agent_header="tests") as ws:
        cid = await connection_id()
        await asyncio.to_thread(client.post_to_connection, ConnectionId=cid, Data=b'{"hi":1}')
        assert await reply(ws) == {"hi": 1}
        described = await asyncio.to_thread(client.get_connection, ConnectionId=cid)
        assert described["Identity"] == {"SourceIp": "127.0.0.1", "UserAgent": "tests"}
        assert described["LastActiveAt"] >= described["ConnectedAt"]
        await asyncio.to_thread(client.delete_connection, ConnectionId=cid)
        code, _ = await closed_with(ws)
    events = ws_handlers.wait_for(lambda e: "DISCONNECT" in kinds(e))

    assert code == 1000
    assert events[-1]["requestContext"]["connectionId"] == cid
    with pytest.raises(client.exceptions.GoneException):
        client.post_to_connection(ConnectionId=cid, Data=b"x")
    with pytest.raises(client.exceptions.GoneException):
        client.get_connection(ConnectionId=cid)
    with pytest.raises(client.exceptions.GoneException):
        client.delete_connection(ConnectionId=cid)


async def test_posting_over_128_kib_is_413(gateway: Gateway) -> None:
    client = management(gateway)
    async with connect(gateway.url):
        cid = await connection_id()
        with pytest.raises(client.exceptions.PayloadTooLargeException):
            await asyncio.to_thread(
                client.post_to_connection, ConnectionId=cid, Data=b"x" * (128 * KIB + 1)
            )


async def test_a_client_that_never_reads_gets_429s_not_unbounded_buffers() -> None:
    for gateway in _serve(_api(outbox_size=4)):
        data = b"x" * (100 * KIB)
        async with httpx.AsyncClient() as http:
            ws = await connect(gateway.url, max_queue=1)  # reads nothing from here on
            cid = await connection_id()
            url = f"{gateway.endpoint}/@connections/{cid.replace('=', '%3D')}"
            statuses = []
            for _ in range(2000):  # bounded: kernel buffers hold a few MB at most
                response = await http.post(url, content=data)
                statuses.append(response.status_code)
                if response.status_code == 429:
                    break
            assert statuses[-1] == 429
            assert response.headers["x-amzn-errortype"] == "LimitExceededException"
            assert set(statuses[:-1]) == {200}
            assert gateway.api.connections[cid].outbox.qsize() == 4
            ws.transport.abort()


async def test_a_vanished_client_is_disconnected(gateway: Gateway) -> None:
    ws = await connect(gateway.url)
    await connection_id()
    ws.transport.abort()  # no close frame: the TCP connection just ends
    events = await asyncio.to_thread(ws_handlers.wait_for, lambda e: "DISCONNECT" in kinds(e))

    # No close frame arrived: uvicorn reports 1005 (no status) for a lost connection.
    assert events[-1]["requestContext"]["disconnectStatusCode"] in (1005, 1006)
    assert gateway.api.connections == {}


async def test_other_methods_on_connections_are_404(gateway: Gateway) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.put(f"{gateway.endpoint}/@connections/abc", content=b"x")

    assert response.status_code == 404
