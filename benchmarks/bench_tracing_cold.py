"""Benchmark (issue 18): what each tracing option adds to a cold start, measured offline.

Each option is a fresh interpreter from spawn to the first response of
`lambda_runtime.handler.handler` (a keyed-equivalent `GET /v1/pets/{id}` through the API
function's entry point, production settings on SQLite, as bench_lambda's cold start), all
options interleaved run by run:

- ``none``: what the template deploys by default: Lambda's active tracing records the
  invocation outside the process, the app only reads `_X_AMZN_TRACE_ID` (no SDK);
- ``none-again``: the same again (A/A control: the noise);
- ``xray-sdk``: `aws_xray_sdk.core` imported and `patch_all()` (what the X-Ray SDK, or
  Powertools' Tracer over it, does at init), contexts missing ignored;
- ``otel-manual``: an OpenTelemetry SDK tracer provider with X-Ray ids, a batch OTLP
  exporter and only the Django, psycopg and botocore instrumentations (a lean hand setup);
- ``otel-auto``: OpenTelemetry's auto-instrumentation `initialize()`, what the ADOT
  layer's `/opt/otel-instrument` wrapper runs before the handler (every installed
  instrumentation found through entry points, the distro, the configurator).

The SDKs are not project dependencies: install them into a throwaway virtualenv and pass
its site-packages (appended to the children's sys.path, after the project's packages):

    python -m venv /tmp/tracing-sdks
    /tmp/tracing-sdks/bin/pip install aws-xray-sdk opentelemetry-sdk opentelemetry-distro \\
        opentelemetry-exporter-otlp-proto-http opentelemetry-instrumentation-django \\
        opentelemetry-instrumentation-psycopg opentelemetry-instrumentation-botocore \\
        opentelemetry-sdk-extension-aws opentelemetry-propagator-aws-xray
    .venv/bin/python benchmarks/bench_tracing_cold.py \\
        --sdk-site /tmp/tracing-sdks/lib/python3.11/site-packages --runs 15 --instructions

Reported per option: median wall and CPU milliseconds to the first response (CPU time is
steadier on a shared machine), the difference to ``none``, and with ``--instructions``
callgrind's instruction count for one cold start (exact; the primary measure when other
work shares the machine). What this cannot see: the ADOT layer's collector extension,
a separate process Lambda starts beside the function (reported at +100-200 ms of Init).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_lambda import prepare  # noqa: E402

OPTIONS = ("none", "none-again", "xray-sdk", "otel-manual", "otel-auto")
SETUP = {
    "none": "",
    "none-again": "",
    "xray-sdk": ("from aws_xray_sdk.core import patch_all, xray_recorder; patch_all(); "),
    "otel-manual": (
        "from opentelemetry import trace; "
        "from opentelemetry.sdk.trace import TracerProvider; "
        "from opentelemetry.sdk.trace.export import BatchSpanProcessor; "
        "from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter; "
        "from opentelemetry.sdk.extension.aws.trace import AwsXRayIdGenerator; "
        "provider = TracerProvider(id_generator=AwsXRayIdGenerator()); "
        "provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter())); "
        "trace.set_tracer_provider(provider); "
        "from opentelemetry.instrumentation.django import DjangoInstrumentor; "
        "from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor; "
        "from opentelemetry.instrumentation.botocore import BotocoreInstrumentor; "
        "DjangoInstrumentor().instrument(); PsycopgInstrumentor().instrument(); "
        "BotocoreInstrumentor().instrument(); "
    ),
    "otel-auto": (
        "from opentelemetry.instrumentation.auto_instrumentation import initialize; initialize(); "
    ),
}
# What the ADOT wrapper sets before auto-instrumentation; nothing is exported (no
# collector runs here: the batch processor would only try at exit).
OTEL_ENV = {
    "OTEL_TRACES_EXPORTER": "otlp_proto_http",
    "OTEL_METRICS_EXPORTER": "none",
    "OTEL_LOGS_EXPORTER": "none",
    "OTEL_PROPAGATORS": "tracecontext,baggage,xray",
    "OTEL_PYTHON_ID_GENERATOR": "xray",
    "OTEL_SERVICE_NAME": "bench",
    "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
}


def script(option: str, sdk_site: str) -> str:
    append = f"sys.path.append({sdk_site!r}); " if SETUP[option] else ""
    return (
        f"import sys, json; {append}{SETUP[option]}"
        "from lambda_runtime.handler import handler; "
        "status = handler(json.loads(sys.argv[1]), None)['statusCode']; import time; "
        "print(status, time.process_time(), len(sys.modules), flush=True)"
    )


def run_once(option: str, env: dict[str, str], event: str, sdk_site: str) -> tuple[float, ...]:
    started = time.perf_counter()
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", script(option, sdk_site), event],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = process.stdout.readline().split() if process.stdout else []
    elapsed = time.perf_counter() - started
    process.kill()
    process.wait(timeout=60)
    if not line or line[0] != "200":
        raise SystemExit(f"bench: {option} did not answer 200 ({line!r})")
    return elapsed * 1000, float(line[1]) * 1000, float(line[2])


def instructions(option: str, env: dict[str, str], event: str, sdk_site: str) -> int:
    result = subprocess.run(  # noqa: S603 (valgrind from PATH, checked before)
        [shutil.which("valgrind") or "valgrind", "--tool=callgrind",
         "--callgrind-out-file=/dev/null", sys.executable, "-c", script(option, sdk_site),
         event],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=1800,
    )  # fmt: skip
    match = re.search(r"I\s+refs:\s+([\d,]+)", result.stderr)
    if match is None:
        raise SystemExit("bench: no instruction count from valgrind")
    return int(match.group(1).replace(",", ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sdk-site", required=True, help="site-packages with the SDKs")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--instructions", action="store_true", help="also count instructions")
    parser.add_argument("--options", default=",".join(OPTIONS))
    args = parser.parse_args()
    options = args.options.split(",")
    workdir = Path(tempfile.mkdtemp(prefix="bench-tracing-"))
    env, prepared, _pet = prepare(workdir, sys.executable)
    # bench_lambda prepares its sample events; the first is the payload-2.0 GET /v1/pets/{id}.
    event_doc = prepared[0] if isinstance(prepared, list) else prepared
    env = {**env, **OTEL_ENV}
    event = json.dumps(event_doc)
    samples: dict[str, list[tuple[float, ...]]] = {option: [] for option in options}
    for index in range(args.runs + 1):
        order = options if index % 2 else list(reversed(options))
        for option in order:
            measured = run_once(option, env, event, args.sdk_site)
            if index:  # The first round only warms the page cache.
                samples[option].append(measured)
    load = os.getloadavg()
    print(
        f"cold start to the first response, {args.runs} runs per option, interleaved; "
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}"
    )
    base_wall = statistics.median(s[0] for s in samples[options[0]])
    base_cpu = statistics.median(s[1] for s in samples[options[0]])
    print(f"{'option':<13}{'wall ms':>9}{'+ms':>8}{'CPU ms':>9}{'+ms':>8}{'modules':>9}")
    for option in options:
        wall = statistics.median(s[0] for s in samples[option])
        cpu = statistics.median(s[1] for s in samples[option])
        modules = statistics.median(s[2] for s in samples[option])
        print(
            f"{option:<13}{wall:>9.0f}{wall - base_wall:>+8.0f}{cpu:>9.0f}"
            f"{cpu - base_cpu:>+8.0f}{modules:>9.0f}"
        )
    if args.instructions:
        if shutil.which("valgrind") is None:
            print("instructions: valgrind not found; skipped")
        else:
            counts = {o: instructions(o, env, event, args.sdk_site) for o in options}
            base = counts[options[0]]
            for option, count in counts.items():
                print(
                    f"instructions {option:<13}{count / 1e6:>9.0f} M "
                    f"({count / base - 1:+.1%} vs {options[0]})"
                )
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
