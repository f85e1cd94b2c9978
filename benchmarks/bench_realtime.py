"""Benchmark: fan-out of one event to 1, 100 and 1,000 WebSocket connections through rungateway.

Two gateways serve infra/template.yaml side by side, each on its own SQLite file, with the
same user, pet and keys; they differ in one setting:

- ``inline``: REALTIME_INLINE_FANOUT_MAX huge: every push happens inside the HTTP request
  that caused the event (8 threads, boto3 against the local @connections API);
- ``handoff``: REALTIME_INLINE_FANOUT_MAX=0: the request hands the event to a background
  thread and returns (on Lambda, an asynchronous invoke of the realtime function instead).

For each N in 0, 1, 100, 1000, N WebSocket clients of the pet's owner connect to each
gateway (10 keys: the default limit is 100 connections per key), then `PATCH /v1/pets/{id}`
runs R times on each, the gateways taking turns round by round (the order alternating).
Per request: its latency as the client sees it (the cost to the HTTP request) and the time
from sending it to the moment the last of the N clients holds the event (time to last
delivery). N=0 runs the same request on both gateways with nothing to push: the A/A control
(both must agree) and the baseline the costs are read against. Route throttling and the
plan are lifted so only the fan-out is measured.

Run: ``make bench-realtime`` (or ``.venv/bin/python benchmarks/bench_realtime.py --rounds 10``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from websockets.asyncio.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parent.parent
KEYS = 10
SIZES = (0, 1, 100, 1000)  # 0 first: the baseline and A/A control
SEED = f"""
from django.contrib.auth.models import User
from apps.api_keys.models import UsagePlan
from apps.api_keys.services import api_key_create
from apps.pets.models import Pet
user = User.objects.create_user("bench")
plan = UsagePlan.objects.create(name="Bench", rate=100_000, burst=1_000_000)
raws = [api_key_create(owner=user, plan=plan, name=f"bench {{n}}")[1] for n in range({KEYS})]
pet = Pet.objects.create(owner=user, name="Rex", species="dog")
print(pet.pk, *raws)
"""
LIFT_THROTTLE = [
    "--parameter",
    "ThrottlingRateLimit=100000",
    "--parameter",
    "ThrottlingBurstLimit=100000",
]


@dataclass
class Gateway:
    name: str
    port: int
    pet: int
    keys: list[str]
    process: subprocess.Popen[bytes] | None = None
    # (N) -> request latencies and last-delivery times, seconds
    requests: dict[int, list[float]] = field(default_factory=dict)
    deliveries: dict[int, list[float]] = field(default_factory=dict)

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}/prod"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/prod"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(workdir: Path, inline_max: int) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gatewayproject.settings.local",
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "DJANGO_MEDIA_ROOT": str(workdir / "media"),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_LOG_LEVEL": "WARNING",
        "REALTIME_INLINE_FANOUT_MAX": str(inline_max),
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
    }


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return result.stdout


def start(name: str, workdir: Path, inline_max: int) -> Gateway:
    workdir.mkdir(parents=True)
    env = environment(workdir, inline_max)
    manage(env, "migrate", "--noinput", "-v0")
    pet, *keys = manage(env, "shell", "-v0", "-c", SEED).split()
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", "rungateway", f"127.0.0.1:{port}", *LIFT_THROTTLE],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    gateway = Gateway(name, port, int(pet), keys, process)
    for _ in range(600):
        try:
            httpx.get(f"{gateway.http}/health", timeout=1)
            return gateway
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{name} did not come up")


class Receivers:
    """N connected clients; `arrived` counts the current round's events per client."""

    def __init__(self) -> None:
        self.sockets: list[ClientConnection] = []
        self.tasks: list[asyncio.Task[None]] = []
        self.count = 0
        self.last = 0.0
        self.all_in = asyncio.Event()
        self.expected = 0

    async def open(self, gateway: Gateway, n: int) -> None:
        for i in range(n):
            key = gateway.keys[i % len(gateway.keys)]
            ws = await connect(gateway.ws, additional_headers={"x-api-key": key}, open_timeout=60)
            self.sockets.append(ws)
            self.tasks.append(asyncio.create_task(self._read(ws)))

    async def _read(self, ws: ClientConnection) -> None:
        async for _ in ws:
            self.count += 1
            if self.count == self.expected:
                self.last = time.perf_counter()
                self.all_in.set()

    def expect(self) -> None:
        self.count, self.expected = 0, len(self.sockets)
        self.all_in = asyncio.Event()

    async def close(self) -> None:
        for ws in self.sockets:
            await ws.close()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


