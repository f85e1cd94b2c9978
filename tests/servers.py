"""A real server for concurrency proofs: gunicorn (4 processes x 4 threads) on the session's
database, and 16 clients that send their requests at one barrier.

On SQLite the server gets a throwaway database file of its own (a test's in-memory database
is invisible to other processes); on PostgreSQL it serves the test database itself, which a
transactional test commits to and flushes afterwards. Each worker thread has its own
database connection, as separate Lambda instances or container tasks would.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = 16
BARRIER_WAIT = 120  # seconds a client waits at the barrier for the others
KEEP_ALIVE = BARRIER_WAIT + 60  # seconds the server keeps an idle connection

SETUP = """
from django.contrib.auth.models import User
from apps.api_keys.models import UsagePlan
from apps.api_keys.services import api_key_create
plan = UsagePlan.objects.create(name="Roomy", rate=100000, burst=100000, limit=None)
owner = User.objects.create_user("concurrency")
print(api_key_create(owner=owner, plan=plan, name="proof")[1])
"""


@dataclass
class Server:
    url: str
    key: str

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"x-api-key": self.key}, timeout=60)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _database_url(tmp_path: Path) -> str:
    if connection.vendor == "postgresql":
        settings = connection.settings_dict
        user, host, port = settings["USER"], settings["HOST"] or "127.0.0.1", settings["PORT"]
        password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
        return f"postgres://{user}{password}@{host}:{port or 5432}/{settings['NAME']}"
    return f"sqlite:///{tmp_path / 'server.sqlite3'}"


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _wait(url: str, process: subprocess.Popen[bytes]) -> None:
    # Generous: a busy machine may take a while to start four workers.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def _server_env(database_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gatewayproject.settings.local",
        "DJANGO_DEBUG": "false",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url,
        "DJANGO_MEDIA_ROOT": str(tmp_path / "media"),
        "REDIS_URL": "",
        **extra,
    }


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, made once per session; each server gets a copy."""
    tmp = tmp_path_factory.mktemp("server-db")
    path = tmp / "migrated.sqlite3"
    _manage(_server_env(f"sqlite:///{path}", tmp), "migrate", "--noinput", "-v0")
    return path


@pytest.fixture
def real_server(
    transactional_db: None, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Server]]:
    """Start gunicorn on the session's database (extra environment variables allowed)."""
    processes: list[subprocess.Popen[bytes]] = []
    database_url = _database_url(tmp_path)
    if connection.vendor == "sqlite":
        shutil.copyfile(request.getfixturevalue("migrated_sqlite"), tmp_path / "server.sqlite3")

    def start(**extra_env: str) -> Server:
        env = _server_env(database_url, tmp_path, **extra_env)
        key = _manage(env, "shell", "-c", SETUP).strip().splitlines()[-1]
        port = _free_port()
        command = [sys.executable, "-m", "gunicorn", "gatewayproject.wsgi:application"]
        command += ["--bind", f"127.0.0.1:{port}", "--workers", "4", "--threads", "4"]
        # Each client connects before the barrier and may wait there a while on a busy
        # machine: gunicorn's default keep-alive (2 s) would close its idle connection, and
        # a request sent as the server closes it is reset. Keep them for longer than the wait.
        command += ["--worker-class", "gthread", "--timeout", "120"]
        command += ["--keep-alive", str(KEEP_ALIVE)]
        process = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        processes.append(process)
        url = f"http://127.0.0.1:{port}"
        _wait(f"{url}/health", process)
        return Server(url, key)

    yield start
    for process in processes:  # Before the test database is flushed: no connection is left.
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def at_once(server: Server, send: Callable[[httpx.Client, int], Any]) -> list[Any]:
    """CLIENTS threads, each with its own connection, call `send(client, n)` together."""
    barrier = threading.Barrier(CLIENTS)
    results: list[Any] = [None] * CLIENTS
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            with server.client() as client:
                client.get("/health")  # connected before the barrier
                barrier.wait(timeout=BARRIER_WAIT)
                results[index] = send(client, index)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    return results
