"""Chunked request bodies (no Content-Length): read when the server decoded them, a JSON 411
when it cannot tell where they end (runserver), a JSON 413 past API Gateway's 10 MB.

gunicorn itself: tests/project/test_container.py; rungateway:
tests/localgateway/test_rungateway.py (test_chunked_upload_arrives_whole).
"""

from __future__ import annotations

import http.client
import io
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from apps.common import wsgi
from apps.common.wsgi import ChunkedBodyMiddleware
from tests.localgateway.test_rungateway import ROOT, free_port


class Echo:
    """A WSGI app that records the environ and body it was given."""

    def __init__(self) -> None:
        self.environ: dict[str, Any] = {}
        self.body = b""

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        self.environ = environ
        self.body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]


def call(app: Any, environ: dict[str, Any]) -> tuple[str, dict[str, str], bytes]:
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"], seen["headers"] = status, dict(headers)

    body = b"".join(app(environ, start_response))
    return seen["status"], seen["headers"], body


def chunked_environ(body: bytes, *, terminated: bool = True) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "HTTP_TRANSFER_ENCODING": "chunked",
        "wsgi.input": io.BytesIO(body),  # as gunicorn hands it over: chunks already decoded
    }
    if terminated:
        environ["wsgi.input_terminated"] = True
    return environ


def test_a_decoded_chunked_body_reaches_the_app_with_a_length() -> None:
    app = Echo()

    status, _, _ = call(ChunkedBodyMiddleware(app), chunked_environ(b'{"name": "Rex"}'))

    assert status == "200 OK"
    assert app.body == b'{"name": "Rex"}'
    assert app.environ["CONTENT_LENGTH"] == "15"
    assert "HTTP_TRANSFER_ENCODING" not in app.environ


def test_a_body_with_a_length_is_left_alone() -> None:
    app = Echo()
    environ = {"REQUEST_METHOD": "POST", "CONTENT_LENGTH": "2", "wsgi.input": io.BytesIO(b"hi")}

    call(ChunkedBodyMiddleware(app), environ)

    assert app.environ is environ
    assert app.body == b"hi"


def test_a_server_that_cannot_end_the_body_gets_a_json_411() -> None:
    app = Echo()

    status, headers, body = call(
        ChunkedBodyMiddleware(app), chunked_environ(b"whatever", terminated=False)
    )

    assert status == "411 Length Required"
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"message": "Length Required"}
    assert app.environ == {}  # Never reached Django.


def test_a_body_past_the_limit_is_a_json_413_and_closes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wsgi, "MAX_BODY_BYTES", 1000)
    app = Echo()
    stream = io.BytesIO(b"x" * 5000)
    environ = chunked_environ(b"")
    environ["wsgi.input"] = stream

    status, headers, body = call(ChunkedBodyMiddleware(app), environ)

    assert status == "413 Request Too Long"
    assert headers["Connection"] == "close"
    assert json.loads(body) == {"message": "Request Too Long"}
    assert app.environ == {}
    assert stream.tell() == 5000  # Drained, so the client still sending sees the answer.


def test_a_large_body_is_spooled_to_disk_not_held_in_memory() -> None:
    app = Echo()
    size = wsgi.SPOOL_BYTES * 3

    call(ChunkedBodyMiddleware(app), chunked_environ(b"y" * size))

    assert len(app.body) == size
    assert app.environ["wsgi.input"]._rolled  # SpooledTemporaryFile moved to a real file


# --- runserver ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def runserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    tmp = tmp_path_factory.mktemp("runserver")
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gatewayproject.settings.local",
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(600):
            if server.poll() is not None:
                raise RuntimeError("runserver exited")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_runserver_answers_a_chunked_body_with_a_json_411(runserver: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", runserver, timeout=60)
    try:
        # Only the head: the server answers 411 without reading a chunk and closes. Chunks
        # sent meanwhile would race that close (a broken pipe, or a reset that loses the
        # answer), so the body never goes: the answer depends on the head alone.
        conn.putrequest("POST", "/v1/pets")
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()

    assert response.status == 411
    assert response.getheader("content-type") == "application/json"
    assert json.loads(body) == {"message": "Length Required"}
    assert response.getheader("connection") == "close"
