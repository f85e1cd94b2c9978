"""Run a Python snippet in a fresh interpreter from the project root (settings from env);
wait for a server a test started."""

from __future__ import annotations

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
