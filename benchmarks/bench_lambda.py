"""Lambda runtime benchmark (issue 4): per-request cost and cold start, side by side.

    make bench-lambda        # builds .venv-zappa (with Zappa) and the package, then runs this

Per request, `GET /v1/pets/{id}` with the default /v1 authentication (credentials from
tests/conftest.py's `auth_headers`), a real row, production settings on SQLite (persistent
connections), each variant in its own process, all pinned to one CPU, rounds interleaved:

  a  lambda_runtime.handler.handler on payload-2.0 events (this project)
  b  a raw WSGI call of the same Django app (the floor)
  c  Zappa's handler, DEBUG off, Zappa's own request log off (the peer)
  d  Mangum straight over Django's ASGI application (the naive way)
  e  the floor again, in another process (A/A control: the noise)

Cold start: a fresh interpreter from spawn to the first response through the handler,
against spawn to `django.setup()` with the same settings, interleaved; from the built
deployment package with Python 3.12 (as Lambda runs it) when --package is given.

Targets: a/b <= 1.10, a/c <= 1.0 within the A/A noise, a/d <= 0.5, cold <= 1.3.

`--instructions N` also counts each variant's instructions per request under valgrind's
callgrind (N requests after the same warm-up, minus a run with none): exact and repeatable
on a noisy machine, blind to waiting (thread hand-offs), so a check on the wall clock, not
a replacement for it. It adds about a minute per variant and request count.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import io
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.lambda_runtime import events  # noqa: E402

VARIANTS = {
    "a": "this handler",
    "b": "raw WSGI (floor)",
    "c": "Zappa handler",
    "d": "Mangum + Django ASGI",
    "e": "raw WSGI again (A/A)",
}
HOST = "aaaaaaaaaa.execute-api.us-west-2.amazonaws.com"
BENCH_SETTINGS = """from gatewayproject.settings.production import *  # noqa: F403

