"""Benchmark: what strong ETags add to the keyed GET /v1/pets/{id}, and a 304 against a 200.

Four configurations of one process (SQLite file, Django's WSGI handler, the real x-api-key
and usage-plan metering), interleaved in rounds so machine noise hits all alike:

- ``before``: the view as it was before conditional requests: DRF's plain retrieve and
  finalize_response (no ETag, no Cache-Control/Vary, no precondition parsing);
- ``before-again``: the same again, an A/A control: its difference from ``before`` is the
  noise floor of this run;
- ``etag``: today's view answering 200 with the ETag and private caching headers;
- ``304``: today's view with If-None-Match matching: 304, no serializer, no body.

Targets (issue 14): ``etag`` at most +0.05 ms p50 over ``before`` (median of per-round
differences), and ``304`` no slower than ``etag``.

Run: ``make bench-conditional`` (or ``.venv/bin/python benchmarks/bench_conditional.py
--rounds 30``); ``--instructions`` adds callgrind instruction counts per request, exact and
repeatable where wall-clock time on a shared VM drifts.
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

from bench_api_keys import configure, make_environ, percentile, seed

TARGET_MS = 0.05
CONFIGS = ("before", "before-again", "etag", "304")


def switches() -> dict[str, Callable[[], None]]:
    """Put the pre-change methods on the view class, or take them off again."""
    from rest_framework import mixins
    from rest_framework.views import APIView

    from apps.pets.views import PetViewSet

    def before() -> None:
        PetViewSet.retrieve = mixins.RetrieveModelMixin.retrieve  # type: ignore[method-assign]
        PetViewSet.finalize_response = APIView.finalize_response  # type: ignore[method-assign]

    def today() -> None:
        for name in ("retrieve", "finalize_response"):
            if name in PetViewSet.__dict__:
                delattr(PetViewSet, name)

    return {"before": before, "before-again": before, "etag": today, "304": today}


def timed(
    app: Any, path: str, headers: dict[str, str], expect: str, count: int
) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU (this thread) milliseconds per request."""
    statuses: list[str] = []

    def start_response(status: str, response_headers: Any, exc_info: Any = None) -> None:
        statuses.append(status)

    wall, cpu = [], []
    for _ in range(count):
        environ = make_environ(path, headers)
        environ["wsgi.input"] = io.BytesIO(b"")
        started, started_cpu = time.perf_counter(), time.thread_time()
        response = app(environ, start_response)
        b"".join(response)
        response.close()
        cpu.append((time.thread_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
    if any(not status.startswith(expect) for status in statuses):
        raise SystemExit(f"bench: expected {expect}, got {set(statuses)}")
    return wall, cpu


def setup() -> tuple[Any, str, dict[str, dict[str, str]], dict[str, str]]:
    from django.core.wsgi import get_wsgi_application

    _user, pet_id, raw_key = seed()
    app = get_wsgi_application()
    path = f"/v1/pets/{pet_id}"
    keyed = {"HTTP_X_API_KEY": raw_key}
    switches()["etag"]()
    etag = ""

    def grab(status: str, response_headers: Any, exc_info: Any = None) -> None:
        nonlocal etag
        etag = dict(response_headers)["ETag"]

    b"".join(app(make_environ(path, keyed), grab))
    headers = {name: keyed for name in CONFIGS}
    headers["304"] = {**keyed, "HTTP_IF_NONE_MATCH": etag}
    expect = {name: "200" for name in CONFIGS} | {"304": "304"}
    return app, path, headers, expect


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--per-round", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--instructions", action="store_true", help="also count instructions")
    parser.add_argument("--child", nargs=2, metavar=("CONFIG", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        # One CPU, as the other benchmarks do: no migrations between cores mid-request.
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[-1]})
    workdir = Path(tempfile.mkdtemp(prefix="bench-conditional-"))
    configure(workdir)
    app, path, headers, expect = setup()
    switch = switches()
    if args.child:
        config, count = args.child[0], int(args.child[1])
        switch[config]()
        timed(app, path, headers[config], expect[config], 50)
        timed(app, path, headers[config], expect[config], count)
        return 0
    samples: dict[str, list[float]] = {name: [] for name in CONFIGS}
    cpu_samples: dict[str, list[float]] = {name: [] for name in CONFIGS}
    for name in CONFIGS:
        switch[name]()
        timed(app, path, headers[name], expect[name], args.warmup)
    rounds: list[dict[str, float]] = []
    cpu_rounds: list[dict[str, float]] = []
    rng = random.Random(14)  # noqa: S311 (order only)
    for _ in range(args.rounds):
        order = list(CONFIGS)
        rng.shuffle(order)
        medians, cpu_medians = {}, {}
        for name in order:
            switch[name]()
            wall, cpu = timed(app, path, headers[name], expect[name], args.per_round)
            samples[name] += wall
            cpu_samples[name] += cpu
            medians[name] = percentile(wall, 0.5)
            cpu_medians[name] = percentile(cpu, 0.5)
        rounds.append(medians)
        cpu_rounds.append(cpu_medians)
    report(samples, rounds, args, "wall")
    report_differences(cpu_samples, cpu_rounds, "CPU (this thread)")
    shutil.rmtree(workdir, ignore_errors=True)
    if args.instructions:
        report_instructions()
    return 0


def _per_round(rounds: list[dict[str, float]], a: str, b: str) -> tuple[float, float, float]:
    deltas = [r[a] - r[b] for r in rounds]
    return statistics.median(deltas), min(deltas), max(deltas)


def report(
    samples: dict[str, list[float]],
    rounds: list[dict[str, float]],
    args: argparse.Namespace,
    clock: str,
) -> None:
    import django

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print("keyed GET /v1/pets/{id} via Django's WSGI handler, SQLite file database")
    print(
        f"Python {platform.python_version()}, Django {django.get_version()}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs, load average {load:.2f}; "
        f"{args.rounds} interleaved rounds of {args.per_round} requests per configuration"
    )
    report_differences(samples, rounds, clock)


def report_differences(
    samples: dict[str, list[float]], rounds: list[dict[str, float]], clock: str
) -> None:
    print(f"{clock}: {'configuration':<14}{'p50 ms':>10}{'p99 ms':>10}{'mean ms':>10}")
    for name, values in samples.items():
        print(
            f"{clock}: {name:<14}{percentile(values, 0.5):>10.3f}"
            f"{percentile(values, 0.99):>10.3f}{statistics.fmean(values):>10.3f}"
        )
    control = _per_round(rounds, "before-again", "before")
    added = _per_round(rounds, "etag", "before")
    saved = _per_round(rounds, "304", "etag")
    print(
        f"{clock}: A/A control (before-again - before): median per-round p50 "
        f"{control[0]:+.4f} ms (rounds {control[1]:+.4f} .. {control[2]:+.4f})"
    )
    verdict = "within" if added[0] <= TARGET_MS else "OVER"
    print(
        f"{clock}: ETag added (etag - before): median per-round p50 {added[0]:+.4f} ms "
        f"(rounds {added[1]:+.4f} .. {added[2]:+.4f}); {verdict} the +{TARGET_MS} ms target"
    )
    verdict = "no slower" if saved[0] <= 0 else "SLOWER"
    print(
        f"{clock}: 304 vs 200 (304 - etag): median per-round p50 {saved[0]:+.4f} ms "
        f"(rounds {saved[1]:+.4f} .. {saved[2]:+.4f}); the 304 is {verdict}"
    )


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


def report_instructions(count: int = 300) -> None:
    if shutil.which("valgrind") is None:
        print("instructions: valgrind not found; skipped")
        return
    per_request = {
        config: (instructions(config, count) - instructions(config, 0)) / count
        for config in ("before", "etag", "304")
    }
    before = per_request["before"]
    print(
        f"instructions per request (callgrind, {count} requests): "
        + ", ".join(f"{name} {value / 1e6:.3f} M" for name, value in per_request.items())
        + f"; etag adds {(per_request['etag'] - before) / 1e3:+.1f} k "
        f"({per_request['etag'] / before - 1:+.2%}), 304 vs 200 "
        f"{(per_request['304'] - per_request['etag']) / 1e3:+.1f} k"
    )


if __name__ == "__main__":
    sys.exit(main())
