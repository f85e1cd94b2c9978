"""Benchmark: what the API key policy adds to GET /v1/pets/{id} on SQLite, through WSGI.

Two configurations of one process, interleaved in rounds so machine noise hits both alike:

- ``keyed``: the defaults: x-api-key authentication (one indexed read of key, plan, owner
  and meter, one SHA-512 verify) plus the usage-plan throttle (one conditional UPDATE ...
  RETURNING on the meter row) and the X-RateLimit-* headers.
- ``baseline``: the same view with an authentication class that hands over the already
  loaded user (no query) and no throttle: the request without the key policy.

The difference of the medians is the policy's cost (target: at most 0.5 ms at p50).
The database is a throwaway SQLite file with the project's local settings.

Run: ``make bench-api-keys`` (or ``.venv/bin/python benchmarks/bench_api_keys.py --rounds 20``).

Wall-clock numbers on a shared VM drift by tenths of a millisecond between runs, so
``--instructions`` also counts instructions per request under valgrind's callgrind (exact
and repeatable): each configuration runs 0 and N requests after the same setup, and the
difference divided by N is its per-request count. The added instructions, priced at the
baseline's measured ms per instruction, estimate the added time without the noise.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 0.5


def configure(workdir: Path) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "gatewayproject.settings.local",
            "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
            "DJANGO_DEBUG": "false",
            "DJANGO_LOG_LEVEL": "WARNING",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "REDIS_URL": "",
        }
    )
    import django

    django.setup()


def seed() -> tuple[Any, int, str]:
    """A user with one pet and a key on a plan no benchmark request can exhaust."""
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from apps.api_keys.models import UsagePlan
    from apps.api_keys.services import api_key_create
    from apps.pets.models import Pet

    call_command("migrate", verbosity=0)
    user = User.objects.create_user("bench")
    pet = Pet.objects.create(owner=user, name="Rex", species="dog")
    plan = UsagePlan.objects.create(
        name="Bench", rate=100_000, burst=100_000, limit=10**12, period="DAY"
    )
    _, raw_key = api_key_create(owner=user, plan=plan, name="bench")
    return user, pet.pk, raw_key


def make_environ(path: str, headers: dict[str, str]) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        **headers,
    }


def configurations(user: Any) -> dict[str, Callable[[], None]]:
    """Switches between the two setups by changing the view's policy classes."""
    from rest_framework.authentication import BaseAuthentication

    from apps.pets.views import PetViewSet

    class AlreadyAuthenticated(BaseAuthentication):
        def authenticate(self, request: Any) -> tuple[Any, None]:
            return user, None

    keyed = (PetViewSet.authentication_classes, PetViewSet.throttle_classes)

    def use_keyed() -> None:
        PetViewSet.authentication_classes, PetViewSet.throttle_classes = keyed

    def use_baseline() -> None:
        PetViewSet.authentication_classes = [AlreadyAuthenticated]
        PetViewSet.throttle_classes = []

    return {"keyed": use_keyed, "baseline": use_baseline}