# PBKDF2 (1,000,000 iterations, ~0.3 s) would be most of every request with basic auth;
# this measures the request path, not the password hasher. API keys hash nothing slow.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
"""
ZAPPA_SETTINGS = """API_STAGE = "bench"
PROJECT_NAME = "bench"
DJANGO_SETTINGS = "benchsettings"
DEBUG = False
LOG_LEVEL = "WARNING"
BINARY_SUPPORT = True
CONTEXT_HEADER_MAPPINGS = {}
ENVIRONMENT_VARIABLES = {}
EXCEPTION_HANDLER = None
DOMAIN = None
BASE_PATH = None
SETTINGS_FILE = None
AWS_EVENT_MAPPING = {}
AWS_BOT_EVENT_MAPPING = {}
COGNITO_TRIGGER_MAPPING = {}
ADDITIONAL_TEXT_MIMETYPES = []
"""


# --- Worker processes ---------------------------------------------------------------


class Context:
    """The Lambda context object, as far as any variant reads it."""

    aws_request_id = "0c3e7b9a-4d7f-4b49-9a6a-bench0000001"
    function_name = "bench"


def _raw_wsgi(event: dict[str, Any]) -> Any:
    """What a WSGI server hands Django for the same request: environ from the headers."""
    from gatewayproject.wsgi import application

    template = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": event["rawPath"],
        "QUERY_STRING": "",
        "SERVER_NAME": HOST,
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "1.2.3.4",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "https",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "CONTENT_LENGTH": "0",
    }
    for name, value in event["headers"].items():
        if name != "content-length":
            template["HTTP_" + name.upper().replace("-", "_")] = value

    def call(_: Any) -> dict[str, Any]:
        environ = dict(template)
        environ["wsgi.input"] = io.BytesIO(b"")
        status: list[str] = []
        result = application(environ, lambda s, h, e=None: status.append(s))
        try:
            body = b"".join(result)
        finally:
            result.close()
        return {"statusCode": int(status[0][:3]), "body": body.decode()}

    return call


def _variant(name: str, event: dict[str, Any]) -> Any:
    if name == "a":
        from lambda_runtime.handler import handler

        return lambda e: handler(e, Context())
    if name == "c":
        from zappa.handler import lambda_handler

        return lambda e: lambda_handler(e, Context())
    if name == "d":
        from django.core.asgi import get_asgi_application
        from mangum import Mangum

        naive = Mangum(get_asgi_application(), lifespan="off")
        return lambda e: naive(e, Context())
    return _raw_wsgi(event)


def worker(name: str, event_json: str, pet_id: int, warmup: int) -> None:
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    sys.stdout = sys.stderr  # Zappa prints on first use; keep the protocol channel clean.
    call = _variant(name, json.loads(event_json))
    first = call(json.loads(event_json))
    if first["statusCode"] != 200 or json.loads(first["body"]).get("id") != pet_id:
        # Every variant must serve the same real response, or the timings compare nothing.
        protocol.write(json.dumps({"error": f"{first['statusCode']} {first['body'][:300]}"}))
        raise SystemExit(1)
    warm_up(call, event_json, warmup)
    protocol.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        count = json.loads(line)["n"]
        inputs = [json.loads(event_json) for _ in range(count)]
        wall, cpu = [], []
        for item in inputs:
            started, started_cpu = time.perf_counter_ns(), time.process_time_ns()
            call(item)
            wall.append(time.perf_counter_ns() - started)
            cpu.append(time.process_time_ns() - started_cpu)
        protocol.write(json.dumps({"wall": wall, "cpu": cpu}) + "\n")


def warm_up(call: Any, event_json: str, warmup: int) -> None:
    for _ in range(warmup):
        call(json.loads(event_json))
    gc.collect()
    gc.freeze()  # Every variant measured with init objects out of the collector's view.


def count_child(name: str, event_json: str, requests: int, warmup: int) -> None:
    """Under callgrind: set up one variant, warm it up, then serve `requests` requests."""
    sys.stdout = sys.stderr
    call = _variant(name, json.loads(event_json))
    warm_up(call, event_json, warmup)
    inputs = [json.loads(event_json) for _ in range(requests)]
    for item in inputs:
        call(item)


def instructions(
    env: dict[str, str], event: dict[str, Any], warmup: int, requests: int
) -> dict[str, float]:
    """Instructions per request of each variant: callgrind's total for `requests` requests
    minus its total for none, after the same setup and warm-up, divided by `requests`.
    Exact and repeatable, whatever else the machine does; it cannot see time spent waiting
    (thread hand-offs, I/O), which the wall-clock ratios include."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise SystemExit("bench: --instructions needs valgrind")

    def total(name: str, count: int) -> int:
        result = subprocess.run(  # noqa: S603
            [valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
             __file__, "--count-child", name, "--event", json.dumps(event),
             "--requests", str(count), "--warmup", str(warmup)],
            env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        match = re.search(r"I\s+refs:\s+([\d,]+)", result.stderr)
        if match is None:
            raise SystemExit(f"bench: no instruction count for {name}")
        return int(match.group(1).replace(",", ""))

    return {name: (total(name, requests) - total(name, 0)) / requests for name in VARIANTS}


# --- Orchestration ----------------------------------------------------------------------


def prepare(workdir: Path, setup_python: str) -> tuple[dict[str, str], dict[str, Any], int]:
    (workdir / "benchsettings.py").write_text(BENCH_SETTINGS)
    (workdir / "zappa_settings.py").write_text(ZAPPA_SETTINGS)
    (workdir / "static").mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))},
        "PYTHONPATH": f"{ROOT}{os.pathsep}{workdir}",
        "DJANGO_SETTINGS_MODULE": "benchsettings",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_STATIC_ROOT": str(workdir / "static"),
    }
    setup = subprocess.run(  # noqa: S603
        [setup_python, "-m", "tests.lambda_runtime.probe", "setup"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    prepared = json.loads(setup.stdout.splitlines()[-1])
    event = events.http_api(path=f"/v1/pets/{prepared['pet_id']}", headers=prepared["headers"])
    return env, event, int(prepared["pet_id"])


def start_workers(
    env: dict[str, str], event: dict[str, Any], pet_id: int, warmup: int
) -> dict[str, Any]:
    workers = {}
    for name in VARIANTS:
        command = [
            sys.executable,
            __file__,
            "--worker",
            name,
            "--event",
            json.dumps(event),
            "--pet-id",
            str(pet_id),
            "--warmup",
            str(warmup),
        ]
        workers[name] = subprocess.Popen(  # noqa: S603
            command,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            bufsize=1,
        )
    for name, process in workers.items():
        line = process.stdout.readline()
        if not line or "error" in json.loads(line):
            reason = json.loads(line)["error"] if line else "see its stderr"
            raise SystemExit(f"bench: worker {name} ({VARIANTS[name]}) failed: {reason}")
    return workers


def run_rounds(workers: dict[str, Any], rounds: int, per_round: int) -> dict[str, Any]:
    """{"wall"/"cpu": {variant: [[ns, ...] per round]}}; each round runs every variant once,
    in a rotating order, so neighbours in time are compared."""
    samples: dict[str, Any] = {"wall": {n: [] for n in workers}, "cpu": {n: [] for n in workers}}
    order = list(workers)
    for index in range(rounds):
        for name in order[index % len(order) :] + order[: index % len(order)]:
            workers[name].stdin.write(json.dumps({"n": per_round}) + "\n")
            reply = json.loads(workers[name].stdout.readline())
            for kind in ("wall", "cpu"):
                samples[kind][name].append(reply[kind])
    for process in workers.values():
        process.stdin.close()
        process.wait(timeout=30)
    return samples


def cold_start(
    env: dict[str, str],
    event: dict[str, Any],
    runs: int,
    package: Path | None,
    python312: str | None,
    workdir: Path,
) -> dict[str, float]:
    """Medians from spawn to first response and to django.setup(): wall seconds, and the
    child's CPU seconds at that moment (steadier on a shared machine)."""
    if package:
        target = workdir / "package"
        with zipfile.ZipFile(package) as archive:
            archive.extractall(target)
        python, paths, flags = (
            python312 or _find_python312(),
            [str(target), str(workdir)],
            ["-I", "-S"],
        )
        env = {k: v for k, v in env.items() if k not in ("PYTHONPATH", "DJANGO_STATIC_ROOT")}
    else:
        python, paths, flags = sys.executable, [], []
    prefix = f"import sys; sys.path[:0] = {paths!r}; "
    scripts = {
        "first": prefix + "import json; e = json.loads(sys.argv[1]); "
        "from lambda_runtime.handler import handler; "
        "status = handler(e, None)['statusCode']; import time; "
        "print(status, time.process_time(), flush=True)",
        "setup": prefix + "import django; django.setup(); import time; "
        "print(200, time.process_time(), flush=True)",
    }
    times: dict[str, list[float]] = {"first": [], "setup": [], "first_cpu": [], "setup_cpu": []}
    for index in range(runs + 1):
        for kind in ("first", "setup") if index % 2 else ("setup", "first"):
            started = time.perf_counter()
            process = subprocess.Popen(  # noqa: S603
                [python, *flags, "-c", scripts[kind], json.dumps(event)],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
            line = process.stdout.readline().split()
            elapsed = time.perf_counter() - started
            process.wait(timeout=60)
            if not line or line[0] != "200":
                raise SystemExit(f"bench: cold-start {kind} run failed ({line!r})")
            if index:  # The first pair only warms the page cache.
                times[kind].append(elapsed)
                times[f"{kind}_cpu"].append(float(line[1]))
    return {kind: statistics.median(values) for kind, values in times.items()}


def _find_python312() -> str:
    """The interpreter scripts/package.py compiled the package with."""
    spec = importlib.util.spec_from_file_location("package_script", ROOT / "scripts" / "package.py")
    if spec is None or spec.loader is None:
        raise SystemExit("bench: scripts/package.py not found")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.find_python312(None))


def _ratio(rounds: dict[str, list[list[int]]], top: str, bottom: str) -> float:
    """Median over rounds of p50(top) / p50(bottom): load on a shared machine drifts
    between rounds, and within a round both ran minutes apart at most."""
    return statistics.median(
        statistics.median(x) / statistics.median(y)
        for x, y in zip(rounds[top], rounds[bottom], strict=True)
    )


def report(samples: dict[str, Any], cold: dict[str, float], args: Any) -> int:
    def p(kind: str, name: str, q: float) -> float:
        values = sorted(t for chunk in samples[kind][name] for t in chunk)
        return values[min(len(values) - 1, int(len(values) * q))] / 1e6

    print(
        f"\nPer request: GET /v1/pets/{{id}}, {args.rounds} rounds x {args.requests} "
        f"requests per variant, CPU {args.cpu}, Python {sys.version.split()[0]}"
    )
    print(f"{'variant':28} {'p50 ms':>8} {'p99 ms':>8} {'CPU p50':>8}")
    for name, label in VARIANTS.items():
        print(
            f"{name}  {label:25} {p('wall', name, 0.5):8.3f} {p('wall', name, 0.99):8.3f} "
            f"{p('cpu', name, 0.5):8.3f}"
        )
    pairs = {"a/b": ("a", "b"), "a/c": ("a", "c"), "a/d": ("a", "d"), "e/b (A/A)": ("e", "b")}
    ratios = {kind: {k: _ratio(samples[kind], *v) for k, v in pairs.items()} for kind in samples}
    for kind, label in (("wall", "wall"), ("cpu", "CPU")):
        shown = ", ".join(f"{k} = {v:.3f}" for k, v in ratios[kind].items())
        print(f"Ratios (median over rounds of per-round p50 ratios, {label}): {shown}")
    cold_ratio = cold["first"] / cold["setup"]
    print(
        f"\nCold start ({'package ' + str(args.package) if args.package else 'venv'}, "
        f"median of {args.cold_runs} each): spawn -> first response "
        f"{cold['first'] * 1000:.0f} ms (CPU {cold['first_cpu'] * 1000:.0f}), spawn -> "
        f"django.setup() {cold['setup'] * 1000:.0f} ms (CPU {cold['setup_cpu'] * 1000:.0f}); "
        f"ratio {cold_ratio:.2f} (CPU {cold['first_cpu'] / cold['setup_cpu']:.2f})"
    )
    wall = ratios["wall"]
    noise = abs(1 - wall["e/b (A/A)"])
    checks = [
        ("a/b <= 1.10", wall["a/b"] <= 1.10),
        (f"a/c <= 1.0 within the A/A noise ({noise:.3f})", wall["a/c"] <= 1.0 + noise),
        ("a/d <= 0.5", wall["a/d"] <= 0.5),
        ("cold start <= 1.3x spawn + django.setup()", cold_ratio <= 1.3),
    ]
    print()
    for label, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {label}")
    return 0 if all(ok for _, ok in checks) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--requests", type=int, default=100, help="per variant per round")
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--cold-runs", type=int, default=15)
    parser.add_argument("--cpu", type=int, default=max(os.sched_getaffinity(0)))
    parser.add_argument("--package", type=Path, help="the built Lambda zip, for cold start")
    parser.add_argument("--python312", help="Python 3.12 for the package's cold start")
    parser.add_argument(
        "--setup-python",
        default=str(ROOT / ".venv" / "bin" / "python"),
        help="a Python with the dev tools (pytest, factory-boy) for setup",
    )
    parser.add_argument(
        "--instructions",
        type=int,
        metavar="N",
        help="also count instructions per request of each variant under callgrind (N requests)",
    )
    parser.add_argument("--worker", choices=VARIANTS)
    parser.add_argument("--count-child", choices=VARIANTS)
    parser.add_argument("--event")
    parser.add_argument("--pet-id", type=int)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.event, args.pet_id, args.warmup)
        return 0
    if args.count_child:
        count_child(args.count_child, args.event, args.requests, args.warmup)
        return 0
    os.sched_setaffinity(0, {args.cpu})  # Inherited by every process started below.
    with tempfile.TemporaryDirectory(prefix="bench-lambda-") as tmp:
        env, event, pet_id = prepare(Path(tmp), args.setup_python)
        workers = start_workers(env, event, pet_id, args.warmup)
        samples = run_rounds(workers, args.rounds, args.requests)
        cold = cold_start(env, event, args.cold_runs, args.package, args.python312, Path(tmp))
        counted = (
            instructions(env, event, args.warmup, args.instructions) if args.instructions else None
        )
    status = report(samples, cold, args)
    if counted:
        per = ", ".join(f"{name} {count / 1e6:.3f} M" for name, count in counted.items())
        ratios = ", ".join(
            f"{label} = {counted[x] / counted[y]:.3f}"
            for label, (x, y) in {"a/b": ("a", "b"), "a/c": ("a", "c"), "a/d": ("a", "d"),
                                  "e/b (A/A)": ("e", "b")}.items()
        )  # fmt: skip
        print(f"\nInstructions per request (callgrind, {args.instructions} requests): {per}")
        print(f"Ratios by instructions (not the targets, which are wall-clock): {ratios}")
    return status


if __name__ == "__main__":
    sys.exit(main())
