"""Live updates end to end: a real WebSocket client (`websockets`) against rungateway serving
infra/template.yaml, the real Lambda handlers, and HTTP calls through the same gateway."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.localgateway.test_rungateway import ROOT, free_port
from tests.localgateway.test_stack import _env, _manage, _stop, _wait
from tests.photos.images import png
from tests.subprocesses import manage_commands

pytestmark = pytest.mark.anyio

WAIT = 30  # seconds: an upper bound for a busy machine, not a latency target
MAX_PER_KEY = 3


@dataclass
class Live:
    url: str  # the HTTP API, stage included
    ws: str  # the WebSocket API
    env: dict[str, str]
    keys: dict[str, str]  # name -> raw key
    output: Path  # what rungateway printed

    def http(self, method: str, path: str, key: str, **kwargs: Any) -> httpx.Response:
        headers = {"x-api-key": self.keys[key]}
        return httpx.request(method, f"{self.url}{path}", headers=headers, timeout=WAIT, **kwargs)

    def shell(self, code: str) -> str:
        return _manage(self.env, "shell", "-v0", "-c", code).strip()


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("live")
    env = {
        **_env(tmp),
        "REALTIME_MAX_CONNECTIONS_PER_KEY": str(MAX_PER_KEY),
        # Dummy credentials: the shell commands below push through the local @connections API.
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    owners = {"alice": "alice", "alice-2": "alice", "doomed": "alice", "bob": "bob"}
    _, *created = manage_commands(
        env,
        ("migrate", "--noinput", "-v0"),
        *(
            ("create_api_key", "--user", u, "--create-user", "--plan", "Default")
            for u in owners.values()
        ),
    )
    keys = {name: key.strip() for name, key in zip(owners, created, strict=True)}
    port = free_port()
    output = tmp / "rungateway.out"
    with output.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", "rungateway", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env={**env, "PYTHONUNBUFFERED": "1"},  # the banner is in the file while it runs
            stdout=out,
            stderr=subprocess.DEVNULL,
        )
    url = f"http://127.0.0.1:{port}/prod"
    _wait(f"{url}/health", process)
    yield Live(url, f"ws://127.0.0.1:{port}/prod", env, keys, output)
    _stop(process)


async def open_socket(live: Live, key: str, **kwargs: Any) -> ClientConnection:
    return await connect(live.ws, additional_headers={"x-api-key": live.keys[key]}, **kwargs)


async def next_message(ws: ClientConnection) -> dict[str, Any]:
    return dict(json.loads(await asyncio.wait_for(ws.recv(), WAIT)))


async def quiet(ws: ClientConnection) -> None:
    """Nothing arrived on `ws` before now: a ping's pong is the very next message."""
    await ws.send(json.dumps({"action": "ping"}))
    assert await next_message(ws) == {"type": "pong"}


async def test_pet_changes_reach_the_owner_in_order_and_never_another_user(live: Live) -> None:
    mine = await open_socket(live, "alice")
    other_key = await open_socket(live, "alice-2")
    theirs = await open_socket(live, "bob")
    await quiet(mine)  # connected and registered before the writes below

    created = await asyncio.to_thread(
        live.http, "POST", "/v1/pets", "alice", json={"name": "Rex", "species": "dog"}
    )
    pet_id = created.json()["id"]
    await asyncio.to_thread(live.http, "PATCH", f"/v1/pets/{pet_id}", "alice", json={"name": "Max"})
    await asyncio.to_thread(live.http, "DELETE", f"/v1/pets/{pet_id}", "alice")

    for ws in (mine, other_key):  # every connection of the owner, whichever key
        received = [await next_message(ws) for _ in range(3)]
        assert [(m["type"], m["id"], m["version"]) for m in received] == [
            ("pet.created", pet_id, 1),
            ("pet.updated", pet_id, 2),
            ("pet.deleted", pet_id, 2),
        ]
        assert received[0]["data"] == created.json()
        assert received[1]["data"]["name"] == "Max"
    await quiet(theirs)
    for ws in (mine, other_key, theirs):
        await ws.close()


async def test_photo_uploads_produce_photo_ready(live: Live) -> None:
    ws = await open_socket(live, "alice")
    await quiet(ws)
    direct = await asyncio.to_thread(
        live.http,
        "POST",
        "/v1/photos",
        "alice",
        files={"file": ("a.png", png((40, 30)), "image/png")},
    )
    data = png((64, 48))
    started = await asyncio.to_thread(
        live.http,
        "POST",
        "/v1/photos/uploads",
        "alice",
        json={"filename": "b.png", "content_type": "image/png", "size": len(data)},
    )
    upload = started.json()["upload"]
    posted = await asyncio.to_thread(
        httpx.post,
        httpx.URL(live.url).join(upload["url"]),
        data=upload["fields"],
        files={"file": ("b.png", data, "image/png")},
        timeout=WAIT,
    )

    assert (direct.status_code, posted.status_code) == (201, 204)
    first, second = await next_message(ws), await next_message(ws)
    assert (first["type"], first["id"], first["data"]["width"]) == (
        "photo.ready",
        direct.json()["id"],
        40,
    )
    assert (second["type"], second["id"]) == ("photo.ready", started.json()["photo"]["id"])
    assert (second["data"]["status"], second["data"]["width"]) == ("ready", 64)
    await ws.close()


async def test_a_browser_connects_with_a_single_use_ticket(live: Live) -> None:
    response = await asyncio.to_thread(live.http, "POST", "/v1/realtime/tickets", "alice")
    url = response.json()["url"]

    assert url.startswith(live.ws + "?ticket=")
    async with connect(url, subprotocols=["pets.v1"]) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == "pets.v1"
        await quiet(ws)
        created = await asyncio.to_thread(
            live.http, "POST", "/v1/pets", "alice", json={"name": "Tom", "species": "cat"}
        )
        assert (await next_message(ws))["id"] == created.json()["id"]
    with pytest.raises(InvalidStatus) as reused:
        await connect(url)
    assert reused.value.response.status_code == 403


