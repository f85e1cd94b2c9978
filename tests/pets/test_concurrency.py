"""Lost updates through a real server: 16 clients holding the same ETag write at once, and
exactly one wins (the check and the write are one conditional statement). Runs on the
session's database: SQLite (make test-sqlite) and PostgreSQL (make test-postgres)."""

from __future__ import annotations

import http.client
import time
from collections import Counter
from collections.abc import Callable

import httpx
import pytest

from tests.servers import CLIENTS, Server, at_once
from tests.servers import migrated_sqlite as migrated_sqlite  # fixtures
from tests.servers import real_server as real_server

pytestmark = pytest.mark.django_db(transaction=True)


def a_pet(server: Server) -> tuple[str, str]:
    with server.client() as client:
        created = client.post("/v1/pets", json={"name": "Rex", "species": "dog"})
    assert created.status_code == 201, created.text
    return f"/v1/pets/{created.json()['id']}", created.headers["etag"]


def test_sixteen_puts_with_one_tag_exactly_one_wins(real_server: Callable[..., Server]) -> None:
    server = real_server()
    path, etag = a_pet(server)

    def put(client: httpx.Client, n: int) -> httpx.Response:
        body = {"name": "Rex", "species": "dog", "notes": f"client {n}"}
        return client.put(path, json=body, headers={"If-Match": etag})

    responses = at_once(server, put)

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: 1, 412: CLIENTS - 1}, statuses
    winner = next(r for r in responses if r.status_code == 200)
    with server.client() as client:
        now = client.get(path)
    assert now.json()["version"] == 2
    assert now.json()["notes"] == winner.json()["notes"]
    assert {r.headers["etag"] for r in responses} == {now.headers["etag"]}
    assert {r.json()["message"] for r in responses if r.status_code == 412} == {
        "Precondition Failed"
    }


def test_sixteen_writers_and_deleters_with_one_tag_exactly_one_wins(
    real_server: Callable[..., Server],
) -> None:
    server = real_server()
    path, etag = a_pet(server)

    def write(client: httpx.Client, n: int) -> int:
        headers = {"If-Match": etag}
        if n % 2:
            return client.delete(path, headers=headers).status_code
        return client.patch(path, json={"notes": f"client {n}"}, headers=headers).status_code

    statuses = Counter(at_once(server, write))

    winners = statuses[200] + statuses[204]
    assert winners == 1, statuses
    # The others saw the tag go stale (412) or, after the delete, the pet gone (404).
    assert set(statuses) - {200, 204} <= {412, 404}, statuses
    with server.client() as client:
        after = client.get(path)
    if statuses[204]:
        assert after.status_code == 404
    else:
        assert after.json()["version"] == 2


def test_a_client_connection_stays_open_while_it_waits_at_the_barrier(
    real_server: Callable[..., Server],
) -> None:
    # at_once connects every client before its barrier; on a busy machine the wait there
    # outlasted gunicorn's default keep-alive (2 s), and a request sent as the server closed
    # the idle connection was reset. The same connection must still serve after such a wait.
    server = real_server()
    connection = http.client.HTTPConnection(server.url.removeprefix("http://"), timeout=60)
    try:
        connection.request("GET", "/health")
        first = connection.getresponse()
        first.read()
        assert first.status == 200
        opened = connection.sock
        time.sleep(4)  # idle for twice the default keep-alive
        connection.request("GET", "/health")  # on the same socket (http.client never retries)
        second = connection.getresponse()
        second.read()
        assert second.status == 200
        assert connection.sock is opened
    finally:
        connection.close()
