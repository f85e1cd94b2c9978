"""`make test`'s stages: every stage runs once, two at a time, each starting when a slot frees,
each stage's output stays together, and a failing stage fails the whole run after the rest."""

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
    found = re.search(rf"^{name} :?= ((?:.*\\\n)*.+)$", MAKEFILE, re.MULTILINE)
    assert found, name
    return found.group(1).replace("\\\n", " ").split()


def test_every_stage_runs_exactly_once() -> None:
    first = re.search(r"^test: (.+?)  ##", MAKEFILE, re.MULTILINE)
    assert first

    stages = first.group(1).split() + _words("TEST_STAGES")

    assert sorted(stages) == sorted(STAGES)


# Stand-in stages. `a` and `b` each wait for the other to have started (a bound against a hang
# only): they pass only if two stages run at once, however slow the machine.
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
"""


def _stages(tmp_path: Path, stages: str) -> subprocess.CompletedProcess[str]:
    stubs = tmp_path / "stubs.mk"
    stubs.write_text(STUBS.format(tmp=tmp_path))
    return subprocess.run(  # noqa: S603
        [  # noqa: S607 (make from PATH, as `make test` itself is run)
            "make",
            "--no-print-directory",
            "test-stages",
            f"TEST_STAGES={stages}",
        ],
        cwd=ROOT,
        # Read by every sub-make, so the stand-ins are known to the one that runs the stages.
        env={**os.environ, "MAKEFILES": str(stubs), "MAKEFLAGS": ""},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_two_stages_run_at_once_and_each_prints_its_output_whole(tmp_path: Path) -> None:
    result = _stages(tmp_path, "stub-a stub-b stub-c")

    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    for stage in "abc":
        begins = lines.index(f"{stage}-begins")
        assert lines[begins + 1] == f"{stage}-ends", lines
    # Two slots: the third stage starts only once one of the first two has ended.
    assert min(lines.index("a-ends"), lines.index("b-ends")) < lines.index("c-begins")


def test_a_failing_stage_fails_the_run_after_every_other_stage_has_run(tmp_path: Path) -> None:
    (tmp_path / "a").touch()  # stub-b need not wait for stub-a, which is not run here
    result = _stages(tmp_path, "stub-fail stub-b stub-c")

    assert result.returncode != 0
    assert "fail-begins" in result.stdout
    assert "b-ends" in result.stdout
    assert "c-ends" in result.stdout  # started after the failure: the run kept going