def timed_requests(
    app: Any, path: str, headers: dict[str, str], count: int
) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU (this thread) milliseconds per request."""
    statuses: list[str] = []

    def start_response(status: str, response_headers: Any, exc_info: Any = None) -> None:
        statuses.append(status)

    wall, cpu = [], []
    for _ in range(count):
        environ = make_environ(path, headers)
        started, started_cpu = time.perf_counter(), time.thread_time()
        response = app(environ, start_response)
        b"".join(response)
        response.close()
        cpu.append((time.thread_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
    if any(not status.startswith("200") for status in statuses):
        raise SystemExit(f"bench: unexpected statuses {set(statuses)}")
    return wall, cpu


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--per-round", type=int, default=250)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--instructions", action="store_true", help="also count instructions")
    parser.add_argument("--child", nargs=2, metavar=("CONFIG", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return run_child(args.child[0], int(args.child[1]))

    if hasattr(os, "sched_setaffinity"):
        # One CPU, as the Lambda benchmark does: no migrations between cores mid-request.
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[-1]})
    workdir = Path(tempfile.mkdtemp(prefix="bench-api-keys-"))
    configure(workdir)
    from django.core.wsgi import get_wsgi_application
    from django.db import connections

    user, pet_id, raw_key = seed()
    app = get_wsgi_application()
    path = f"/v1/pets/{pet_id}"
    headers = {"keyed": {"HTTP_X_API_KEY": raw_key}, "baseline": {}}
    switch = configurations(user)
    samples: dict[str, list[float]] = {"keyed": [], "baseline": []}
    cpu: dict[str, list[float]] = {"keyed": [], "baseline": []}
    round_deltas: list[float] = []  # per round: keyed p50 - baseline p50

    for name in samples:
        switch[name]()
        timed_requests(app, path, headers[name], args.warmup)
    rng = random.Random(3)  # noqa: S311 (order only)
    for _ in range(args.rounds):
        order = list(samples)
        rng.shuffle(order)
        medians = {}
        for name in order:
            switch[name]()
            wall, used = timed_requests(app, path, headers[name], args.per_round)
            samples[name] += wall
            cpu[name] += used
            medians[name] = percentile(wall, 0.5)
        round_deltas.append(medians["keyed"] - medians["baseline"])
    report(samples, cpu, args, round_deltas)
    connections.close_all()
    shutil.rmtree(workdir, ignore_errors=True)
    if args.instructions:
        report_instructions(percentile(samples["baseline"], 0.5))
    return 0


def run_child(config: str, count: int) -> int:
    """Under callgrind: setup, a warm-up, then `count` requests of one configuration."""
    workdir = Path(tempfile.mkdtemp(prefix="bench-api-keys-"))
    configure(workdir)
    from django.core.wsgi import get_wsgi_application

    user, pet_id, raw_key = seed()
    app = get_wsgi_application()
    configurations(user)[config]()
    headers = {"HTTP_X_API_KEY": raw_key} if config == "keyed" else {}
    timed_requests(app, f"/v1/pets/{pet_id}", headers, 50)
    timed_requests(app, f"/v1/pets/{pet_id}", headers, count)
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


def instructions(config: str, count: int) -> int:
    result = subprocess.run(  # noqa: S603 (valgrind from PATH, checked before)
        [shutil.which("valgrind") or "valgrind", "--tool=callgrind",
         "--callgrind-out-file=/dev/null", sys.executable, __file__, "--child", config,
         str(count)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    match = re.search(r"I\s+refs:\s+([\d,]+)", result.stderr)
    if match is None:
        raise SystemExit("bench: no instruction count from valgrind")
    return int(match.group(1).replace(",", ""))


def report_instructions(baseline_ms: float, count: int = 400) -> None:
    if shutil.which("valgrind") is None:
        print("instructions: valgrind not found; skipped")
        return
    per_request = {
        config: (instructions(config, count) - instructions(config, 0)) / count
        for config in ("keyed", "baseline")
    }
    added = per_request["keyed"] - per_request["baseline"]
    estimate = baseline_ms * added / per_request["baseline"]
    verdict = "within" if estimate <= TARGET_MS else "OVER"
    print(
        f"instructions per request (callgrind, {count} requests): keyed "
        f"{per_request['keyed'] / 1e6:.3f} M, baseline {per_request['baseline'] / 1e6:.3f} M "
        f"({per_request['keyed'] / per_request['baseline']:.3f}x); added {added / 1e6:.3f} M "
        f"= {estimate:.3f} ms at the baseline's {baseline_ms:.3f} ms p50; {verdict} the "
        f"{TARGET_MS} ms target"
    )


def report(
    samples: dict[str, list[float]],
    cpu: dict[str, list[float]],
    args: argparse.Namespace,
    round_deltas: list[float],
) -> None:
    import django

    print("GET /v1/pets/{id} via Django's WSGI handler, SQLite file database")
    print(
        f"Python {platform.python_version()}, Django {django.get_version()}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs; {args.rounds} interleaved rounds of "
        f"{args.per_round} requests per configuration"
    )
    print(f"{'configuration':<14}{'p50 ms':>10}{'p99 ms':>10}{'mean ms':>10}{'CPU p50 ms':>12}")
    for name, values in samples.items():
        print(
            f"{name:<14}{percentile(values, 0.5):>10.3f}{percentile(values, 0.99):>10.3f}"
            f"{statistics.fmean(values):>10.3f}{percentile(cpu[name], 0.5):>12.3f}"
        )
    added_cpu = percentile(cpu["keyed"], 0.5) - percentile(cpu["baseline"], 0.5)
    added = percentile(samples["keyed"], 0.5) - percentile(samples["baseline"], 0.5)
    added_p99 = percentile(samples["keyed"], 0.99) - percentile(samples["baseline"], 0.99)
    ratio = percentile(samples["keyed"], 0.5) / percentile(samples["baseline"], 0.5)
    # The verdict uses the median of per-round differences: a round's two configurations
    # ran back to back, so drift in machine speed between rounds cancels out.
    per_round = statistics.median(round_deltas)
    verdict = "within" if per_round <= TARGET_MS else "OVER"
    print(
        f"added by the key policy: p50 {added:+.3f} ms ({ratio:.2f}x), p99 {added_p99:+.3f} ms, "
        f"CPU p50 {added_cpu:+.3f} ms (pooled samples)"
    )
    print(
        f"median of per-round p50 differences: {per_round:+.3f} ms "
        f"(rounds {min(round_deltas):+.3f} .. {max(round_deltas):+.3f}); "
        f"{verdict} the {TARGET_MS} ms p50 target"
    )


if __name__ == "__main__":
    sys.exit(main())
