"""Benchmark: what the API key policy adds to GET /v1/pets/{id} on SQLite, through WSGI.

Four configurations of one process, interleaved in rounds so machine noise hits all alike:

- ``keyed``: the defaults: x-api-key authentication (the key as this process kept it from
  an earlier request, one SHA-512 verify) plus the usage-plan throttle (one conditional
  UPDATE ... RETURNING on the meter row that also re-checks the key row) and the
  X-RateLimit-* headers.
- ``keyed-uncached``: the same with API_KEYS["KEY_CACHE_SECONDS"] = 0: every request also
  reads key, plan, owner and meter with the ORM's select_related query.
- ``baseline``: the same view with an authentication class that hands over the already
  loaded user (no query) and no throttle: the request without the key policy.
- ``baseline-aa``: the baseline again (A/A control): what the method itself reads as a
  difference where there is none.

The difference of the medians is the policy's cost (target for ``keyed``, the default: at
most 0.5 ms at p50).
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


CONFIGS = ("keyed", "keyed-uncached", "baseline", "baseline-aa")


def configurations(user: Any) -> dict[str, Callable[[], None]]:
    """Switches between the setups by changing the view's policy classes (and key keeping)."""
    from django.conf import settings
    from rest_framework.authentication import BaseAuthentication

    from apps.api_keys import lookup
    from apps.pets.views import PetViewSet

    class AlreadyAuthenticated(BaseAuthentication):
        def authenticate(self, request: Any) -> tuple[Any, None]:
            return user, None

    keyed = (PetViewSet.authentication_classes, PetViewSet.throttle_classes)
    kept = dict(settings.API_KEYS)

    def use_keyed(seconds: float | None = None) -> None:
        PetViewSet.authentication_classes, PetViewSet.throttle_classes = keyed
        settings.API_KEYS = kept if seconds is None else {**kept, "KEY_CACHE_SECONDS": seconds}
        lookup.forget()  # the first request of each batch reads the key (warm-up included)

    def use_baseline() -> None:
        PetViewSet.authentication_classes = [AlreadyAuthenticated]
        PetViewSet.throttle_classes = []

    return {
        "keyed": use_keyed,
        "keyed-uncached": lambda: use_keyed(0),
        "baseline": use_baseline,
        "baseline-aa": use_baseline,
    }


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
    headers = {name: {"HTTP_X_API_KEY": raw_key} if "keyed" in name else {} for name in CONFIGS}
    switch = configurations(user)
    samples: dict[str, list[float]] = {name: [] for name in CONFIGS}
    cpu: dict[str, list[float]] = {name: [] for name in CONFIGS}
    # Per round: each configuration's p50 minus the baseline's, measured side by side.
    round_deltas: dict[str, list[float]] = {name: [] for name in CONFIGS if name != "baseline"}

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
        for name, deltas in round_deltas.items():
            deltas.append(medians[name] - medians["baseline"])
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
    headers = {"HTTP_X_API_KEY": raw_key} if config.startswith("keyed") else {}
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
        for config in ("keyed", "keyed-uncached", "baseline")
    }
    base = per_request["baseline"]
    print(f"instructions per request (callgrind, {count} requests): baseline {base / 1e6:.3f} M")
    for config in ("keyed", "keyed-uncached"):
        added = per_request[config] - base
        estimate = baseline_ms * added / base
        verdict = "within" if estimate <= TARGET_MS else "OVER"
        print(
            f"  {config}: {per_request[config] / 1e6:.3f} M ({per_request[config] / base:.3f}x); "
            f"added {added / 1e6:.3f} M = {estimate:.3f} ms at the baseline's "
            f"{baseline_ms:.3f} ms p50; {verdict} the {TARGET_MS} ms target"
        )


def report(
    samples: dict[str, list[float]],
    cpu: dict[str, list[float]],
    args: argparse.Namespace,
    round_deltas: dict[str, list[float]],
) -> None:
    import django

    print("GET /v1/pets/{id} via Django's WSGI handler, SQLite file database")
    print(
        f"Python {platform.python_version()}, Django {django.get_version()}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs; {args.rounds} interleaved rounds of "
        f"{args.per_round} requests per configuration; load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print(f"{'configuration':<16}{'p50 ms':>10}{'p99 ms':>10}{'mean ms':>10}{'CPU p50 ms':>12}")
    for name, values in samples.items():
        print(
            f"{name:<16}{percentile(values, 0.5):>10.3f}{percentile(values, 0.99):>10.3f}"
            f"{statistics.fmean(values):>10.3f}{percentile(cpu[name], 0.5):>12.3f}"
        )
    # The verdict uses the median of per-round differences: a round's configurations ran
    # back to back, so drift in machine speed between rounds cancels out. The A/A row is
    # what that method reads where nothing differs.
    print("over the baseline     p50 (pooled)  p99 (pooled)  CPU p50   per-round median (range)")
    for name, deltas in round_deltas.items():
        added = percentile(samples[name], 0.5) - percentile(samples["baseline"], 0.5)
        added_p99 = percentile(samples[name], 0.99) - percentile(samples["baseline"], 0.99)
        added_cpu = percentile(cpu[name], 0.5) - percentile(cpu["baseline"], 0.5)
        per_round = statistics.median(deltas)
        print(
            f"  {name:<18}{added:>+10.3f} ms{added_p99:>+11.3f} ms{added_cpu:>+8.3f} ms"
            f"{per_round:>+10.3f} ms ({min(deltas):+.3f} .. {max(deltas):+.3f})"
        )
    per_round = statistics.median(round_deltas["keyed"])
    verdict = "within" if per_round <= TARGET_MS else "OVER"
    print(f"keyed (the default): {per_round:+.3f} ms at p50; {verdict} the {TARGET_MS} ms target")


if __name__ == "__main__":
    sys.exit(main())
