"""Scale simulation: 64 Lambda-style handler processes on PostgreSQL, with and without a pooler.

Each worker is a forked process that has run the Lambda init phase (`lambda_runtime.handler`
with production settings) and then serves one request at a time with its own persistent
database connection, like one warm Lambda execution environment. PgBouncer in transaction
mode (Debian's package, started here on a free loopback port with its own configuration in
a temporary directory, stopped at the end) stands in for RDS Proxy; a throwaway
redis-server stands in for ElastiCache. The database is a scratch one of its own
(`bench_scale`), dropped at the end.

Phases, interleaved so the machine's noise hits each side alike (pooled phases bracket the
direct ones; the two pooled runs are the A/A control):

1. `GET /v1/pets/{id}` with a key per process (many keys): pooled, direct, direct, pooled,
   and pooled with CONN_MAX_AGE=0 (a new client connection per request): connections the
   server saw, requests/s, p50/p99, errors.
2. The metering path alone (`admit()` of the configured usage store, one UPDATE each) from
   16 processes: one hot key and a key per process, with the database store and with the
   Redis store, in two mirrored rounds; then one key flooded far beyond its plan's rate,
   where the Redis store refuses without writing to the database.
3. The container variant: 2 gunicorn-like workers x 4 threads with Django's psycopg pool,
   with persistent per-thread connections, and through PgBouncer (pool phase twice, A/A).
4. Quota exactness: 64 processes through the pooler against one key with a quota; exactly
   the quota must be admitted (the exit status says PASS or FAIL).

Run: ``make bench-scale`` (or ``.venv/bin/python benchmarks/bench_scale.py --seconds 5``).
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import pgbouncer  # noqa: E402
from tests.lambda_runtime import events  # noqa: E402

HOST = "localhost"
DATABASE = "bench_scale"
# PostgreSQL keeps 3 connections for superusers; other engineers share the server.
HEADROOM = 10
# Direct connections are told apart from PgBouncer's (idle) server connections by this name.
DIRECT_APPLICATION = "bench-scale-direct"
FORK = multiprocessing.get_context("fork")


@dataclass
class Phase:
    name: str
    target: str  # "http" or "meter"
    via: str  # "pooler" or "direct"
    processes: int
    keys: str  # "many", "hot", "flood" or "quota"
    store: str = "db"  # "db" or "redis"
    conn_max_age: int = 60
    requests_each: int | None = None  # a fixed count instead of the time limit
    threads: int = 1  # > 1: a threaded worker (the container's gunicorn gthread)


@dataclass
class Result:
    phase: Phase
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    server_connections: int = 0
    sessions_opened: int = 0
    machine_busy: float = 0.0

    @property
    def done(self) -> int:
        return len(self.latencies_ms)

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return math.nan
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# --- Setup ---------------------------------------------------------------------------------


def psql_dsn(args: argparse.Namespace, dbname: str) -> dict[str, Any]:
    return {"host": args.pg_host, "port": args.pg_port, "user": args.pg_user, "dbname": dbname}


def recreate_database(args: argparse.Namespace) -> None:
    import psycopg

    with psycopg.connect(**psql_dsn(args, args.maintenance_db), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{DATABASE}"')


def drop_database(args: argparse.Namespace) -> None:
    import psycopg

    with psycopg.connect(**psql_dsn(args, args.maintenance_db), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def connections_in_use(args: argparse.Namespace) -> tuple[int, int]:
    """(client connections on the whole server, max_connections)."""
    import psycopg

    with psycopg.connect(**psql_dsn(args, args.maintenance_db), autocommit=True) as admin:
        used = admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
        ).fetchone()
        limit = admin.execute("SHOW max_connections").fetchone()
    return int(used[0]) if used else 0, int(limit[0]) if limit else 0


def configure_django(args: argparse.Namespace, workdir: Path) -> None:
    """Production settings on the scratch database; the Lambda init phase runs here, once."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "gatewayproject.settings.production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": HOST,
            "DJANGO_STATIC_ROOT": str(workdir / "static"),
            "DJANGO_LOG_LEVEL": "ERROR",
            "DATABASE_URL": (f"postgres://{args.pg_user}@{args.pg_host}:{args.pg_port}/{DATABASE}"),
            "DATABASE_POOLER": "none",
            "REDIS_URL": "",
        }
    )
    for name in ("DATABASE_PASSWORD", "DATABASE_SECRET_ARN", "DATABASE_IAM_AUTH"):
        os.environ.pop(name, None)
    (workdir / "static").mkdir()
    import lambda_runtime.handler  # noqa: F401  (the init phase: django.setup(), URLconf)


