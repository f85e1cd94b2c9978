"""Load test: 16 concurrent flood-PNG uploads against the container settings.

    make load-photos        # or: .venv/bin/python benchmarks/load_photos.py [--clients 16]

Starts gunicorn with infra/gunicorn.conf.py (2 workers x 4 threads, as the task runs) and
the production settings on a throwaway PostgreSQL database of its own (PG_URL, default
postgres://postgres@127.0.0.1:5432/test; dropped at the end), then sends `--clients`
direct uploads at once, twice: the issue's 6300x6300 RGBA flood PNG (39.7 MP, ~150 KB) and
the largest RGBA flood the memory budget accepts (3500x3500). It samples the resident
memory of gunicorn's whole process tree every 20 ms and reports the peak against the
task's 1 GiB (infra/template.yaml), and each request's status and time against API
Gateway's 30 s. Exit status 1 if either bound is broken. Bounded: every request has a
60 s client timeout, and gunicorn is stopped whatever happens.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
TASK_MEMORY_MIB = 1024  # infra/template.yaml: the container task's Memory
GATEWAY_TIMEOUT_S = 30.0


def flood_png(side: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (side, side), (200, 30, 30, 255)).save(out, "PNG")
    return out.getvalue()


def tree_rss_mib(root_pid: int) -> float:
    """Resident memory of a process and all its descendants."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            status = (entry / "status").read_text()
        except OSError:
            continue
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss[pid] = int(line.split()[1])
    total, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total / 1024


class Sampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0.0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, tree_rss_mib(self.pid))
            self.stop.wait(0.02)


def database(pg_url: str) -> tuple[str, str]:
    """A database of our own on the server at `pg_url`: (its URL, its name)."""
    name = f"load_photos_{os.getpid()}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urllib.parse.urlsplit(pg_url)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}")), name


def drop(pg_url: str, name: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(env: dict[str, str], *args: str) -> str:
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout


def start(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "infra/gunicorn.conf.py",
            "gatewayproject.wsgi:application",
        ],
        cwd=ROOT,
        env={**env, "PORT": str(port)},
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
    server.terminate()
    raise RuntimeError(f"gunicorn did not come up: {log.read_text()[-2000:]}")


def burst(port: int, key: str, body: bytes, clients: int) -> list[tuple[int, float]]:
    def one(_: int) -> tuple[int, float]:
        started = time.perf_counter()
        response = httpx.post(
            f"http://127.0.0.1:{port}/v1/photos",
            content=body,
            headers={"x-api-key": key, "content-type": "image/png"},
            timeout=60,
        )
        return response.status_code, time.perf_counter() - started

    with ThreadPoolExecutor(clients) as pool:
        return list(pool.map(one, range(clients)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument(
        "--pg-url", default=os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432/test")
    )
    args = parser.parse_args()
    url, name = database(args.pg_url)
    ok = True
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "gatewayproject.settings.production",
                "DJANGO_SECRET_KEY": "load-test-only-" + "x" * 50,
                "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
                "DJANGO_SECURE_SSL_REDIRECT": "false",
                "DATABASE_URL": url,
                "DJANGO_MEDIA_ROOT": f"{tmp}/media",
                "DJANGO_STATIC_ROOT": f"{tmp}/static",
                "DJANGO_LOG_LEVEL": "WARNING",
            }
            manage(env, "migrate", "--noinput", "-v0")
            manage(env, "collectstatic", "--noinput", "-v0")
            manage(
                env,
                "shell",
                "-c",
                "from django.contrib.auth.models import User; User.objects.create_user('load')",
            )
            key = manage(env, "create_api_key", "--user", "load", "--plan", "Default").strip()
            port = 18000 + os.getpid() % 1000
            server = start(env, port, Path(tmp) / "gunicorn.log")
            try:
                idle = tree_rss_mib(server.pid)
                print(
                    f"gunicorn (2 workers x 4 threads) idle: {idle:.0f} MiB; task memory "
                    f"{TASK_MEMORY_MIB} MiB; load {os.getloadavg()[0]:.1f}"
                )
                for side in (6300, 3500):
                    body = flood_png(side)
                    sampler = Sampler(server.pid)
                    sampler.start()
                    results = burst(port, key, body, args.clients)
                    sampler.stop.set()
                    sampler.join()
                    seconds = [s for _, s in results]
                    statuses = sorted({s for s, _ in results})
                    within = sampler.peak < TASK_MEMORY_MIB and max(seconds) < GATEWAY_TIMEOUT_S
                    ok = ok and within
                    print(
                        f"  {args.clients} x {side}x{side} RGBA PNG ({len(body) // 1024} KB): "
                        f"status {statuses}, time p50 {statistics.median(seconds):.1f} s, "
                        f"max {max(seconds):.1f} s; peak RSS {sampler.peak:.0f} MiB "
                        f"({'within' if within else 'OVER'} the bounds)"
                    )
            finally:
                server.terminate()
                server.wait(timeout=30)
    finally:
        drop(args.pg_url, name)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
