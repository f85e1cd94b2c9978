"""Benchmark: the API function's warm cost per request with and without the key authorizer.

Through the real Lambda handler (lambda_runtime.handler.handler), GET /v1/pets/{id} on a
throwaway SQLite file, three configurations interleaved in shuffled rounds so machine
noise hits them alike:

- ``key``: no authorizer; Django checks x-api-key (one read of key, plan, owner and meter,
  one SHA-512 verify), then meters (one conditional UPDATE).
- ``key (A/A)``: the same again: the spread between the two is the noise floor.
- ``authorizer context``: the event carries the key authorizer's context in
  requestContext.authorizer.lambda; Django builds the key from it (no read, no hash) and
  meters it (the UPDATE, in a transaction: the meter's day is unknown).

Also timed: one uncached call of the authorizer function itself (lambda_runtime.handler.
authorize_api_key), which API Gateway makes once per key value per TTL.

Run: ``.venv/bin/python benchmarks/bench_key_authorizer.py --rounds 30 --requests 200``.
``--instructions N`` also counts instructions per request under valgrind's callgrind
(exact and repeatable, unlike wall time on a shared VM): each variant runs 0 and N
requests after the same setup and warm-up; the difference divided by N is its count.
"""

from __future__ import annotations

import argparse
import json
import os
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
HOST = "abcdef1234.execute-api.eu-west-1.amazonaws.com"


def configure(workdir: Path) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.update(
        {
            # What the function runs with (local settings re-scan static files per request).
            "DJANGO_SETTINGS_MODULE": "gatewayproject.settings.production",
            "DJANGO_SECRET_KEY": "bench-only-" + "x" * 50,
            "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
            "DJANGO_STATIC_ROOT": str(workdir),
            "DJANGO_LOG_LEVEL": "WARNING",
            "DJANGO_ALLOWED_HOSTS": HOST,
            "REDIS_URL": "",
        }
    )


def seed() -> tuple[int, str]:
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
    return pet.pk, raw_key


def event(path: str, raw_key: str, context: dict[str, str] | None) -> dict[str, Any]:
    """A payload 2.0 event as an HTTP API sends it (with the authorizer's context, if any)."""
    request_context: dict[str, Any] = {
        "accountId": "123456789012",
        "apiId": "abcdef1234",
        "domainName": HOST,
        "domainPrefix": "abcdef1234",
        "http": {
            "method": "GET",
            "path": f"/prod{path}",
            "protocol": "HTTP/1.1",
            "sourceIp": "203.0.113.9",
            "userAgent": "bench",
        },
        "requestId": "bench-request",
        "routeKey": "GET /v1/{proxy+}",
        "stage": "prod",
        "time": "04/Dec/2026:12:00:00 +0000",
        "timeEpoch": 1796385600000,
    }
    if context is not None:
        request_context["authorizer"] = {"lambda": context}
    return {
        "version": "2.0",
        "routeKey": "GET /v1/{proxy+}",
        "rawPath": f"/prod{path}",
        "rawQueryString": "",
        "headers": {
            "host": HOST,
            "x-api-key": raw_key,
            "user-agent": "bench",
            "x-forwarded-proto": "https",
        },
        "requestContext": request_context,
        "isBase64Encoded": False,
    }


class Context:
    aws_request_id = "bench"
    function_name = "bench"


def timed(call: Callable[[], Any], n: int) -> float:
    """Mean milliseconds per call over n calls."""
    started = time.perf_counter()
    for _ in range(n):
        call()
    return (time.perf_counter() - started) * 1000 / n


def variants_in(tmp: Path) -> dict[str, Callable[[], Any]]:
    """Set up a database and the handler; the calls each variant makes, warmed up."""
    configure(tmp)
    from lambda_runtime import handler as entry  # the init phase

    pet_id, raw_key = seed()
    path = f"/v1/pets/{pet_id}"
    decision = entry.authorize_api_key(event(path, raw_key, None), Context())
    if not decision["isAuthorized"]:
        raise SystemExit(f"the authorizer refused the key: {decision}")
    plain = json.loads(json.dumps(event(path, raw_key, None)))
    with_context = json.loads(json.dumps(event(path, raw_key, decision["context"])))
    variants: dict[str, Callable[[], Any]] = {
        "key": lambda: entry.handler(plain, Context()),
        "key (A/A)": lambda: entry.handler(plain, Context()),
        "authorizer context": lambda: entry.handler(with_context, Context()),
        "authorizer call": lambda: entry.authorize_api_key(plain, Context()),
    }
    for call in variants.values():  # warm every path (first queries, caches)
        result = call()
        if result.get("statusCode", 200) != 200 or result.get("isAuthorized") is False:
            raise SystemExit(f"a variant failed: {result}")
        timed(call, 50)
    return variants


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--instructions", type=int, default=0, metavar="N")
    parser.add_argument("--child", nargs=2, metavar=("VARIANT", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        with tempfile.TemporaryDirectory() as tmp:
            call = variants_in(Path(tmp))[args.child[0]]
            for _ in range(int(args.child[1])):
                call()
        return
    with tempfile.TemporaryDirectory() as tmp:
        variants = variants_in(Path(tmp))
        samples: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(args.rounds):
            order = list(variants)
            random.shuffle(order)
            for name in order:
                samples[name].append(timed(variants[name], args.requests))
        report(samples, args)
    if args.instructions:
        report_instructions(args.instructions)


def instructions(variant: str, count: int) -> int:
    result = subprocess.run(  # noqa: S603 (valgrind from PATH, checked before)
        [shutil.which("valgrind") or "valgrind", "--tool=callgrind",
         "--callgrind-out-file=/dev/null", sys.executable, __file__, "--child", variant,
         str(count)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    match = re.search(r"I\s+refs:\s+([\d,]+)", result.stderr)
    if match is None:
        raise SystemExit("bench: no instruction count from valgrind")
    return int(match.group(1).replace(",", ""))


def report_instructions(count: int) -> None:
    if shutil.which("valgrind") is None:
        print("instructions: valgrind not found; skipped")
        return
    per_request = {
        variant: (instructions(variant, count) - instructions(variant, 0)) / count
        for variant in ("key", "authorizer context", "authorizer call")
    }
    key, context = per_request["key"], per_request["authorizer context"]
    print(f"instructions per request (callgrind, {count} requests):")
    for variant, value in per_request.items():
        print(f"  {variant:<20} {value / 1e6:.3f} M")
    print(f"authorizer context vs key: {(context - key) / 1e6:+.3f} M ({context / key:.3f}x)")


def report(samples: dict[str, list[float]], args: argparse.Namespace) -> None:
    medians = {name: statistics.median(values) for name, values in samples.items()}
    print(f"{args.rounds} rounds x {args.requests} requests per variant, interleaved, shuffled")
    print(f"load average at the end: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)")
    for name, value in medians.items():
        spread = statistics.quantiles(samples[name], n=10)
        print(
            f"  {name:<20} median {value:.3f} ms/request "
            f"(p10 {spread[0]:.3f}, p90 {spread[-1]:.3f})"
        )
    key, control, context = medians["key"], medians["key (A/A)"], medians["authorizer context"]
    print(f"A/A control:          {control - key:+.3f} ms ({control / key:.3f}x)")
    print(f"authorizer context:   {context - key:+.3f} ms per request ({context / key:.3f}x)")


if __name__ == "__main__":
    main()