def seed(processes: int, quota: int) -> dict[str, Any]:
    """A user with a pet; keys: one per process, a hot one, a flooded one, a quota one."""
    from decimal import Decimal

    from django.contrib.auth.models import User
    from django.core.management import call_command

    from apps.api_keys.models import UsagePlan
    from apps.api_keys.services import api_key_create
    from apps.pets.models import Pet

    call_command("migrate", verbosity=0)
    user = User.objects.create_user("bench")
    pet = Pet.objects.create(owner=user, name="Rex", species="dog")
    roomy = UsagePlan.objects.create(
        name="Roomy", rate=Decimal("999999"), burst=1_000_000, limit=None
    )
    flood = UsagePlan.objects.create(name="Flood", rate=Decimal("50"), burst=50, limit=None)
    quota_plan = UsagePlan.objects.create(
        name="Quota", rate=Decimal("999999"), burst=1_000_000, limit=quota
    )

    def key(plan: Any, name: str) -> tuple[int, str]:
        made, raw = api_key_create(owner=user, plan=plan, name=name)
        return made.pk, raw

    return {
        "pet": pet.pk,
        "many": [key(roomy, f"worker {n}") for n in range(processes)],
        "hot": key(roomy, "hot"),
        "flood": key(flood, "flood"),
        "quota": key(quota_plan, "quota"),
    }


@contextmanager
def redis_server() -> Iterator[str]:
    """A private redis-server on a free loopback port, no persistence; stopped at the end."""
    executable = shutil.which("redis-server")
    if executable is None:
        raise SystemExit("redis-server is not installed (Debian: apt-get install redis-server)")
    port = pgbouncer.free_port()
    with tempfile.TemporaryDirectory(prefix="bench-redis-") as tmp:
        command = [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "no", "--dir", tmp]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL)  # noqa: S603
        try:
            import redis

            client = redis.Redis(port=port)
            for _ in range(200):
                try:
                    client.ping()
                    break
                except redis.ConnectionError:
                    time.sleep(0.05)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            process.terminate()
            process.wait(timeout=10)


# --- The workers ---------------------------------------------------------------------------


def _connect_as(phase: Phase, bouncer_port: int, args: argparse.Namespace) -> None:
    """Point this process's connection at the pooler or the server, as production would."""
    from django.db import connections

    from gatewayproject.settings.base import configure_pooling

    settings = connections["default"].settings_dict
    settings["OPTIONS"] = {}
    settings.pop("DISABLE_SERVER_SIDE_CURSORS", None)
    settings["CONN_MAX_AGE"] = phase.conn_max_age
    if phase.via == "pooler":
        settings.update(HOST="127.0.0.1", PORT=bouncer_port)
        configure_pooling(settings, "proxy")
    elif phase.via == "psycopg":
        settings.update(HOST=args.pg_host, PORT=args.pg_port)
        settings["OPTIONS"]["application_name"] = DIRECT_APPLICATION
        configure_pooling(settings, "psycopg", pool={"min_size": 1, "max_size": 4, "timeout": 10})
    else:
        settings.update(HOST=args.pg_host, PORT=args.pg_port)
        settings["OPTIONS"]["application_name"] = DIRECT_APPLICATION


def _use_store(phase: Phase, redis_url: str) -> None:
    from django.conf import settings

    url = redis_url if phase.store == "redis" else ""
    settings.API_KEYS = {**settings.API_KEYS, "REDIS_URL": url, "REDIS_KEY_PREFIX": "benchscale"}


def _operation(phase: Phase, key: tuple[int, str], pet: int) -> Callable[[], str]:
    """One unit of work: a handler call (-> status) or one admission (-> outcome)."""
    if phase.target == "http":
        from lambda_runtime.handler import handler

        event = json.dumps(
            events.http_api(path=f"/v1/pets/{pet}", headers={"x-api-key": key[1]}, host=HOST)
        )

        def request() -> str:
            response = handler(json.loads(event), None)
            if response["statusCode"] == 429:
                return "429 " + json.loads(response["body"]).get("message", "")
            return str(response["statusCode"])

        return request

    from django.db import close_old_connections

    from apps.api_keys import conf, throttling
    from apps.api_keys.models import APIKey

    api_key = APIKey.objects.select_related("plan", "meter").get(pk=key[0])
    store = throttling.get_usage_store()

    def admit() -> str:
        close_old_connections()  # what Django does at each request's start and end
        admission = store.admit(key=api_key, now=conf.now())
        return "admitted" if admission.admitted else f"refused {admission.reason}"

    return admit


