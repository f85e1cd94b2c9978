"""Benchmark: does an unknown key prefix answer faster than a known prefix with a wrong secret?

    make bench-key-timing     # or: .venv/bin/python benchmarks/bench_key_timing.py [--pairs 400]

A 403 that comes back measurably sooner for an unknown prefix tells an attacker which
prefixes exist. Both requests go through Django's WSGI handler (GET /v1/pets/{id}, local
settings, a throwaway SQLite file), in pairs whose order is shuffled, three runs of
`--pairs` pairs each after a warm-up. Each run reports the median of the per-pair
differences (unknown minus known-wrong) beside an A/A control (known-wrong against
known-wrong, the same measurement with no real difference): a difference inside the A/A
control's spread is no signal.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_api_keys as common


def pairs(first: Callable[[], float], second: Callable[[], float], count: int) -> list[float]:
    """Per-pair differences first - second, in microseconds, each pair in random order."""
    differences = []
    for _ in range(count):
        if random.random() < 0.5:  # noqa: S311
            a = first()
            b = second()
        else:
            b = second()
            a = first()
        differences.append((a - b) * 1e6)
    return differences


def spread(values: list[float]) -> str:
    quartiles = statistics.quantiles(values, n=4)
    median = statistics.median(values)
    return f"median {median:+7.1f} µs (IQR {quartiles[0]:+.0f} … {quartiles[2]:+.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=400)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        common.configure(Path(tmp))
        _user, pet_id, raw_key = common.seed()
        from django.core.wsgi import get_wsgi_application

        app = get_wsgi_application()
        prefix, secret = raw_key.split(".")
        known_wrong = f"{prefix}.{'x' * len(secret)}"
        unknown = f"{'z' * len(prefix)}.{'x' * len(secret)}"

        def timed(key: str) -> Callable[[], float]:
            def call() -> float:
                environ = common.make_environ(f"/v1/pets/{pet_id}", {"HTTP_X_API_KEY": key})
                started = time.perf_counter()
                result = app(environ, lambda status, headers, exc_info=None: None)
                b"".join(result)
                result.close()  # type: ignore[attr-defined]
                return time.perf_counter() - started

            return call

        unknown_call, known_call = timed(unknown), timed(known_wrong)
        for key in (unknown, known_wrong):
            if b"Forbidden" not in _body(app, common, pet_id, key):
                raise SystemExit(f"expected a 403 for {key[:8]}...")
        pairs(unknown_call, known_call, 200)  # warm-up
        import os

        print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
        print(f"{args.runs} runs x {args.pairs} interleaved pairs, GET /v1/pets/{{id}} -> 403")
        for run in range(1, args.runs + 1):
            real = pairs(unknown_call, known_call, args.pairs)
            control = pairs(known_call, known_call, args.pairs)
            print(f"  run {run}: unknown - known-wrong {spread(real)}; A/A {spread(control)}")


def _body(app: object, common: object, pet_id: int, key: str) -> bytes:
    environ = common.make_environ(f"/v1/pets/{pet_id}", {"HTTP_X_API_KEY": key})  # type: ignore[attr-defined]
    result = app(environ, lambda status, headers, exc_info=None: None)  # type: ignore[operator]
    body = b"".join(result)
    result.close()
    return body


if __name__ == "__main__":
    main()
