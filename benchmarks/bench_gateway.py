"""Benchmark: GET /v1/pets/{id} through `rungateway` against `runserver` and gunicorn.

Three servers run the same app on one SQLite file with the same settings, each on its own
loopback port:

- ``gateway``: `manage.py rungateway` (uvicorn, payload-2.0 events, the Lambda handler in
  threads), stage `/prod`, route throttling lifted so it measures the request path only;
- ``runserver``: Django's development server (threaded, no reload);
- ``gunicorn``: one gthread worker with 8 threads, the same shape as the gateway (one
  process, threads sharing the GIL), serving `gatewayproject.wsgi:application`.

A load generator in this process keeps 8 clients busy (one thread and one keep-alive
connection each); targets are measured in interleaved rounds, so machine noise hits all
alike. It reports requests/s and p50/p99 latency per target and the ratio of the gateway
to gunicorn at p50 (target: at most 1.5).

Run: ``make bench-gateway`` (or ``.venv/bin/python benchmarks/bench_gateway.py --rounds 6``).
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1.5
SEED = """
from django.contrib.auth.models import User
from apps.api_keys.models import UsagePlan
from apps.api_keys.services import api_key_create
from apps.pets.models import Pet
user = User.objects.create_user("bench")
plan = UsagePlan.objects.create(name="Bench", rate=100_000, burst=1_000_000)
key, raw = api_key_create(owner=user, plan=plan, name="bench")
pet = Pet.objects.create(owner=user, name="Rex", species="dog")
print(pet.pk, raw)
"""


@dataclass
class Target:
    name: str
    port: int
    path: str
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    requests: int = 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(workdir: Path, database_url: str | None) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gatewayproject.settings.local",
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": database_url or f"sqlite:///{workdir / 'bench.sqlite3'}",
        "DJANGO_MEDIA_ROOT": str(workdir / "media"),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_LOG_LEVEL": "WARNING",
        "REDIS_URL": "",
    }


def create_postgres_database(url: str, prefix: str = "bench_gateway") -> str:
    """A throwaway database `<prefix>_<pid>` on the server at `url`; its URL."""
    import psycopg

    name = f"{prefix}_{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return url.rsplit("/", 1)[0] + f"/{name}"


def drop_postgres_database(url: str, database_url: str) -> None:
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def start_servers(env: dict[str, str], ports: dict[str, int]) -> list[subprocess.Popen[bytes]]:
    python = sys.executable
    commands = {
        "gateway": [
            python,
            "manage.py",
            "rungateway",
            f"127.0.0.1:{ports['gateway']}",
            "--parameter",
            "ThrottlingRateLimit=1000000",
            "--parameter",
            "ThrottlingBurstLimit=1000000",
        ],
        "runserver": [
            python,
            "manage.py",
            "runserver",
            f"127.0.0.1:{ports['runserver']}",
            "--noreload",
            "--skip-checks",
        ],
        "gunicorn": [
            python,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{ports['gunicorn']}",
            "--workers",
            "1",
            "--worker-class",
            "gthread",
            "--threads",
            "8",
            "gatewayproject.wsgi:application",
        ],
    }
    return [
        subprocess.Popen(  # noqa: S603
            command,
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for command in commands.values()
    ]


def wait_for(target: Target, headers: dict[str, str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", target.port, timeout=2)
            connection.request("GET", target.path, headers=headers)
            status = connection.getresponse().status
            connection.close()
            if status == 200:
                return
            raise SystemExit(f"{target.name} answered {status} for {target.path}")
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{target.name} did not start")


def client(target: Target, headers: dict[str, str], count: int, out: list[float]) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", target.port, timeout=30)
    for _ in range(count):
        started = time.perf_counter()
        connection.request("GET", target.path, headers=headers)
        response = connection.getresponse()
        response.read()
        out.append(time.perf_counter() - started)
        if response.status != 200:
            raise SystemExit(f"{target.name}: HTTP {response.status}")
    connection.close()


def run_round(target: Target, headers: dict[str, str], clients: int, per_client: int) -> None:
    results: list[list[float]] = [[] for _ in range(clients)]
    threads = [
        threading.Thread(target=client, args=(target, headers, per_client, results[i]))
        for i in range(clients)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    target.seconds += time.perf_counter() - started
    for latencies in results:
        target.latencies += latencies
        target.requests += len(latencies)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=150, help="per client per round")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="serve from PostgreSQL (e.g. postgres://postgres@127.0.0.1:5432/postgres): a "
        "throwaway database is created there; SQLite makes the 8 clients queue for its one "
        "write lock (each request meters its key)",
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-gateway-"))
    database_url = create_postgres_database(args.postgres) if args.postgres else None
    env = environment(workdir, database_url)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)  # noqa: S603
    seeded = subprocess.run(  # noqa: S603
        [*manage, "shell", "-c", SEED],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    # The last line: `shell` may print its automatic imports first.
    seeded = seeded.strip().splitlines()[-1].split()
    pet_id, key = seeded[0], seeded[1]
    headers = {"x-api-key": key, "host": "127.0.0.1"}
    ports = {name: free_port() for name in ("gateway", "runserver", "gunicorn")}
    targets = [
        Target("gateway", ports["gateway"], f"/prod/v1/pets/{pet_id}"),
        Target("runserver", ports["runserver"], f"/v1/pets/{pet_id}"),
        Target("gunicorn", ports["gunicorn"], f"/v1/pets/{pet_id}"),
    ]
    servers = start_servers(env, ports)
    try:
        for target in targets:
            wait_for(target, headers)
            run_round(target, headers, args.clients, 20)  # warm-up, not recorded
            target.latencies.clear()
            target.seconds, target.requests = 0.0, 0
        for _ in range(args.rounds):
            for target in targets:
                run_round(target, headers, args.clients, args.requests)
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)
        if database_url:
            drop_postgres_database(args.postgres, database_url)

    report(targets, args)
    gateway, gunicorn = targets[0], targets[2]
    ratio = percentile(gateway.latencies, 0.5) / percentile(gunicorn.latencies, 0.5)
    print(
        f"\ngateway / gunicorn at p50: {ratio:.2f}x (target <= {TARGET_RATIO}x): "
        + ("met" if ratio <= TARGET_RATIO else "NOT met")
    )
    return 0


def report(targets: list[Target], args: argparse.Namespace) -> None:
    database = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"GET /v1/pets/{{id}} on {database}, {args.clients} concurrent clients, keep-alive, "
        f"{args.rounds} interleaved rounds x {args.clients * args.requests} requests"
    )
    print(
        f"python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f}\n"
    )
    print(f"{'target':<10} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for target in targets:
        rate = target.requests / target.seconds
        p50, p99 = percentile(target.latencies, 0.5), percentile(target.latencies, 0.99)
        print(f"{target.name:<10} {rate:>8.0f} {p50:>8.2f} {p99:>8.2f}")


if __name__ == "__main__":
    sys.exit(main())