def worker(
    phase: Phase, key: tuple[int, str], context: dict[str, Any], barrier: Any, send: Any
) -> None:
    from django.db import connections

    if phase.threads > 1:
        return threaded_worker(phase, key, context, barrier, send)
    latencies: list[float] = []
    outcomes: Counter[str] = Counter()
    errors: list[str] = []
    try:
        _connect_as(phase, context["bouncer_port"], context["args"])
        _use_store(phase, context["redis_url"])
        operation = _operation(phase, key, context["pet"])
        if phase.keys != "quota":
            operation()  # a warm environment: connected, first request served
        barrier.wait(timeout=120)
        _serve(phase, operation, context["seconds"], latencies, outcomes, errors)
    except BaseException as exc:
        errors.append(repr(exc)[:200])
    finally:
        connections.close_all()
        send.send({"latencies": latencies, "outcomes": dict(outcomes), "errors": errors[:5]})
    return None


def threaded_worker(
    phase: Phase, key: tuple[int, str], context: dict[str, Any], barrier: Any, send: Any
) -> None:
    """One container worker: `phase.threads` threads serving requests at once, each with
    Django's per-thread connection (persistent, or borrowed from the process's pool)."""
    from django.db import connections

    latencies: list[float] = []
    outcomes: Counter[str] = Counter()
    errors: list[str] = []
    ready = threading.Barrier(phase.threads + 1)
    merge = threading.Lock()

    def serve() -> None:
        mine: tuple[list[float], Counter[str], list[str]] = ([], Counter(), [])
        try:
            operation = _operation(phase, key, context["pet"])
            operation()
            ready.wait(timeout=120)
            ready.wait(timeout=120)  # released with the other processes
            _serve(phase, operation, context["seconds"], *mine)
        except BaseException as exc:
            mine[2].append(repr(exc)[:200])
        finally:
            connections.close_all()
            with merge:
                latencies.extend(mine[0])
                outcomes.update(mine[1])
                errors.extend(mine[2])

    try:
        _connect_as(phase, context["bouncer_port"], context["args"])
        _use_store(phase, context["redis_url"])
        threads = [threading.Thread(target=serve) for _ in range(phase.threads)]
        for thread in threads:
            thread.start()
        ready.wait(timeout=120)
        barrier.wait(timeout=120)
        ready.wait(timeout=120)
        for thread in threads:
            thread.join()
    except BaseException as exc:
        errors.append(repr(exc)[:200])
    finally:
        send.send({"latencies": latencies, "outcomes": dict(outcomes), "errors": errors[:5]})


def _serve(
    phase: Phase,
    operation: Callable[[], str],
    seconds: float,
    latencies: list[float],
    outcomes: Counter[str],
    errors: list[str],
) -> None:
    """Requests one at a time until the deadline (or the phase's count)."""
    from django.db import connections

    deadline = time.perf_counter() + seconds
    count = 0
    while (
        count < phase.requests_each
        if phase.requests_each is not None
        else time.perf_counter() < deadline
    ):
        started = time.perf_counter()
        try:
            outcomes[operation()] += 1
        except Exception as exc:
            errors.append(repr(exc)[:200])
            connections.close_all()
        latencies.append((time.perf_counter() - started) * 1000)
        count += 1


# --- Phases --------------------------------------------------------------------------------


def _sessions(args: argparse.Namespace) -> int:
    """Server sessions ever opened on the scratch database (pg_stat_database, PostgreSQL 14+)."""
    import psycopg

    with psycopg.connect(**psql_dsn(args, args.maintenance_db), autocommit=True) as admin:
        admin.execute("SELECT pg_stat_force_next_flush()")
        row = admin.execute(
            "SELECT sessions FROM pg_stat_database WHERE datname = %s", [DATABASE]
        ).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _cpu_times() -> tuple[int, int]:
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def _sample_connections(
    args: argparse.Namespace, direct: bool, stop: threading.Event, seen: list[int]
) -> None:
    """Server connections to the scratch database: the workers' own (direct phases) or the
    pooler's (pooled phases), sampled every 20 ms."""
    import psycopg

    query = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND backend_type = "
        "'client backend' AND pid <> pg_backend_pid() AND (application_name = %s) = %s"
    )
    with psycopg.connect(**psql_dsn(args, args.maintenance_db), autocommit=True) as watcher:
        while not stop.is_set():
            row = watcher.execute(query, [DATABASE, DIRECT_APPLICATION, direct]).fetchone()
            seen.append(int(row[0]) if row else 0)
            stop.wait(0.02)


