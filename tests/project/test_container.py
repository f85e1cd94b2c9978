"""The container answers like the gateway: gunicorn with infra/gunicorn.conf.py and the
production settings accepts what API Gateway passes on, reads chunked bodies, and answers
whatever it still refuses itself in JSON."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.localgateway.test_rungateway import ROOT, free_port
from tests.photos.images import png
from tests.subprocesses import manage_commands

# API Gateway (HTTP API): request line and header values together up to 10,240 bytes.
# https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html
GATEWAY_HEADER_BYTES = 10_240


@dataclass
class Container:
    port: int
    key: str

    def request(
        self,
        method: str,
        path: str,
        body: bytes | Iterable[bytes] | None = None,
        headers: dict[str, str] | None = None,
        *,
        chunked: bool = False,
    ) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers or {}, encode_chunked=chunked)
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()

    def raw(self, data: bytes) -> tuple[int, dict[str, str], bytes]:
        """Send bytes as they are (no client library to tidy them up); the parsed answer."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=60) as sock:
            sock.sendall(data)
            received = b""
            while chunk := sock.recv(65536):
                received += chunk
        head, _, body = received.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines)}
        return int(status_line.split()[1]), headers, body


@pytest.fixture(scope="module")
def container(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    tmp: Path = tmp_path_factory.mktemp("container")
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gatewayproject.settings.local",
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "DJANGO_MEDIA_ROOT": str(tmp / "media"),
        "DJANGO_STATIC_ROOT": str(tmp / "static"),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    *_, key = manage_commands(
        env,
        ("migrate", "--noinput", "-v0"),
        ("collectstatic", "--noinput", "-v0"),
        ("create_api_key", "--user", "c", "--create-user", "--plan", "Default"),
    )
    key = key.strip()
    production = {
        **env,
        "DJANGO_SETTINGS_MODULE": "gatewayproject.settings.production",
        "DJANGO_SECRET_KEY": "container-test-" + "x" * 50,
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
    }
    log = (tmp / "gunicorn.log").open("wb")
    app = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "infra/gunicorn.conf.py",
            "gatewayproject.wsgi:application",
        ],
        cwd=ROOT,
        env=production,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(600):
            if app.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {(tmp / 'gunicorn.log').read_text()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield Container(port, key)
    finally:
        app.terminate()
        try:
            app.wait(timeout=20)
        except subprocess.TimeoutExpired:
            app.kill()
        log.close()


def _json(body: bytes) -> object:
    return json.loads(body)


# --- Limits: nothing the gateway passes is refused ------------------------------------------


def test_a_request_line_the_gateway_accepts_is_served(container: Container) -> None:
    path = "/health?pad=" + "a" * 9_000  # gunicorn's default refused 4,094+ (414)

    status, _, body = container.request("GET", path)

    assert status == 200
    assert _json(body) == {"status": "ok"}


def test_a_header_the_gateway_accepts_is_served(container: Container) -> None:
    status, _, _ = container.request("GET", "/health", headers={"x-pad": "b" * 10_000})

    assert status == 200  # gunicorn's default refused one over 8,190 bytes (431)


def test_more_than_100_headers_are_served(container: Container) -> None:
    headers = {f"x-h{n}": "v" for n in range(300)}

    status, _, _ = container.request("GET", "/health", headers=headers)

    assert status == 200  # gunicorn's default refused a 101st header (431)


# --- What gunicorn still refuses is JSON ---------------------------------------------------


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        pytest.param(
            b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header: x\r\n\r\n",
            400,
            id="header-name",
        ),
        pytest.param(b"GET /health HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n", 400, id="version"),
        pytest.param(
            b"GET /health\x00 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400, id="request-line"
        ),
        pytest.param(
            b"POST /v1/pets HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Transfer-Encoding: chunked\r\n\r\nzz\r\n",
            400,
            id="chunk-size",
        ),
    ],
)
def test_gunicorns_own_refusals_are_json(
    container: Container, request_bytes: bytes, status: int
) -> None:
    answered, headers, body = container.raw(request_bytes)

    assert answered == status
    assert headers["content-type"] == "application/json"
    message = _json(body)
    assert isinstance(message, dict)
    assert set(message) == {"message"}


# --- Chunked bodies ----------------------------------------------------------------------------


def test_a_chunked_json_post_is_read(container: Container) -> None:
    body = json.dumps({"name": "Chunky", "species": "cat"}).encode()
    chunks = [body[:10], body[10:]]
    headers = {"x-api-key": container.key, "content-type": "application/json"}

    status, _, answer = container.request("POST", "/v1/pets", iter(chunks), headers, chunked=True)

    assert status == 201, answer
    assert _json(answer)["name"] == "Chunky"  # type: ignore[index]


def test_a_chunked_photo_upload_is_read(container: Container) -> None:
    image = png((64, 48))
    headers = {"x-api-key": container.key, "content-type": "image/png"}

    status, _, answer = container.request(
        "POST", "/v1/photos", iter([image]), headers, chunked=True
    )

    assert status == 201, answer
    assert _json(answer)["width"] == 64  # type: ignore[index]


def test_a_chunked_upload_over_the_direct_limit_is_413(container: Container) -> None:
    megabyte = b"\0" * 1024 * 1024
    headers = {"x-api-key": container.key, "content-type": "image/png"}

    status, _, answer = container.request(
        "POST", "/v1/photos", iter([megabyte] * 5), headers, chunked=True
    )

    assert status == 413
    message = _json(answer)["message"]  # type: ignore[index]
    assert message.startswith("Request Too Long: the file is larger than 4194304 bytes.")


def test_a_chunked_body_over_the_gateways_10_mb_is_413(container: Container) -> None:
    megabyte = b"\0" * 1024 * 1024
    headers = {"x-api-key": container.key, "content-type": "application/json"}

    status, headers_out, answer = container.request(
        "POST", "/v1/pets", iter([megabyte] * 11), headers, chunked=True
    )

    assert status == 413
    assert headers_out.get("Content-Type") == "application/json"
    assert _json(answer) == {"message": "Request Too Long"}
