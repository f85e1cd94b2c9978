"""`manage.py rungateway` as a real server: bad input gets API Gateway's answer and the
server keeps serving; slow requests do not block others; worker-process isolation."""

from __future__ import annotations

import contextlib
import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import pytest
import uvicorn
from django.conf import settings
from django.core.management import load_command_class
from django.test import override_settings

from tests import web
from tests.localgateway.conftest import TEMPLATE
from tests.subprocesses import SERVER_START_S

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(*args: str, template: Path = TEMPLATE) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gatewayproject.settings.test",
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",  # the banner is readable while the server runs
    }
    process = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "manage.py",
            "rungateway",
            f"127.0.0.1:{port}",
            "--template",
            str(template),
            *args,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process, f"http://127.0.0.1:{port}"
        except OSError:
            if process.poll() is not None:
                output = process.stdout.read().decode() if process.stdout else "exited"
                raise RuntimeError(output) from None
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("rungateway did not start")


def stop(process: subprocess.Popen[bytes]) -> str:
    process.terminate()
    try:
        out, _ = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        out, _ = process.communicate()
    return out.decode()


def run_rungateway_process(*args: str) -> subprocess.CompletedProcess[str]:
    """Run `manage.py rungateway` to completion in a new interpreter (the end-to-end proof)."""
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "rungateway", *args],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "gatewayproject.settings.test"},
        capture_output=True,
        text=True,
        # A bound against a hang only: under two test suites at once (load 30) a start-up
        # that refuses its arguments took over 60 s.
        timeout=SERVER_START_S,
        check=False,
    )


@dataclass
class Refusal:
    returncode: int
    stderr: str


def run_rungateway(*args: str) -> Refusal:
    """`manage.py rungateway ARGS` for arguments it must refuse, in this process.

    The command's own argument parser and CommandError handling run as from the command line
    (`run_from_argv`: the message on stderr, exit status 1, no traceback), without a new
    interpreter and Django start-up per case; `test_manage_py_refuses_bad_arguments` covers
    the real `manage.py`. A start that is not refused fails here instead of serving, and
    what the command changes in the environment or settings is undone.
    """
    stderr = io.StringIO()
    with (
        contextlib.redirect_stderr(stderr),
        mock.patch.dict(os.environ),
        override_settings(API_KEYS=settings.API_KEYS),
        mock.patch.object(
            uvicorn.Server, "run", side_effect=AssertionError("rungateway started serving")
        ),
    ):
        command = load_command_class("localgateway", "rungateway")  # writes to `stderr`
        try:
            command.run_from_argv(["manage.py", "rungateway", *args])
        except SystemExit as exit_:
            code = exit_.code
            return Refusal(code if isinstance(code, int) else 1, stderr.getvalue())
    return Refusal(0, stderr.getvalue())


# The integration timeout the servers below run with: far above what any request here takes,
# even on a loaded machine, so only a handler held past it times out (a 503, as the function
# timeout is longer still: see `roomy_template`).
TIMEOUT_S = "10"


@pytest.fixture(scope="module")
def roomy_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test template with a 60 s function timeout instead of 2 s."""
    path = tmp_path_factory.mktemp("template") / "template.yaml"
    text = TEMPLATE.read_text()
    assert "    Timeout: 2\n" in text
    path.write_text(text.replace("    Timeout: 2\n", "    Timeout: 60\n"))
    return path


def read_banner(process: subprocess.Popen[bytes]) -> str:
    """What a started rungateway printed up to its last banner line (already written: the
    banner comes before the socket listens, and the output is unbuffered)."""
    assert process.stdout is not None
    lines: list[str] = []
    while len(lines) < 30 and not (lines and lines[-1].startswith("Quit")):
        lines.append(process.stdout.readline().decode())  # "" once it exits: bounded anyway
    return "".join(lines)


@pytest.fixture(scope="module")
def started_gateway(roomy_template: Path) -> Iterator[tuple[str, str]]:
    """One server for the module's tests (they only send requests): its URL and banner."""
    process, url = start(
        "--handler", "tests.localgateway.handlers.echo", "--timeout", TIMEOUT_S,
        template=roomy_template,
    )  # fmt: skip
    banner = read_banner(process)
    yield url, banner
    stop(process)


@pytest.fixture
def gateway(started_gateway: tuple[str, str]) -> str:
    return started_gateway[0]