def run_phase(phase: Phase, context: dict[str, Any], seeded: dict[str, Any]) -> Result:
    from django.db import connections

    args = context["args"]
    if phase.via in ("direct", "psycopg"):
        used, limit = connections_in_use(args)
        if used + phase.processes + HEADROOM > limit:
            return Result(
                phase,
                0.0,
                errors=[f"skipped: {used} of {limit} server connections in use by others"],
            )
    keys = {
        "many": seeded["many"][: phase.processes],
        "hot": [seeded["hot"]] * phase.processes,
        "flood": [seeded["flood"]] * phase.processes,
        "quota": [seeded["quota"]] * phase.processes,
    }[phase.keys]
    if phase.keys == "many":
        keys = [seeded["many"][n % len(seeded["many"])] for n in range(phase.processes)]
    connections.close_all()
    barrier = FORK.Barrier(phase.processes + 1)
    pipes, children = [], []
    for key in keys:
        receive, send = FORK.Pipe(duplex=False)
        child = FORK.Process(target=worker, args=(phase, key, context, barrier, send))
        child.start()
        pipes.append(receive)
        children.append(child)
    stop, seen = threading.Event(), [0]
    sampler = threading.Thread(
        target=_sample_connections, args=(args, phase.via != "pooler", stop, seen)
    )
    sampler.start()
    barrier.wait(timeout=300)
    sessions0 = _sessions(args)
    busy0, total0 = _cpu_times()
    started = time.perf_counter()
    answers = [pipe.recv() if pipe.poll(600) else None for pipe in pipes]
    elapsed = time.perf_counter() - started
    busy1, total1 = _cpu_times()
    stop.set()
    sampler.join()
    for child in children:
        child.join(timeout=30)
    time.sleep(1.0)  # backends report their stats when idle (PGSTAT_MIN_INTERVAL)
    result = Result(phase, elapsed, server_connections=max(seen))
    result.sessions_opened = _sessions(args) - sessions0
    result.machine_busy = (busy1 - busy0) / max(1, total1 - total0)
    for answer in answers:
        if answer is None:
            result.errors.append("a worker did not answer")
            continue
        result.latencies_ms += answer["latencies"]
        result.outcomes.update(answer["outcomes"])
        result.errors += answer["errors"]
    return result


def phases(args: argparse.Namespace) -> list[Phase]:
    n, m = args.processes, args.meter_processes
    pooled = Phase("http pooled (A)", "http", "pooler", n, "many")
    direct = Phase("http direct (B)", "http", "direct", n, "many")
    plan = [pooled, direct, Phase("http direct (B2)", "http", "direct", n, "many")]
    plan += [Phase("http pooled (A2)", "http", "pooler", n, "many")]
    plan += [Phase("http pooled, CONN_MAX_AGE=0", "http", "pooler", n, "many", conn_max_age=0)]
    meter = [
        Phase("meter db, one key", "meter", "pooler", m, "hot"),
        Phase("meter redis, one key", "meter", "pooler", m, "hot", "redis"),
        Phase("meter db, many keys", "meter", "pooler", m, "many"),
        Phase("meter redis, many keys", "meter", "pooler", m, "many", "redis"),
    ]
    plan += meter + [
        Phase(p.name + " (2)", p.target, p.via, p.processes, p.keys, p.store) for p in meter[::-1]
    ]
    plan += [
        Phase("meter db, one key flooded", "meter", "pooler", m, "flood"),
        Phase("meter redis, one key flooded", "meter", "pooler", m, "flood", "redis"),
    ]
    # The container as the template runs it: 2 gunicorn gthread workers x 4 threads; Django's
    # psycopg pool (4 a worker), persistent connections per thread, or PgBouncer.
    workers, threads = 2, 4
    plan += [
        Phase("container psycopg pool", "http", "psycopg", workers, "many", threads=threads),
        Phase("container per-thread conns", "http", "direct", workers, "many", threads=threads),
        Phase("container pooled (PgBouncer)", "http", "pooler", workers, "many", threads=threads),
        Phase("container psycopg pool (2)", "http", "psycopg", workers, "many", threads=threads),
    ]
    each = math.ceil(3 * args.quota / n)
    plan += [Phase("quota exactness", "http", "pooler", n, "quota", requests_each=each)]
    return plan


# --- Report --------------------------------------------------------------------------------


