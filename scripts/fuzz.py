"""Fuzz the running API with schemathesis against its own /v1/openapi.json.

Starts the app on a free loopback port with a throwaway SQLite database, creates two
users (the fuzzer and someone else whose pets must stay invisible) with an API key each
(made by the `create_api_key` command, on a plan roomy enough that fuzzing reaches the
views instead of 429s), runs schemathesis with every check, and stops the server.
Both keys go to schemathesis as Web Fuzzing Commons identities with `peers`, so its
object_level_authorization check replays the fuzzer's reads with the other user's key.

Bounded in examples, not in time: every phase runs once, to the end (the whole coverage
phase, FUZZ_MAX_EXAMPLES generated cases per operation, the stateful scenarios), from a
fixed seed, so each run sends the same cases however busy the machine is. With
`--max-time`, schemathesis instead splits the time among the phases (a busy machine cut
the coverage phase short) and repeats the fuzzing and stateful phases until the time is
spent, however few examples were asked for: set FUZZ_MAX_TIME to fuzz that way for longer.
FUZZ_TIMEOUT only stops a hung run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MAX_EXAMPLES = os.environ.get("FUZZ_MAX_EXAMPLES", "25")
MAX_TIME = os.environ.get("FUZZ_MAX_TIME", "")
TIMEOUT = float(os.environ.get("FUZZ_TIMEOUT", "1800"))
SEED = os.environ.get("FUZZ_SEED", "20261122")
# One worker: with two, CPython 3.11 (before 3.11.9) can fail hypothesis' ast.parse calls in
# concurrent threads with "SystemError: AST constructor recursion depth mismatch".
WORKERS = os.environ.get("FUZZ_WORKERS", "1")

USERS = ("fuzzer", "someone-else")
# schemathesis' defaults for a valid request, plus the conditional and idempotency outcomes.
POSITIVE_STATUSES = ["2xx", "3xx", "401", "403", "404", "409", "412", "422", "429", "5xx"]
# schemathesis' defaults for an invalid request, plus 412: RFC 9110 section 13.2.1 evaluates
# preconditions before the request content, so a tag that does not match wins over a bad body.
NEGATIVE_STATUSES = [
    "400",
    "401",
    "403",
    "404",
    "405",
    "406",
    "409",
    "412",
    "415",
    "422",
    "428",
    "429",
    "5xx",
]
# Run in one interpreter (Django starts once): migrate, the data, then one key per user
# through the command a newcomer uses; the raw keys are the last line of its output.
SETUP = """
import json, io, sys
import django
django.setup()
from django.core.management import call_command
call_command("migrate", "--noinput", verbosity=0)
from django.contrib.auth.models import User
from apps.api_keys.models import UsagePlan
from apps.pets.models import Pet
UsagePlan.objects.create(name="Fuzz", rate=1000, burst=1000, limit=1_000_000, period="DAY")
fuzzer = User.objects.create_user("fuzzer")
other = User.objects.create_user("someone-else")
for n in range(3):
    Pet.objects.create(owner=other, name=f"Not yours {n}", species="cat")
Pet.objects.create(owner=fuzzer, name="Mine", species="dog")
keys = {}
for user in json.loads(sys.argv[1]):
    out = io.StringIO()
    call_command("create_api_key", "--user", user, "--plan", "Fuzz", "--name", "fuzz", stdout=out)
    keys[user] = out.getvalue().strip()
print(json.dumps(keys))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"fuzz: the server did not answer {url} in time")


def set_up(python: str, env: dict[str, str]) -> dict[str, str]:
    """Migrate the database, add the users and pets: each user's raw API key."""
    result = subprocess.run(  # noqa: S603
        [python, "-c", SETUP, json.dumps(USERS)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    keys: dict[str, str] = json.loads(result.stdout.splitlines()[-1])
    return keys


def write_auth_config(workdir: Path, keys: dict[str, str]) -> Path:
    """schemathesis.toml naming a WFC auth file: the fuzzer's identity plus a peer."""
    auth = {
        "auth": [
            {"name": user, "fixedHeaders": [{"name": "x-api-key", "value": key}]}
            for user, key in keys.items()
        ]
    }
    auth_path = workdir / "auth.json"
    auth_path.write_text(json.dumps(auth))
    config_path = workdir / "schemathesis.toml"
    config_path.write_text(
        f"[auth.wfc]\npath = {json.dumps(str(auth_path))}\nuser = {json.dumps(USERS[0])}\n"
        f"peers = {json.dumps(list(USERS))}\n"
        # Valid requests may also be answered 412 (a precondition that does not hold: any
        # generated tag) and 422 (an Idempotency-Key generated again for another body).
        "[checks.positive_data_acceptance]\n"
        f"expected-statuses = {json.dumps(POSITIVE_STATUSES)}\n"
        "[checks.negative_data_rejection]\n"
        f"expected-statuses = {json.dumps(NEGATIVE_STATUSES)}\n"
    )
    return config_path


def status_counts(server_log: Path) -> dict[str, int]:
    """How often the server answered each status: proof the keys reached the views."""
    statuses = re.findall(r'" (\d{3}) \d+$', server_log.read_text(errors="replace"), re.M)
    return dict(sorted(Counter(statuses).items()))


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="fuzz-"))
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gatewayproject.settings.local",
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": f"sqlite:///{workdir / 'fuzz.sqlite3'}",
        "DJANGO_MEDIA_ROOT": str(workdir / "media"),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_LOG_LEVEL": "WARNING",
        "SCHEMATHESIS_HOOKS": "tests.fuzz_hooks",
        "PYTHONPATH": str(ROOT),
    }
    python = str(BIN / "python")
    manage = [python, str(ROOT / "manage.py")]
    keys = set_up(python, env)
    config = write_auth_config(workdir, keys)
    server_log = (workdir / "server.log").open("w")
    server = subprocess.Popen(  # noqa: S603
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload", "--skip-checks"],
        env=env,
        stdout=server_log,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(f"{base}/health", time.monotonic() + 60)
        command = [
            str(BIN / "schemathesis"),
            "--config-file",
            str(config),
            "run",
            f"{base}/v1/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            MAX_EXAMPLES,
            *(["--max-time", MAX_TIME] if MAX_TIME else []),
            "--seed",
            SEED,
            "--workers",
            WORKERS,
            "--request-timeout",
            "10",
            "--report",
            "junit",
            "--report-dir",
            str(workdir / "report"),
        ]
        print("fuzz:", " ".join(command), flush=True)
        run = subprocess.run(command, env=env, check=False, timeout=TIMEOUT)  # noqa: S603
        returncode = run.returncode
    finally:
        server.terminate()
        server.wait(timeout=30)
        server_log.close()
    print("fuzz: responses by status:", status_counts(workdir / "server.log"), flush=True)
    if returncode:
        print(f"fuzz: failed; server log and reports in {workdir}", file=sys.stderr)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return returncode


if __name__ == "__main__":
    sys.exit(main())
