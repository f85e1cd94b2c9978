"""Benchmark: the container's keyed GET /v1/pets/{id}: gunicorn sync, gthread and the WSGI floor.

Issue 13, point 5. One run, PostgreSQL (a throwaway database, dropped at the end), the
production settings as the container runs them (``gatewayproject.settings.production``,
Django's psycopg pool per process, ``DJANGO_SCRIPT_NAME``, the gateway's forwarded-proto
header, the JSON access line at INFO), one seeded pet and a metered API key on a plan no
run can exhaust. Variants, measured in interleaved rounds (the order shuffled per round):

- ``floor-1x1``, ``floor-1x8``: the same WSGI application (``gatewayproject.wsgi``) called
  in-process, no HTTP, by 1 and by 8 threads; ``floor-WxT``: W such processes of T threads,
  the gunicorn workers' shape without the server.
- ``sync-W``: gunicorn with ``infra/gunicorn.conf.py``, ``--worker-class sync``, W workers
  (the config's ``WEB_CONCURRENCY`` default, what the Dockerfile's CMD starts); ``sync-N``:
  gunicorn's suggested 2 x CPUs + 1 workers. A sync worker closes every connection.
- ``gthread-WxT``: the same config with ``--worker-class gthread``, W workers x T threads
  (the config's defaults), keep-alive.
- ``...-aa``: the container's own configuration (whatever the config file's defaults are)
  started a second time: the A/A control.

The HTTP variants share one load generator in this process: 8 clients, one keep-alive
connection each (a new one after a ``Connection: close``), raw sockets on one selector, so
the client costs the same for every server. The floor variants have no client at all.
Reported per variant: requests/s, p50 and p99 latency, the server processes' CPU per
request (from /proc), the client's, and ratios over ``floor-1x8`` (medians of per-round
ratios).

``--db-delay-ms 0,1,5`` puts a TCP proxy (``tests.faults.FaultProxy``, in a process of its
own) between every variant and PostgreSQL that holds each chunk that many milliseconds in
each direction, as a network to the database would (RDS in the same AZ: about 0.3-1 ms a
round trip); the rounds then interleave every (delay, variant) pair, the proxy's delay set
before each measurement, and each delay gets its own table, over its own ``floor-1x8``,
with the database round trips per request the proxy counted. Without it the variants
connect to PostgreSQL directly, as before.

``--instructions N`` then counts instructions per request under callgrind in one serving
process each (``floor-1x1``, ``floor-1xT``, ``sync-1``, ``gthread-1xT``): the counters are
zeroed after a warm-up and dumped after N requests (the floor through its stdin, a gunicorn
worker through a control path its config wrapper answers before the app). Exact on a loaded
machine, but user space only: the kernel's connect, accept and close, and time spent
waiting on the database, are not in it.

Run: ``make bench-container`` (or ``.venv/bin/python benchmarks/bench_container.py --rounds 6``).
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import os
import platform
import random
import re
import selectors
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from bench_gateway import create_postgres_database, drop_postgres_database

ROOT = Path(__file__).resolve().parent.parent
CONF = ROOT / "infra" / "gunicorn.conf.py"
APP = "gatewayproject.wsgi:application"
REFERENCE = "floor-1x8"
SEED = """
from django.contrib.auth.models import User
from apps.api_keys.models import UsagePlan
from apps.api_keys.services import api_key_create
from apps.pets.models import Pet
user = User.objects.create_user("bench")
plan = UsagePlan.objects.create(
    name="Bench", rate=100_000, burst=100_000, limit=10**12, period="DAY"
)
_, raw = api_key_create(owner=user, plan=plan, name="bench")
print(Pet.objects.create(owner=user, name="Rex", species="dog").pk, raw)
"""
# What API Gateway's VPC-link integration adds (infra/template.yaml, ContainerIntegration):
# the settings trust this header for the scheme, so without it every request is redirected.
PROXY_HEADER = ("X-Gateway-Forwarded-Proto", "https")


@dataclass
class Variant:
    name: str
    kind: str  # "floor" (in-process WSGI) or "gunicorn"
    processes: int
    threads: int
    worker_class: str = ""
    port: int = 0
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)  # ms
    seconds: float = 0.0
    requests: int = 0
    server_cpu: float = 0.0  # seconds, every process of the variant
    client_cpu: float = 0.0  # seconds, this process's load generator
    rounds: list[tuple[float, float]] = field(default_factory=list)  # (req/s, p50 ms)
    delay_ms: float | None = None  # what the database proxy adds each way; None: no proxy
    db_chunks: int = 0  # client -> database chunks the proxy relayed: about the round trips

    def at_delay(self, delay_ms: float) -> Variant:
        """The same running servers, measured separately at another database delay."""
        return replace(self, latencies=[], seconds=0.0, requests=0, server_cpu=0.0,
                       client_cpu=0.0, rounds=[], delay_ms=delay_ms, db_chunks=0)  # fmt: skip


# --- The plan --------------------------------------------------------------------------------


def container_config() -> tuple[str, int, int]:
    """(worker class, workers, threads) that infra/gunicorn.conf.py gives the Dockerfile's CMD."""
    spec = importlib.util.spec_from_file_location("gunicorn_conf", CONF)
    if spec is None or spec.loader is None:
        raise SystemExit(f"bench: cannot load {CONF}")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    threads = int(getattr(conf, "threads", 1)) if conf.worker_class == "gthread" else 1
    return str(conf.worker_class), int(conf.workers), threads