def wait_for(path: Path) -> None:
    """Until a held handler has started (it touches the file): a bound only against hangs."""
    deadline = time.monotonic() + 60
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.01)


def raw(url: str, payload: bytes, *, read: bool = True) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(payload)
        if not read:
            return b""
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


def still_serving(url: str) -> bool:
    return web.get(f"{url}/prod/v1/pets").status_code == 200


def test_serves_through_the_lambda_path(gateway: str) -> None:
    response = web.get(f"{gateway}/prod/v1/pets?x=1&x=2")

    assert response.status_code == 200
    assert response.json()["queryStringParameters"] == {"x": "1,2"}
    assert response.headers["apigw-requestid"]


def test_a_20_mb_body_is_413_and_the_server_keeps_serving(gateway: str) -> None:
    response = web.post(f"{gateway}/prod/v1/photos", content=b"x" * (20 * 1024 * 1024))

    assert response.status_code == 413
    assert response.json() == {"message": "Request Too Long"}
    assert still_serving(gateway)


def test_a_16_kb_header_is_rejected_and_the_server_keeps_serving(gateway: str) -> None:
    response = web.get(f"{gateway}/prod/v1/pets", headers={"x-big": "b" * 16 * 1024})

    assert response.status_code == 431
    assert response.json() == {"message": "Request Header Fields Too Large"}
    assert still_serving(gateway)


def test_percent_encoded_invalid_utf8_in_the_path_reaches_the_handler_decoded(
    gateway: str,
) -> None:
    response = raw(gateway, b"GET /prod/v1/%FF%FE HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")

    assert response.startswith(b"HTTP/1.1 200")
    # Decoded as an HTTP API does; bytes that are not UTF-8 become U+FFFD.
    assert b'"rawPath": "/prod/v1/\\ufffd\\ufffd"' in response
    assert still_serving(gateway)


def test_raw_non_ascii_bytes_in_the_request_line_are_a_400(gateway: str) -> None:
    response = raw(
        gateway, b"GET /prod/v1/\xff\xfe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )

    assert response.startswith(b"HTTP/1.1 400")
    assert still_serving(gateway)


def test_chunked_upload_arrives_whole(gateway: str) -> None:
    body = b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    request = (
        b"POST /prod/v1/notes HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + body
    )

    response = raw(gateway, request)

    assert response.startswith(b"HTTP/1.1 200")
    assert b'"body": "hello world"' in response


def test_a_client_that_disconnects_mid_body_does_not_hurt(gateway: str) -> None:
    raw(
        gateway,
        b"POST /prod/v1/pets HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\npartial",
        read=False,
    )

    assert still_serving(gateway)


def test_a_handler_past_the_timeout_is_503_and_the_server_keeps_serving(
    gateway: str, tmp_path: Path
) -> None:
    # Held until after the timeout: it cannot finish in time, however fast the machine.
    response = web.get(f"{gateway}/prod/v1/hold", params={"dir": str(tmp_path)}, timeout=60)
    (tmp_path / "release").touch()

    assert response.status_code == 503
    assert response.json() == {"message": "Service Unavailable"}
    assert still_serving(gateway)


def test_a_slow_request_does_not_block_others(gateway: str, tmp_path: Path) -> None:
    with ThreadPoolExecutor(max_workers=6) as pool:
        slow = pool.submit(
            web.get, f"{gateway}/prod/v1/hold", params={"dir": str(tmp_path)}, timeout=60
        )
        wait_for(tmp_path / "started")
        fast = [pool.submit(web.get, f"{gateway}/prod/v1/pets", timeout=60) for _ in range(5)]
        statuses = [future.result().status_code for future in fast]
        # All five were answered while the slow handler was still running (it runs until
        # released), which no ordering of a blocking server could do.
        slow_was_running = not slow.done()
        (tmp_path / "release").touch()
        assert slow.result().status_code == 200

    assert statuses == [200] * 5
    assert slow_was_running


def test_a_non_dict_result_gets_the_gateway_answer() -> None:
    process, url = start("--handler", "tests.localgateway.handlers.non_dict")
    try:
        response = web.get(f"{url}/prod/anything")
        failing = web.get(f"{url}/prod/anything")
    finally:
        output = stop(process)

    assert response.status_code == failing.status_code == 200
    assert response.json() == [1, 2, 3]
    assert output.count('"status":"200"') == 2  # one access-log line each


def test_isolate_runs_the_handler_in_worker_processes_and_replaces_a_timed_out_one(
    roomy_template: Path, tmp_path: Path
) -> None:
    # A new worker's start-up counts against the timeout, so the timeout is generous; the
    # held request cannot finish in time however fast the machine is.
    process, url = start(
        "--handler", "tests.localgateway.handlers.echo", "--isolate", "2", "--timeout", TIMEOUT_S,
        template=roomy_template,
    )  # fmt: skip
    try:
        first = web.get(f"{url}/prod/v1/pets", timeout=60)
        timed_out = web.get(f"{url}/prod/v1/hold", params={"dir": str(tmp_path)}, timeout=60)
        after = web.get(f"{url}/prod/v1/pets", timeout=60)
    finally:
        stop(process)

    assert (tmp_path / "started").exists()  # the held request did reach a worker
    assert first.status_code == after.status_code == 200
    assert timed_out.status_code == 503
    assert int(first.headers["x-handler-pid"]) != process.pid
    # Each worker initialises as a Lambda instance started by a request does.
    assert first.headers["x-initialization-type"] == "on-demand"
    # The worker that served `first` took the held request and was killed; a new one answered.
    assert after.headers["x-handler-pid"] != first.headers["x-handler-pid"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Resources: {}\n", "expected one AWS::Serverless::HttpApi"),
        # Malformed YAML: the parser's complaint and where, not a traceback.
        ("Resources:\n  Api: [\n", "line 3, column 1: expected the node content"),
    ],
)
def test_a_bad_template_is_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    bad = tmp_path / "template.yaml"
    bad.write_text(text)

    result = run_rungateway("--template", str(bad))

    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_the_banner_prints_the_urls_and_how_to_get_a_key(started_gateway: tuple[str, str]) -> None:
    url, output = started_gateway

    assert f"API:    {url}/prod/v1/pets" in output
    assert f"Docs:   {url}/prod/v1/docs" in output
    assert f"Admin:  {url}/prod/admin/" in output
    assert "create_api_key --user me --create-user" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["[::1]:3000"], "IPv6 addresses are not supported"),
        (["127.0.0.1:99999"], "is not ADDR:PORT"),
        (["--parameter", "oops"], "--parameter needs KEY=VALUE"),
    ],
)
def test_bad_arguments_are_clear_errors(args: list[str], message: str) -> None:
    result = run_rungateway(*args, "--template", str(TEMPLATE))

    assert result.returncode != 0
    assert message in result.stderr


