"""Run a Python snippet in a fresh interpreter from the project root (settings from env);
run several management commands in one; wait for a server a test started."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def run_python(
    script: str, *, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`python -c script`, output captured as text; the caller checks the return code."""
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=os.environ.copy() if env is None else env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# How long a server a test starts may take to answer: a bound against hangs only, generous
# enough for a machine running two test suites at once.
SERVER_START_S = 120


def wait_for_http(url: str, process: subprocess.Popen[bytes]) -> None:
    """Return once `url` answers any HTTP response; fail if the server exits or hangs."""
    deadline = time.monotonic() + SERVER_START_S
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {process.returncode}")
        try:
            httpx.get(url, timeout=5)
            return
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer in {SERVER_START_S} s") from None
            time.sleep(0.1)


# One interpreter for a series of commands: Django starts once, not once per command.
_MANAGE_COMMANDS = """
import io, json, sys
import django
django.setup()
from django.core.management import call_command
outputs = []
for args in json.loads(sys.argv[1]):
    out = io.StringIO()
    call_command(*args, stdout=out)
    outputs.append(out.getvalue())
print(json.dumps(outputs))
"""


def manage_commands(env: dict[str, str], *commands: tuple[str, ...]) -> list[str]:
    """Run management commands in order in one new interpreter with `env` (its
    DJANGO_SETTINGS_MODULE and database): the stdout of each, in order. For fixtures that
    prepare a server's database; a failure raises with the child's stderr."""
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", _MANAGE_COMMANDS, json.dumps(commands)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=SERVER_START_S,
        check=False,
    )
    if result.returncode:
        raise RuntimeError(f"{[c[0] for c in commands]} failed: {result.stderr[-4000:]}")
    outputs: list[str] = json.loads(result.stdout.splitlines()[-1])
    return outputs