def patch(client: httpx.Client, gateway: Gateway, key: str, n: int) -> tuple[float, float]:
    """One PATCH in its own thread: (sent at, latency)."""
    started = time.perf_counter()
    response = client.patch(
        f"{gateway.http}/v1/pets/{gateway.pet}",
        json={"notes": f"round {n}"},
        headers={"x-api-key": key},
    )
    response.raise_for_status()
    return started, time.perf_counter() - started


async def measure(gateways: list[Gateway], n: int, rounds: int, warmup: int) -> None:
    """N clients on every gateway at once; each round patches every gateway in turn (the
    order alternating), so load from elsewhere on the machine hits them alike."""
    receivers = {gateway.name: Receivers() for gateway in gateways}
    clients = {gateway.name: httpx.Client(timeout=120) for gateway in gateways}
    try:
        for gateway in gateways:
            await receivers[gateway.name].open(gateway, n)
        for round_ in range(warmup + rounds):
            order = gateways if round_ % 2 == 0 else list(reversed(gateways))
            for gateway in order:
                listening = receivers[gateway.name]
                listening.expect()
                client, key = clients[gateway.name], gateway.keys[0]
                sent, latency = await asyncio.to_thread(patch, client, gateway, key, round_)
                if n:
                    await asyncio.wait_for(listening.all_in.wait(), 300)
                if round_ >= warmup:
                    gateway.requests.setdefault(n, []).append(latency)
                    if n:
                        gateway.deliveries.setdefault(n, []).append(listening.last - sent)
    finally:
        for client in clients.values():
            client.close()
        for listening in receivers.values():
            await listening.close()
    await asyncio.sleep(1)  # let $disconnect settle before the next size


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def report(
    gateways: list[Gateway], sizes: tuple[int, ...], rounds: int, load: tuple[float, float]
) -> None:
    print(
        f"\n{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load average {load[0]:.1f} before / {load[1]:.1f} after, {rounds} rounds per cell"
    )
    print(
        "| N | policy | request p50 ms | request p90 ms | cost p50 ms "
        "| last delivery p50 ms | last delivery p90 ms |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|")
    for n in sizes:
        for gateway in gateways:
            base = statistics.median(gateway.requests[0]) * 1000
            requests = gateway.requests[n]
            deliveries = gateway.deliveries.get(n)
            last = f"{p(deliveries, 0.5):.0f} | {p(deliveries, 0.9):.0f}" if deliveries else "- | -"
            cost = statistics.median(requests) * 1000 - base
            print(
                f"| {n} | {gateway.name} | {p(requests, 0.5):.1f} | {p(requests, 0.9):.1f} | "
                f"{cost:+.1f} | {last} |"
            )


async def run(gateways: list[Gateway], sizes: tuple[int, ...], rounds: int, warmup: int) -> None:
    for n in sizes:
        print(f"N={n} ...", file=sys.stderr, flush=True)
        await measure(gateways, n, rounds, warmup)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument(
        "--sizes", default=",".join(map(str, SIZES)), help="connection counts, 0 first"
    )
    args = parser.parse_args()
    sizes = tuple(int(n) for n in args.sizes.split(","))
    if sizes[0] != 0:
        parser.error("--sizes must start with 0 (the baseline)")
    workdir = Path(tempfile.mkdtemp(prefix="bench-realtime-"))
    gateways: list[Gateway] = []
    load_before = os.getloadavg()[0]
    try:
        gateways = [
            start("inline", workdir / "inline", 1_000_000),
            start("handoff", workdir / "handoff", 0),
        ]
        asyncio.run(run(gateways, sizes, args.rounds, args.warmup))
        report(gateways, sizes, args.rounds, (load_before, os.getloadavg()[0]))
    finally:
        for gateway in gateways:
            if gateway.process is not None:
                gateway.process.terminate()
                gateway.process.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