def test_manage_py_refuses_bad_arguments() -> None:
    """The command line end to end: a new interpreter, manage.py, the message, no traceback."""
    result = run_rungateway_process("[::1]:3000", "--template", str(TEMPLATE))

    assert result.returncode == 1
    assert "CommandError: IPv6 addresses are not supported" in result.stderr
    assert "Traceback" not in result.stderr


def test_payload_format_1_routes_are_refused(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(
        TEMPLATE.read_text().replace(
            "            Path: /{proxy+}\n",
            "            Path: /{proxy+}\n            PayloadFormatVersion: '1.0'\n",
        )
    )

    result = run_rungateway("--template", str(template))

    assert result.returncode != 0
    assert "payload format 1.0" in result.stderr


REST_TEMPLATE = Path(__file__).parent / "fixtures" / "rest.yaml"


@pytest.mark.parametrize(
    "args",
    [["--parameter", "FrontDoor=RestApi"], ["--api", "RestApi"]],
    ids=["from-the-template-parameters", "named"],
)
def test_the_rest_api_variant_serves_rest_events(args: list[str]) -> None:
    process, url = start(*args, template=REST_TEMPLATE)
    try:
        event = web.get(f"{url}/prod/health").json()
        refused = web.get(f"{url}/prod/v1/pets")
    finally:
        output = stop(process)

    assert "REST API RestApi (stage prod" in output
    assert event["resource"] == "/{proxy+}"
    assert event["requestContext"]["path"] == "/prod/health"
    assert refused.status_code == 403
    assert refused.json() == {"message": "Forbidden"}


def test_the_rest_api_refuses_the_container_variant() -> None:
    result = run_rungateway(
        "--template", str(REST_TEMPLATE), "--api", "RestApi", "--upstream", "http://127.0.0.1:1"
    )

    assert result.returncode != 0
    assert "--upstream serves the container variant" in result.stderr
