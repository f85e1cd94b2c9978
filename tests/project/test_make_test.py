"""`make test`'s two lanes: every stage runs once, the lanes run at once, each stage's output
stays together, and a failing stage fails the whole run."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAKEFILE = (ROOT / "Makefile").read_text()
STAGES = {
    "lock-check",
    "lint",
    "typecheck",
    "migrations-check",
    "test-sqlite",
    "test-postgres",
    "test-package",
    "infra-check",
    "fuzz",
    "test-clients",
}

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")


def _words(name: str) -> list[str]:
    found = re.search(rf"^{name} :?= (.+)$", MAKEFILE, re.MULTILINE)
    assert found, name
    return found.group(1).split()


def test_every_stage_runs_exactly_once() -> None:
    first = re.search(r"^test: (.+?)  ##", MAKEFILE, re.MULTILINE)
    assert first

    stages = first.group(1).split() + _words("TEST_LANE_PYTEST") + _words("TEST_LANE_TOOLS")

    assert sorted(stages) == sorted(STAGES)


# Stand-in stages. `a` and `b` each wait for the other to have started (a bound against a hang
# only): they pass only if the lanes run at once, however slow the machine.
WAIT = "for i in $$(seq 600); do test -e {tmp}/%s && break; sleep 0.1; done; test -e {tmp}/%s"
STUBS = f"""
stub-a:
\t@echo a-begins; touch {{tmp}}/a; {WAIT % ("b", "b")}; echo a-ends
stub-b:
\t@echo b-begins; touch {{tmp}}/b; {WAIT % ("a", "a")}; echo b-ends
stub-c:
\t@echo c-begins; echo c-ends
stub-fail:
\t@echo fail-begins; false
stub-never:
\t@touch {{tmp}}/never
"""


def _lanes(tmp_path: Path, pytest_lane: str, tools_lane: str) -> subprocess.CompletedProcess[str]:
    stubs = tmp_path / "stubs.mk"
    stubs.write_text(STUBS.format(tmp=tmp_path))
    return subprocess.run(  # noqa: S603
        [  # noqa: S607 (make from PATH, as `make test` itself is run)
            "make",
            "--no-print-directory",
            "test-lanes",
            f"TEST_LANE_PYTEST={pytest_lane}",
            f"TEST_LANE_TOOLS={tools_lane}",
        ],
        cwd=ROOT,
        # Read by every sub-make, so the stand-ins are known in each lane.
        env={**os.environ, "MAKEFILES": str(stubs), "MAKEFLAGS": ""},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_lanes_run_at_once_and_each_stage_prints_its_output_whole(tmp_path: Path) -> None:
    result = _lanes(tmp_path, "stub-a stub-c", "stub-b")

    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    for stage in "abc":
        begins = lines.index(f"{stage}-begins")
        assert lines[begins + 1] == f"{stage}-ends", lines
    assert lines.index("a-ends") < lines.index("c-begins")  # in order within a lane


def test_a_failing_stage_stops_its_lane_and_fails_the_run_after_the_other_lane(
    tmp_path: Path,
) -> None:
    (tmp_path / "a").touch()  # stub-b need not wait for a lane that fails first
    result = _lanes(tmp_path, "stub-fail stub-never", "stub-b stub-c")

    assert result.returncode != 0
    assert not (tmp_path / "never").exists()
    assert "b-ends" in result.stdout
    assert "c-ends" in result.stdout  # the other lane ran to its end