@pytest.mark.parametrize("headers", [{}, {"x-api-key": "nope.nope"}])
async def test_without_a_usable_key_or_ticket_the_handshake_is_refused(
    live: Live, headers: dict[str, str]
) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await connect(live.ws, additional_headers=headers)

    assert refused.value.response.status_code == 403
    assert json.loads(bytes(refused.value.response.body or b"")) == {"message": "Forbidden"}


async def test_the_per_key_connection_limit_refuses_with_429(live: Live) -> None:
    sockets = [await open_socket(live, "bob") for _ in range(MAX_PER_KEY)]
    with pytest.raises(InvalidStatus) as refused:
        await open_socket(live, "bob")
    await sockets[0].close()
    await asyncio.sleep(0)  # $disconnect frees a place (asserted below, waited for there)
    for _ in range(WAIT * 10):
        try:
            sockets.append(await open_socket(live, "bob"))
            break
        except InvalidStatus:
            await asyncio.sleep(0.1)

    assert refused.value.response.status_code == 429
    assert json.loads(bytes(refused.value.response.body or b"")) == {
        "message": "Too Many Connections"
    }
    assert len(sockets) == MAX_PER_KEY + 1
    for ws in sockets:
        await ws.close()


async def test_revoking_the_key_closes_its_socket(live: Live) -> None:
    doomed = await open_socket(live, "doomed")
    survivor = await open_socket(live, "alice")
    await quiet(doomed)
    prefix = live.keys["doomed"].split(".")[0]

    await asyncio.to_thread(
        live.shell,
        "from apps.api_keys.models import APIKey; from apps.api_keys.services import "
        f"api_key_revoke; api_key_revoke(key=APIKey.objects.get(prefix={prefix!r}))",
    )

    with pytest.raises(ConnectionClosed):
        await asyncio.wait_for(doomed.recv(), WAIT)
    await quiet(survivor)
    assert (await asyncio.to_thread(live.http, "GET", "/v1/pets", "doomed")).status_code == 403
    await survivor.close()


def rows(live: Live, key: str) -> int:
    prefix = live.keys[key].split(".")[0]
    return int(
        live.shell(
            "from apps.realtime.models import Connection; "
            f"print(Connection.objects.filter(key__prefix={prefix!r}).count())"
        )
    )


async def test_a_vanished_client_is_forgotten(live: Live) -> None:
    ws = await open_socket(live, "alice-2")
    await quiet(ws)
    before = await asyncio.to_thread(rows, live, "alice-2")
    ws.transport.abort()  # no close frame: the network just drops it

    for _ in range(WAIT * 10):
        if await asyncio.to_thread(rows, live, "alice-2") == before - 1:
            break
        await asyncio.sleep(0.1)
    assert await asyncio.to_thread(rows, live, "alice-2") == before - 1


def add_lost_connection(live: Live, connection_id: str, silent_minutes: int = 0) -> None:
    """A row whose $disconnect never came: the gateway has no such connection."""
    prefix = live.keys["alice"].split(".")[0]
    endpoint = live.ws.replace("ws://", "http://")
    live.shell(
        "import datetime; from django.utils import timezone; "
        "from apps.api_keys.models import APIKey; from apps.realtime.models import Connection; "
        f"key = APIKey.objects.get(prefix={prefix!r}); "
        f"seen = timezone.now() - datetime.timedelta(minutes={silent_minutes}); "
        f"Connection.objects.create(connection_id={connection_id!r}, owner=key.owner, key=key, "
        f"endpoint={endpoint!r}, subscriptions=['*'], connected_at=seen, last_seen_at=seen)"
    )


def exists(live: Live, connection_id: str) -> bool:
    return (
        live.shell(
            "from apps.realtime.models import Connection; "
            f"print(Connection.objects.filter(pk={connection_id!r}).exists())"
        )
        == "True"
    )


async def test_a_push_to_a_lost_connection_forgets_it(live: Live) -> None:
    await asyncio.to_thread(add_lost_connection, live, "lostlostlostlos=")
    ws = await open_socket(live, "alice")
    await quiet(ws)

    await asyncio.to_thread(
        live.http, "POST", "/v1/pets", "alice", json={"name": "Kit", "species": "cat"}
    )

    assert (await next_message(ws))["type"] == "pet.created"  # the live one still gets it
    assert not await asyncio.to_thread(exists, live, "lostlostlostlos=")
    await ws.close()


async def test_the_sweep_forgets_silent_connections_the_gateway_no_longer_holds(live: Live) -> None:
    await asyncio.to_thread(add_lost_connection, live, "sweptsweptswept=", 11)

    output = await asyncio.to_thread(_manage, live.env, "realtime_sweep")

    assert "gone: 1" in output
    assert not await asyncio.to_thread(exists, live, "sweptsweptswept=")


async def test_oversized_and_bad_messages(live: Live) -> None:
    async with await open_socket(live, "alice") as ws:
        await ws.send("{not json")
        assert (await next_message(ws))["type"] == "error"
        await ws.send(json.dumps({"action": "dance"}))
        assert (await next_message(ws))["type"] == "error"
        await ws.send(json.dumps({"action": "ping", "pad": "x" * 40_000}))  # one 40 KB frame
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), WAIT)
        assert ws.close_code == 1009


def test_make_run_prints_the_websocket_url(live: Live) -> None:
    # `make run` is this command with the local settings; the banner precedes the first answer.
    assert f"  Live:   {live.ws} (x-api-key header" in live.output.read_text()