def report(results: list[Result], args: argparse.Namespace, load: dict[str, Any]) -> bool:
    print(
        f"\nbench_scale: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{platform.processor() or platform.machine()}"
    )
    before, after = ({"1/5/15 min": [round(x, 1) for x in load[k]]} for k in ("before", "after"))
    print(f"load average before {before}, after {after}")
    print(f"PgBouncer {load['pgbouncer']} pool_size={args.pool_size}, {args.seconds}s per phase\n")
    header = f"{'phase':34} {'procs':>5} {'conns':>5} {'new':>5} {'req/s':>8} {'p50 ms':>7}"
    header += f" {'p99 ms':>7}"
    header += f" {'busy':>5} errors  outcomes"
    print(header)
    print("-" * len(header))
    for r in results:
        outcome = ", ".join(f"{k}: {v}" for k, v in sorted(r.outcomes.items()))
        print(
            f"{r.phase.name:34} {r.phase.processes * r.phase.threads:5d} "
            f"{r.server_connections:5d} {r.sessions_opened:5d} {r.rate:8.0f} "
            f"{r.percentile(0.5):7.2f} {r.percentile(0.99):7.2f} {r.machine_busy:5.0%} "
            f"{len(r.errors):6d}  {outcome}"
        )
        for error in r.errors[:2]:
            print(f"{'':36}! {error}")
    quota = next((r for r in results if r.phase.keys == "quota"), None)
    if quota is None:
        print("\nQuota exactness: not run (--only)")
        return True
    admitted = quota.outcomes.get("200", 0)
    exact = (
        admitted == args.quota
        and not quota.errors
        and quota.done == quota.phase.processes * (quota.phase.requests_each or 0)
        and set(quota.outcomes) == {"200", "429 Limit Exceeded"}
    )
    print(
        f"\nQuota exactness through the pooler ({quota.phase.processes} processes, "
        f"{quota.done} requests, quota {args.quota}): {admitted} admitted -> "
        f"{'PASS' if exact else 'FAIL'}"
    )
    return exact


def ratio(results: list[Result], top: str, bottom: str) -> float:
    rates = {r.phase.name: r.rate for r in results}
    return rates.get(top, math.nan) / rates[bottom] if rates.get(bottom) else math.nan


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=64)
    parser.add_argument("--meter-processes", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--pool-size", type=int, default=8)
    parser.add_argument("--quota", type=int, default=500)
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", type=int, default=5432)
    parser.add_argument("--pg-user", default="postgres")
    parser.add_argument("--maintenance-db", default="postgres")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--only", action="append", help="run only the phases whose name starts with this"
    )
    args = parser.parse_args()
    if pgbouncer.binary() is None:
        print("pgbouncer is not installed (Debian: apt-get install pgbouncer)", file=sys.stderr)
        return 2
    version = subprocess.run(  # noqa: S603
        [str(pgbouncer.binary()), "--version"], capture_output=True, text=True, check=False
    ).stdout.split("\n")[0]
    load = {"before": os.getloadavg(), "pgbouncer": version}
    recreate_database(args)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
            configure_django(args, Path(tmp))
            seeded = seed(args.processes, args.quota)
            with (
                redis_server() as redis_url,
                pgbouncer.pgbouncer(
                    databases=[DATABASE],
                    server=(args.pg_host, args.pg_port),
                    user=args.pg_user,
                    pool_size=args.pool_size,
                ) as bouncer,
            ):
                context = {
                    "args": args,
                    "bouncer_port": bouncer.port,
                    "redis_url": redis_url,
                    "pet": seeded["pet"],
                    "seconds": args.seconds,
                }
                results = []
                for phase in phases(args):
                    if args.only and not phase.name.startswith(tuple(args.only)):
                        continue
                    print(f"  {phase.name} ...", file=sys.stderr, flush=True)
                    results.append(run_phase(phase, context, seeded))
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(args)
    load["after"] = os.getloadavg()
    exact = report(results, args, load)
    print(
        f"pooled / direct throughput: {ratio(results, 'http pooled (A)', 'http direct (B)'):.2f}x "
        f"and {ratio(results, 'http pooled (A2)', 'http direct (B2)'):.2f}x; "
        f"A/A (pooled A2 / A): {ratio(results, 'http pooled (A2)', 'http pooled (A)'):.2f}x; "
        f"B/B: {ratio(results, 'http direct (B2)', 'http direct (B)'):.2f}x"
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                [
                    {
                        "phase": r.phase.name,
                        "processes": r.phase.processes,
                        "server_connections": r.server_connections,
                        "sessions_opened": r.sessions_opened,
                        "requests_per_second": round(r.rate, 1),
                        "p50_ms": round(r.percentile(0.5), 3),
                        "p99_ms": round(r.percentile(0.99), 3),
                        "machine_busy": round(r.machine_busy, 3),
                        "errors": r.errors[:5],
                        "outcomes": dict(r.outcomes),
                    }
                    for r in results
                ],
                indent=1,
            )
        )
    return 0 if exact else 1


if __name__ == "__main__":
    sys.exit(main())