def plan(config: tuple[str, int, int], cpus: int, aa: bool = True) -> list[Variant]:
    """Every variant in a fixed order; the A/A twin repeats the container's own shape."""
    worker_class, workers, threads = config
    gthread_threads = threads if worker_class == "gthread" else 4
    suggested = 2 * cpus + 1  # gunicorn's documented starting point for sync workers
    variants = [
        Variant("floor-1x1", "floor", 1, 1),
        Variant("floor-1x8", "floor", 1, 8),
        Variant(f"floor-{workers}x{gthread_threads}", "floor", workers, gthread_threads),
        Variant(f"sync-{workers}", "gunicorn", workers, 1, "sync"),
        Variant(f"sync-{suggested}", "gunicorn", suggested, 1, "sync"),
        Variant(f"gthread-{workers}x{gthread_threads}", "gunicorn", workers, gthread_threads,
                "gthread"),
    ]  # fmt: skip
    unique = list({v.name: v for v in variants}.values())
    if aa:
        own = next(v for v in unique if v.kind == "gunicorn" and v.worker_class == worker_class)
        unique.append(
            Variant(f"{own.name}-aa", "gunicorn", own.processes, own.threads, own.worker_class)
        )
    return unique


# --- The load generator ----------------------------------------------------------------------


CONTENT_LENGTH = re.compile(r"\r\ncontent-length:\s*(\d+)")


@dataclass
class Client:
    """One keep-alive HTTP/1.1 client; reconnects when the server closes after a response."""

    port: int
    request: bytes
    left: int
    sock: socket.socket | None = None
    buffer: bytes = b""
    started: float = 0.0

    def send(self, selector: selectors.BaseSelector) -> None:
        self.started = time.perf_counter()  # a reconnect is part of the request's time
        if self.sock is None:
            self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            selector.register(self.sock, selectors.EVENT_READ, self)
        self.sock.sendall(self.request)
        self.left -= 1

    def receive(self, selector: selectors.BaseSelector) -> float | None:
        """Seconds since the request was sent, once its whole response has arrived."""
        chunk = self.sock.recv(65536) if self.sock is not None else b""
        if not chunk:
            raise SystemExit("bench: the server closed a connection before answering")
        self.buffer += chunk
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = self.buffer[:end].decode("latin-1").lower()
        length = CONTENT_LENGTH.search(head)
        if length is None:
            raise SystemExit(f"bench: a response without Content-Length: {head[:200]!r}")
        if len(self.buffer) < end + 4 + int(length.group(1)):
            return None
        elapsed = time.perf_counter() - self.started
        if not head.startswith(("http/1.1 200", "http/1.0 200")):
            raise SystemExit(f"bench: unexpected response {head.splitlines()[0]!r}")
        self.buffer = b""
        if "\r\nconnection: close" in head:
            self.close(selector)
        return elapsed

    def close(self, selector: selectors.BaseSelector) -> None:
        if self.sock is not None:
            selector.unregister(self.sock)
            self.sock.close()
            self.sock = None


def http_round(
    port: int, request: bytes, clients: int, per_client: int, timeout: float = 60
) -> tuple[list[float], float]:
    """`clients` connections each sending `per_client` requests back to back: the
    latencies (ms) and the round's wall-clock seconds."""
    selector = selectors.DefaultSelector()
    pool = [Client(port, request, per_client) for _ in range(clients)]
    latencies: list[float] = []
    started = time.perf_counter()
    try:
        for client in pool:
            client.send(selector)
        busy = clients
        while busy:
            events = selector.select(timeout)
            if not events:
                raise SystemExit(f"bench: no response from port {port} in {timeout:.0f} s")
            for key, _ in events:
                client = key.data
                elapsed = client.receive(selector)
                if elapsed is None:
                    continue
                latencies.append(elapsed * 1000)
                if client.left:
                    client.send(selector)
                else:
                    client.close(selector)
                    busy -= 1
        return latencies, time.perf_counter() - started
    finally:
        for client in pool:
            client.close(selector)
        selector.close()


