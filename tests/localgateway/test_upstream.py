"""Private-integration mode: rungateway --upstream proxies to a running app server with the
stage stripped, as the template's VPC-link path mapping does, with the gateway rules in front."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import web
from tests.localgateway.test_rungateway import ROOT, free_port, run_rungateway, start, stop
from tests.subprocesses import wait_for_http


@pytest.fixture(scope="module")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The Django app behind a plain HTTP server, as the container runs it."""
    database = tmp_path_factory.mktemp("upstream") / "db.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gatewayproject.settings.local",
        "DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "manage.py",
            "runserver",
            f"127.0.0.1:{port}",
            "--noreload",
            "--skip-checks",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    wait_for_http(f"{url}/health", process)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def gateway(app_server: str) -> Iterator[str]:
    process, url = start("--upstream", app_server, "--parameter", "EnableContainerVariant=true")
    yield url
    stop(process)


def test_stage_is_stripped_before_the_upstream(gateway: str) -> None:
    response = web.get(f"{gateway}/prod/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["apigw-requestid"]


def test_gateway_rules_apply_in_front(gateway: str) -> None:
    assert web.get(f"{gateway}/health").status_code == 404  # outside the stage
    too_big = web.post(f"{gateway}/prod/v1/pets", content=b"x" * (10 * 1024 * 1024 + 1))
    assert too_big.status_code == 413
    preflight = web.options(
        f"{gateway}/prod/v1/pets",
        headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "https://app.example.com"


def test_app_errors_pass_through(gateway: str) -> None:
    response = web.get(f"{gateway}/prod/v1/nothing")

    assert response.status_code == 404
    assert response.json() == {"message": "Not Found"}


def test_unreachable_upstream_is_503() -> None:
    process, url = start("--upstream", f"http://127.0.0.1:{free_port()}")
    try:
        response = web.get(f"{url}/prod/health")
    finally:
        stop(process)

    assert response.status_code == 503
    assert response.json() == {"message": "Service Unavailable"}


def test_upstream_must_be_a_url() -> None:
    result = run_rungateway(
        "--upstream",
        "ftp://x",
        "--template",
        str(Path(__file__).parent / "fixtures" / "template.yaml"),
    )

    assert result.returncode != 0
    assert "--upstream needs an http(s) URL" in result.stderr
