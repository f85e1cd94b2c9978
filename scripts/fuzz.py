"""Fuzz the running API with schemathesis against its own /v1/openapi.json.

Starts the app on a free loopback port with a throwaway SQLite database, creates two
users (the fuzzer and someone else whose pets must stay invisible), runs schemathesis
with every check, and stops the server. Bounded in examples and time.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MAX_EXAMPLES = os.environ.get("FUZZ_MAX_EXAMPLES", "25")
MAX_TIME = os.environ.get("FUZZ_MAX_TIME", "75")
SEED = os.environ.get("FUZZ_SEED", "20261122")

SETUP = """
from django.contrib.auth.models import User
from apps.pets.models import Pet
fuzzer = User.objects.create_user("fuzzer", password={password!r})
other = User.objects.create_user("someone-else", password={password!r})
for n in range(3):
    Pet.objects.create(owner=other, name=f"Not yours {{n}}", species="cat")
Pet.objects.create(owner=fuzzer, name="Mine", species="dog")
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


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="fuzz-"))
    password = secrets.token_urlsafe(16)
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
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True)  # noqa: S603
    setup = SETUP.format(password=password)
    subprocess.run([*manage, "shell", "-c", setup], env=env, check=True)  # noqa: S603
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
            "run",
            f"{base}/v1/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            MAX_EXAMPLES,
            "--max-time",
            MAX_TIME,
            "--seed",
            SEED,
            "--workers",
            "2",
            "--request-timeout",
            "10",
            "--auth",
            f"fuzzer:{password}",
            "--report",
            "junit",
            "--report-dir",
            str(workdir / "report"),
        ]
        print("fuzz:", " ".join(command).replace(password, "***"), flush=True)
        returncode = subprocess.run(command, env=env, check=False).returncode  # noqa: S603
    finally:
        server.terminate()
        server.wait(timeout=30)
        server_log.close()
    if returncode:
        print(f"fuzz: failed; server log and reports in {workdir}", file=sys.stderr)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return returncode


if __name__ == "__main__":
    sys.exit(main())