def http_request(path: str, key: str) -> bytes:
    header, value = PROXY_HEADER
    return (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: {key}\r\n"
        f"{header}: {value}\r\nAccept: application/json\r\n\r\n"
    ).encode("latin-1")


# --- The floor: the same WSGI application called in-process -----------------------------------


def wsgi_environ(path: str, key: str, threaded: bool) -> dict[str, Any]:
    header, value = PROXY_HEADER
    return {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_X_API_KEY": key,
        "HTTP_" + header.upper().replace("-", "_"): value,
        "HTTP_ACCEPT": "application/json",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": threaded,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def call(app: Callable[..., Iterable[bytes]], environ: dict[str, Any]) -> float:
    """One request straight into the application, as a WSGI server calls it: seconds."""
    statuses: list[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
        statuses.append(status)

    started = time.perf_counter()
    response = app({**environ, "wsgi.input": io.BytesIO(b"")}, start_response)
    b"".join(response)
    getattr(response, "close", lambda: None)()  # request_finished: the connection goes back
    elapsed = time.perf_counter() - started
    if not statuses or not statuses[0].startswith("200"):
        raise SystemExit(f"bench: the floor answered {statuses}")
    return elapsed


def threaded_calls(
    app: Callable[..., Iterable[bytes]], environ: dict[str, Any], threads: int, count: int
) -> dict[str, Any]:
    """`threads` threads, started together, each making `count` calls back to back."""
    results: list[list[float]] = [[] for _ in range(threads)]
    barrier = threading.Barrier(threads)

    def serve(out: list[float]) -> None:
        barrier.wait()
        out.append(time.monotonic())
        out.extend(call(app, environ) * 1000 for _ in range(count))
        out.append(time.monotonic())

    workers = [threading.Thread(target=serve, args=(out,)) for out in results]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    latencies = [ms for out in results for ms in out[1:-1]]
    return {
        "start": min(r[0] for r in results),
        "end": max(r[-1] for r in results),
        "ms": latencies,
    }


def floor_child(threads: int) -> int:
    """A floor process: reads a request count per line on stdin, answers one JSON line."""
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # nothing but the protocol on that pipe
    sys.path.insert(0, str(ROOT))
    from gatewayproject.wsgi import application

    environ = wsgi_environ(os.environ["BENCH_PATH"], os.environ["BENCH_KEY"], threads > 1)
    call(application, environ)
    client = callgrind_client() if os.environ.get("BENCH_CALLGRIND_LIB") else None
    protocol.write("ready\n")
    for line in sys.stdin:
        if client is not None and line.strip() in ("zero", "dump"):
            client.bench_zero() if line.strip() == "zero" else client.bench_dump(b"counted")
            protocol.write("done\n")
            continue
        count = int(line)
        if count <= 0:
            break
        protocol.write(json.dumps(threaded_calls(application, environ, threads, count)) + "\n")
    return 0


def read_line(proc: subprocess.Popen[bytes], timeout: float) -> bytes:
    if proc.stdout is None:
        raise SystemExit("bench: a floor process without a pipe")
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            raise SystemExit(f"bench: process {proc.pid} did not answer in {timeout:.0f} s")
    line = proc.stdout.readline()
    if not line:
        raise SystemExit(f"bench: process {proc.pid} exited ({proc.poll()}); see its log")
    return line


def floor_round(variant: Variant, count: int, timeout: float) -> tuple[list[float], float]:
    for proc in variant.procs:
        if proc.stdin is None:
            raise SystemExit("bench: a floor process without a pipe")
        proc.stdin.write(f"{count}\n".encode())
        proc.stdin.flush()
    answers = [json.loads(read_line(proc, timeout)) for proc in variant.procs]
    seconds = max(a["end"] for a in answers) - min(a["start"] for a in answers)
    return [ms for a in answers for ms in a["ms"]], seconds


# --- The database's network: a delaying proxy in a process of its own -------------------------


def proxy_child(target: str) -> int:
    """Relay to PostgreSQL at `target` (host:port); print the port, then answer each
    `delay <seconds>` line on stdin (the delay from then on) with the chunks relayed so far."""
    sys.path.insert(0, str(ROOT))
    from tests.faults import FaultProxy

    host, port = target.rsplit(":", 1)
    with FaultProxy((host, int(port))) as proxy:
        print(proxy.port, flush=True)
        for line in sys.stdin:
            command, _, value = line.partition(" ")
            if command != "delay":
                break
            proxy.delay = float(value)
            print(proxy.chunks, flush=True)
    return 0


class DatabaseProxy:
    """A `proxy_child` process between the variants and PostgreSQL."""

    def __init__(self, database_url: str, log: IO[bytes]) -> None:
        match = re.match(r"(postgres(?:ql)?://[^@/]*@?)([^:/]+)(?::(\d+))?(/.*)", database_url)
        if match is None:
            raise SystemExit(f"bench: cannot put a proxy in front of {database_url!r}")
        scheme, host, port, rest = match.groups()
        command = [sys.executable, __file__, "--child-proxy", f"{host}:{port or 5432}"]
        self.proc = popen(command, dict(os.environ), log, stdin=subprocess.PIPE)
        self.url = f"{scheme}127.0.0.1:{int(read_line(self.proc, 30))}{rest}"

    def set_delay(self, delay_ms: float) -> int:
        """From now on `delay_ms` each way; the client -> database chunks relayed so far."""
        if self.proc.stdin is None:
            raise SystemExit("bench: the proxy process without a pipe")
        self.proc.stdin.write(f"delay {delay_ms / 1000}\n".encode())
        self.proc.stdin.flush()
        return int(read_line(self.proc, 30))

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# --- Processes -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(
    variant: Variant,
    env: dict[str, str],
    log: IO[bytes],
    prefix: tuple[str, ...] = (),
    conf: Path = CONF,
) -> None:
    """Start the variant's processes, under `prefix` (valgrind) if given."""
    # Django's pool holds one connection per thread at most, as the template sets it.
    env = {**env, "DATABASE_POOL_MAX_SIZE": str(variant.threads)}
    if variant.kind == "floor":
        command = [*prefix, sys.executable, __file__, "--child-floor", str(variant.threads)]
        for _ in range(variant.processes):
            variant.procs.append(popen(command, env, log, stdin=subprocess.PIPE))
        return
    variant.port = free_port()
    # The container's config file; the command line overrides only the bind address and
    # the worker model under test (gunicorn turns sync with threads > 1 into gthread).
    # Under valgrind a worker loads Django for minutes: gunicorn's 28 s would kill it.
    timeout = ["--timeout", "3600"] if prefix else []
    command = [*prefix, sys.executable, "-m", "gunicorn", "--config", str(conf), *timeout,
               "--bind", f"127.0.0.1:{variant.port}", "--workers", str(variant.processes),
               "--worker-class", variant.worker_class, "--threads", str(variant.threads),
               APP]  # fmt: skip
    variant.procs.append(popen(command, env, log, stdin=subprocess.DEVNULL))


def popen(
    command: list[str], env: dict[str, str], log: IO[bytes], stdin: int
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603
        command, cwd=ROOT, env=env, stdin=stdin, stdout=subprocess.PIPE, stderr=log
    )  # stdout: the floor's protocol; gunicorn writes nothing there (errorlog and the app: stderr)


def wait_ready(variant: Variant, request: bytes, deadline: float) -> None:
    """Poll until the variant has answered one keyed request with 200."""
    if variant.kind == "floor":
        for proc in variant.procs:
            if read_line(proc, max(1.0, deadline - time.monotonic())) != b"ready\n":
                raise SystemExit(f"bench: {variant.name} did not start")
        return
    while time.monotonic() < deadline:
        if variant.procs[0].poll() is not None:
            raise SystemExit(f"bench: {variant.name} exited; see its log")
        try:
            http_round(variant.port, request, 1, 1, timeout=max(1.0, deadline - time.monotonic()))
            return
        except OSError:
            time.sleep(0.05)  # not listening yet
    raise SystemExit(f"bench: {variant.name} did not answer")


def stop(variants: list[Variant]) -> None:
    for variant in variants:
        for proc in variant.procs:
            if proc.poll() is None:
                proc.terminate()  # the floor children and the gunicorn masters we started
    for variant in variants:
        for proc in variant.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def process_stats() -> dict[int, list[str]]:
    """/proc/<pid>/stat of every process, the fields after the command name."""
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                text = (entry / "stat").read_text()
            except OSError:
                continue  # exited meanwhile
            stats[int(entry.name)] = text.rsplit(")", 1)[1].split()
    return stats


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes and their children (gunicorn's workers)."""
    ticks = sum(
        int(fields[11]) + int(fields[12])
        for pid, fields in process_stats().items()
        if pid in pids or int(fields[1]) in pids
    )
    return ticks / os.sysconf("SC_CLK_TCK")


# --- Database, settings, seed ----------------------------------------------------------------


def environment(workdir: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GUNICORN_", "WEB_CONC"))}
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "gatewayproject.settings.production",
        "DJANGO_SECRET_KEY": "bench-container-only-not-a-secret-" + "x" * 32,
        "DATABASE_URL": database_url,
        "DATABASE_POOLER": "psycopg",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_PROXY_SSL_HEADER": PROXY_HEADER[0],
        "DJANGO_SCRIPT_NAME": "/prod",
        "DJANGO_STATIC_ROOT": str(workdir / "static"),
        "DJANGO_LOG_LEVEL": "INFO",
        "REDIS_URL": "",
        "PYTHONUNBUFFERED": "1",
    }


def seed(env: dict[str, str]) -> tuple[str, str]:
    """Migrations, static files (as the image builds them) and the pet and key: (path, key)."""
    manage = [sys.executable, "manage.py"]
    for args in (["migrate", "--noinput", "-v0"], ["collectstatic", "--noinput", "-v0"]):
        subprocess.run([*manage, *args], cwd=ROOT, env=env, check=True, timeout=300)  # noqa: S603
    out = subprocess.run(  # noqa: S603
        [*manage, "shell", "-c", SEED], cwd=ROOT, env=env, check=True, capture_output=True,
        text=True, timeout=120,
    ).stdout  # fmt: skip
    pet_id, key = out.strip().splitlines()[-1].split()  # `shell` may print its imports first
    return f"/v1/pets/{pet_id}", key


# --- Instructions: exact on a loaded machine, blind to waiting and to the kernel ------------

# Keys kept for the whole count: under callgrind the requests take minutes, and the default
# re-read every 30 s would land in some variants' counted requests and not others'.
CALLGRIND_SETTINGS = """from gatewayproject.settings.production import *  # noqa
API_KEYS = {**API_KEYS, "KEY_CACHE_SECONDS": 3600}  # noqa
"""
CALLGRIND_C = """#include <valgrind/callgrind.h>
void bench_zero(void) { CALLGRIND_ZERO_STATS; }
void bench_dump(const char *label) { CALLGRIND_DUMP_STATS_AT(label); }
"""
# The container's config plus, in each worker, two paths that zero and dump the counts
# (a signal would reach whichever thread, and a worker's main thread may sleep for long).
CALLGRIND_CONF = """import runpy
_conf = runpy.run_path({conf!r})
globals().update({{k: v for k, v in _conf.items() if not k.startswith("_")}})


def post_worker_init(worker):
    _conf["post_worker_init"](worker)
    worker.wsgi = runpy.run_path({bench!r})["callgrind_control"](worker.wsgi)
"""
CONTROL = "/__callgrind__/"


def callgrind_client() -> Any:
    import ctypes

    return ctypes.CDLL(os.environ["BENCH_CALLGRIND_LIB"])


def callgrind_control(app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    """The worker's WSGI app, with GET /__callgrind__/zero and /dump in front of it."""
    client = callgrind_client()

    def control(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ["PATH_INFO"]
        if not path.startswith(CONTROL):
            return app(environ, start_response)
        if path.endswith("zero"):
            client.bench_zero()
        else:
            client.bench_dump(b"counted")
        start_response("200 OK", [("Content-Length", "0")])
        return [b""]

    return control


def counters(variant: Variant, command: str) -> None:
    """Zero or dump the serving process's counts; returns once it has."""
    if variant.kind == "gunicorn":
        request = f"GET {CONTROL}{command} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
        http_round(variant.port, request, 1, 1, timeout=600)
        return
    for proc in variant.procs:
        if proc.stdin is None:
            raise SystemExit("bench: a floor process without a pipe")
        proc.stdin.write(f"{command}\n".encode())
        proc.stdin.flush()
        read_line(proc, 600)


def serving_pid(variant: Variant) -> int:
    """The process that serves the requests: the floor's, or gunicorn's one worker."""
    master = variant.procs[0].pid
    if variant.kind == "floor":
        return master
    workers = [pid for pid, fields in process_stats().items() if int(fields[1]) == master]
    if len(workers) != 1:
        raise SystemExit(f"bench: {variant.name} has workers {workers}, expected one")
    return workers[0]


def instructions(
    env: dict[str, str], request: bytes, args: argparse.Namespace, workdir: Path, log: IO[bytes]
) -> dict[str, float]:
    """Instructions per request of each variant's serving process under callgrind: the
    counters zeroed after a warm-up, dumped after `args.instructions` requests."""
    valgrind, cc = shutil.which("valgrind"), shutil.which("cc")
    if valgrind is None or cc is None:
        print("instructions: valgrind or a C compiler not found; skipped")
        return {}
    (workdir / "callgrind_settings.py").write_text(CALLGRIND_SETTINGS)
    (workdir / "callgrind.c").write_text(CALLGRIND_C)
    lib, conf = workdir / "callgrind.so", workdir / "callgrind_gunicorn.conf.py"
    compile_lib = [cc, "-O1", "-shared", "-fPIC", "-o", str(lib), str(workdir / "callgrind.c")]
    subprocess.run(compile_lib, check=True)  # noqa: S603
    conf.write_text(CALLGRIND_CONF.format(conf=str(CONF), bench=__file__))
    env = {**env, "PYTHONHASHSEED": "0", "PYTHONPATH": str(workdir), "BENCH_DIR": str(workdir),
           "DJANGO_SETTINGS_MODULE": "callgrind_settings",
           "BENCH_CALLGRIND_LIB": str(lib)}  # fmt: skip
    threads = container_config()[2]
    variants = [Variant("floor-1x1", "floor", 1, 1),
                Variant(f"floor-1x{threads}", "floor", 1, threads),
                Variant("sync-1", "gunicorn", 1, 1, "sync"),
                Variant(f"gthread-1x{threads}", "gunicorn", 1, threads, "gthread")]  # fmt: skip
    per_client = max(1, args.instructions // args.clients)
    counts: dict[str, float] = {}
    try:
        for variant in variants:  # started together: most of the time is loading Django
            out = f"--callgrind-out-file={workdir}/cg.{variant.name}.%p"
            prefix = (valgrind, "--tool=callgrind", "--dump-instr=no", out)
            start(variant, env, log, prefix=prefix, conf=conf)
        deadline = time.monotonic() + 3600
        for variant in variants:
            wait_ready(variant, request, deadline)
            pid = serving_pid(variant)
            measure(variant, request, args.clients, max(1, args.warmup // 4), timeout=3600)
            counters(variant, "zero")
            variant.requests = 0
            measure(variant, request, args.clients, per_client, timeout=3600)
            counters(variant, "dump")
            counts[variant.name] = dumped(workdir, variant.name, pid) / variant.requests
    finally:
        stop(variants)
    return counts


def dumped(workdir: Path, name: str, pid: int) -> int:
    totals = [
        int(total.group(1))
        for dump in workdir.glob(f"cg.{name}.{pid}.*")
        if "Client Request: counted" in (text := dump.read_text(errors="replace"))
        and (total := re.search(r"^totals:\s+(\d+)", text, re.MULTILINE))
    ]
    if len(totals) != 1:
        raise SystemExit(f"bench: expected one callgrind dump for {name}, found {len(totals)}")
    return totals[0]


def report_instructions(counts: dict[str, float], requests: int) -> dict[str, Any]:
    if not counts:
        return {}
    names = list(counts)
    print(f"\ninstructions per request (callgrind, {requests} requests after a warm-up; user space "
          "only: no kernel, no waiting)")  # fmt: skip
    over = {names[2]: names[0], names[3]: names[1]}  # sync over 1 thread, gthread over T
    for name, count in counts.items():
        ratio = f"  ({count / counts[over[name]]:.3f}x {over[name]})" if name in over else ""
        print(f"  {name:<14}{count / 1e6:>8.3f} M{ratio}")
    print(f"  {names[3]} / {names[2]}: {counts[names[3]] / counts[names[2]]:.3f}")
    return counts


# --- Measuring and reporting -----------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def measure(
    variant: Variant,
    request: bytes,
    clients: int,
    per_client: int,
    timeout: float = 300,
    proxy: DatabaseProxy | None = None,
) -> None:
    """One round of `variant` (at its database delay, through `proxy`, if it has one)."""
    chunks = 0
    if proxy is not None and variant.delay_ms is not None:
        chunks = proxy.set_delay(variant.delay_ms)
    pids = [proc.pid for proc in variant.procs]
    server, client = cpu_seconds(pids), time.process_time()
    if variant.kind == "floor":
        # The floor's threads stand in for the clients: as many callers in all.
        count = max(1, clients * per_client // (variant.processes * variant.threads))
        latencies, seconds = floor_round(variant, count, timeout)
    else:
        latencies, seconds = http_round(variant.port, request, clients, per_client, timeout)
        variant.client_cpu += time.process_time() - client
    variant.server_cpu += cpu_seconds(pids) - server
    variant.latencies += latencies
    variant.seconds += seconds
    variant.requests += len(latencies)
    variant.rounds.append((len(latencies) / seconds, percentile(latencies, 0.5)))
    if proxy is not None and variant.delay_ms is not None:
        variant.db_chunks += proxy.set_delay(variant.delay_ms) - chunks


def ratios(variant: Variant, reference: Variant) -> tuple[float, float]:
    """Medians over rounds of (req/s ÷ the reference's, p50 ÷ the reference's)."""
    pairs = list(zip(variant.rounds, reference.rounds, strict=False))
    return (
        statistics.median(mine[0] / theirs[0] for mine, theirs in pairs),
        statistics.median(mine[1] / theirs[1] for mine, theirs in pairs),
    )


def spread(variant: Variant, reference: Variant) -> tuple[float, float, float]:
    """(lowest, median, highest) over rounds of req/s ÷ the reference's in the same round."""
    per_round = [m[0] / t[0] for m, t in zip(variant.rounds, reference.rounds, strict=False)]
    return min(per_round), statistics.median(per_round), max(per_round)


def report(variants: list[Variant], notes: list[str]) -> dict[str, Any]:
    if notes:
        print("\n".join(notes))
    delayed = variants[0].delay_ms is not None
    print(f"{'variant':<16}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'srv CPU':>9}{'cli CPU':>9}"
          f"{'req/s ÷':>9}{'p50 ÷':>8}" + (f"{'DB rt':>7}" if delayed else ""))  # fmt: skip
    print(f"{'':<16}{'':>8}{'':>9}{'':>9}{'ms/req':>9}{'ms/req':>9}{REFERENCE:>17}"
          + (f"{'/req':>7}" if delayed else ""))  # fmt: skip
    reference = next((v for v in variants if v.name == REFERENCE), variants[0])
    rows: dict[str, Any] = {}
    for v in variants:
        rate, p50 = v.requests / v.seconds, percentile(v.latencies, 0.5)
        p99, (rate_ratio, p50_ratio) = percentile(v.latencies, 0.99), ratios(v, reference)
        server, client = 1000 * v.server_cpu / v.requests, 1000 * v.client_cpu / v.requests
        client_text = f"{client:>9.3f}" if v.kind == "gunicorn" else f"{'-':>9}"
        trips = f"{v.db_chunks / v.requests:>7.2f}" if delayed else ""
        print(f"{v.name:<16}{rate:>8.0f}{p50:>9.2f}{p99:>9.2f}{server:>9.3f}{client_text}"
              f"{rate_ratio:>9.3f}{p50_ratio:>8.3f}{trips}")  # fmt: skip
        rows[v.name] = {"processes": v.processes, "threads": v.threads, "rps": rate,
                        "p50_ms": p50, "p99_ms": p99, "server_cpu_ms": server,
                        "client_cpu_ms": client, "rps_ratio": rate_ratio, "p50_ratio": p50_ratio,
                        "rounds": v.rounds, "delay_ms": v.delay_ms,
                        "db_round_trips": v.db_chunks / v.requests}  # fmt: skip
    for twin in (v for v in variants if v.name.endswith("-aa")):
        own = next(v for v in variants if v.name == twin.name[:-3])
        rate_ratio, p50_ratio = ratios(twin, own)
        low, _, high = spread(twin, own)
        print(f"A/A {twin.name} ÷ {own.name}: req/s {rate_ratio:.3f} (rounds {low:.3f}-"
              f"{high:.3f}), p50 {p50_ratio:.3f}")  # fmt: skip
        for other in (v for v in variants if v.kind == "gunicorn" and v.worker_class
                      != own.worker_class):  # fmt: skip
            low, middle, high = spread(own, other)
            print(f"{own.name} ÷ {other.name}: req/s {middle:.3f} (rounds {low:.3f}-{high:.3f})")
    return {"notes": notes, "variants": rows}


def run(
    variants: list[Variant], args: argparse.Namespace, env: dict[str, str], log: IO[bytes]
) -> tuple[int, dict[str, float], list[Variant]]:
    """Every round measures every variant (at every database delay), in a shuffled order:
    the rounds done, the instruction counts, and the measured variants."""
    path, key = seed(env)  # straight to PostgreSQL: only the measured requests are delayed
    env = {**env, "BENCH_PATH": path, "BENCH_KEY": key}
    request = http_request(path, key)
    proxy = DatabaseProxy(env["DATABASE_URL"], log) if args.db_delay_ms else None
    try:
        served = {**env, "DATABASE_URL": proxy.url} if proxy else env
        for variant in variants:
            start(variant, served, log)
        deadline = time.monotonic() + 180
        for variant in variants:
            wait_ready(variant, request, deadline)
            measure(variant, request, args.clients, args.warmup)  # warm-up, not recorded
            variant.latencies, variant.rounds = [], []
            variant.seconds = variant.server_cpu = variant.client_cpu = 0.0
            variant.requests = 0
        measured = variants
        if args.db_delay_ms:
            measured = [v.at_delay(delay) for delay in args.db_delay_ms for v in variants]
        rng, began, done = random.Random(13), time.monotonic(), 0  # noqa: S311 (order only)
        while done < args.rounds and (done == 0 or time.monotonic() - began < args.budget):
            for variant in rng.sample(measured, len(measured)):
                measure(variant, request, args.clients, args.requests, proxy=proxy)
            done += 1
    finally:
        stop(variants)  # idle now; callgrind's processes start next
        if proxy is not None:
            proxy.close()
    if args.instructions:
        counts = instructions(env, request, args, Path(env["DJANGO_STATIC_ROOT"]).parent, log)
        return done, counts, measured
    return done, {}, measured


def delays(text: str) -> list[float]:
    """`--db-delay-ms 0,1,5`: milliseconds each way, each at least 0, no repeats."""
    values = [float(part) for part in text.split(",") if part.strip()]
    if not values or min(values) < 0 or len(set(values)) != len(values):
        raise argparse.ArgumentTypeError(f"distinct delays >= 0 ms, e.g. 0,1,5; not {text!r}")
    return values


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=100, help="per client per round")
    parser.add_argument("--warmup", type=int, default=25, help="per client, not recorded")
    parser.add_argument("--budget", type=float, default=900, help="seconds: no new round after")
    parser.add_argument("--variants", help="comma-separated names (default: all)")
    parser.add_argument("--no-aa", action="store_true", help="without the A/A twin")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/postgres",
                        help="server to create the throwaway database on")  # fmt: skip
    parser.add_argument(
        "--instructions", type=int, default=0, metavar="N",
        help="also count instructions per request under callgrind (N requests per variant)",
    )  # fmt: skip
    parser.add_argument(
        "--db-delay-ms", type=delays, metavar="MS[,MS...]",
        help="through a proxy that delays every database chunk this long each way, "
        "each delay measured in the same interleaved rounds (e.g. 0,1,5)",
    )  # fmt: skip
    parser.add_argument("--save", type=Path, help="write the results as JSON")
    parser.add_argument("--child-floor", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-proxy", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_floor:
        return floor_child(args.child_floor)
    if args.child_proxy:
        return proxy_child(args.child_proxy)

    cpus, config = os.cpu_count() or 1, container_config()
    variants = plan(config, cpus, aa=not args.no_aa)
    if args.variants:
        wanted = args.variants.split(",")
        unknown = set(wanted) - {v.name for v in variants}
        if unknown:
            parser.error(f"unknown variants {sorted(unknown)}; known: {[v.name for v in variants]}")
        variants = [v for v in variants if v.name in wanted]
    loads = [os.getloadavg()]
    workdir = Path(tempfile.mkdtemp(prefix="bench-container-"))
    database_url = create_postgres_database(args.postgres, prefix="bench_container")
    log = (workdir / "servers.log").open("wb")
    try:
        done, counts, measured = run(variants, args, environment(workdir, database_url), log)
    except SystemExit:
        log.flush()
        print((workdir / "servers.log").read_text(errors="replace")[-3000:], file=sys.stderr)
        raise
    finally:
        stop(variants)
        log.close()
        drop_postgres_database(args.postgres, database_url)
        shutil.rmtree(workdir, ignore_errors=True)
    loads.append(os.getloadavg())
    notes = [
        f"GET /v1/pets/{{id}} with a metered API key, production settings, PostgreSQL "
        f"(Django's psycopg pool per process); {args.clients} clients; {done} interleaved "
        f"rounds x {args.clients * args.requests} requests per variant"
        + (" and delay" if args.db_delay_ms else ""),
        f"Python {platform.python_version()}, {cpus} CPUs; infra/gunicorn.conf.py as the "
        f"Dockerfile runs it: {config[0]}, {config[1]} workers x {config[2]} threads "
        f"(WEB_CONCURRENCY, GUNICORN_THREADS unset); gunicorn's suggested 2 x CPUs + 1 = "
        f"{2 * cpus + 1}",
        "load average at start " + " ".join(f"{x:.2f}" for x in loads[0])
        + ", at end " + " ".join(f"{x:.2f}" for x in loads[1]),
    ]  # fmt: skip
    if args.db_delay_ms:
        notes.append(
            "database delay each way (tests.faults.FaultProxy in a process of its own, every "
            "variant's connections through it): " + ", ".join(f"{d:g}" for d in args.db_delay_ms)
            + " ms; DB rt/req: client-to-database chunks the proxy relayed per request"
        )  # fmt: skip
        print("\n".join(notes))
        results: dict[str, Any] = {"notes": notes, "delays": {}}
        for delay in args.db_delay_ms:
            print(f"\ndatabase delay {delay:g} ms each way")
            group = [v for v in measured if v.delay_ms == delay]
            results["delays"][f"{delay:g}"] = report(group, [])["variants"]
    else:
        results = report(measured, notes)
    results["instructions"] = report_instructions(counts, args.instructions)
    if args.save:
        args.save.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
