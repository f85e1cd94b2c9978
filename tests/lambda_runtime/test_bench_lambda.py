"""make bench-lambda's machinery: the bare app's database settings, the cold start script and
its callgrind counts (no timing)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest

from tests.scripts import load_script


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_script("benchmarks/bench_lambda.py")


def _bare_databases(bench: ModuleType, url: str, monkeypatch: pytest.MonkeyPatch) -> dict:
    monkeypatch.setenv("DATABASE_URL", url)
    namespace: dict = {}
    exec(bench.BARE_SETTINGS, namespace)  # noqa: S102 (the bench's own settings text)
    return namespace["DATABASES"]["default"]


def test_the_bare_app_runs_on_sqlite_or_on_the_postgres_leg_s_database(
    bench: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    sqlite = _bare_databases(bench, "sqlite:////srv/bench/bench.sqlite3", monkeypatch)
    postgres = _bare_databases(
        bench, "postgres://bench:pw@db.example:5433/bench_lambda_42", monkeypatch
    )

    assert sqlite == {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": "/srv/bench/bench.sqlite3",
        "CONN_MAX_AGE": 60,
    }
    assert postgres == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "bench_lambda_42",
        "USER": "bench",
        "PASSWORD": "pw",
        "HOST": "db.example",
        "PORT": 5433,
        "CONN_MAX_AGE": 60,
    }


@pytest.mark.parametrize("mode", ["cold", "count"])
def test_the_cold_start_script_reports_status_cpu_time_and_modules(
    bench: ModuleType, mode: str
) -> None:
    script = bench.COLD_TEMPLATE.format(
        paths=[], script="call = lambda e: {'statusCode': e['status']}"
    )

    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script, json.dumps({"status": 200}), mode],
        capture_output=True,
        text=True,
        check=True,
    )

    status, cpu, seconds, modules = result.stdout.split()
    assert status == "200"
    assert float(cpu) > 0
    assert float(seconds) >= 0
    assert int(modules) > 10


def test_pre_initialised_the_script_waits_after_init_for_the_first_request(
    bench: ModuleType,
) -> None:
    script = bench.COLD_TEMPLATE.format(
        paths=[], script="call = lambda e: {'statusCode': 200}; print('init', flush=True)"
    )

    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script, "{}", "preinit"],
        input="go\n",
        capture_output=True,
        text=True,
        check=True,
    )

    lines = result.stdout.splitlines()
    assert lines[:2] == ["init", "ready"]
    assert lines[2].split()[0] == "200"


def test_callgrind_counts_are_read_per_dump_label(bench: ModuleType, tmp_path: Path) -> None:
    out = tmp_path / "callgrind.cold.handler.count-request.out"
    header = "version: 1\ncreator: callgrind-3.22.0\npid: 7\ncmd: python\npart: {}\n"
    (tmp_path / (out.name + ".1")).write_text(
        header.format(1) + "desc: Trigger: Client Request: request\nsummary: 27200000\n"
    )
    out.write_text(header.format(2) + "desc: Trigger: Program termination\ntotals: 1500\n")

    assert bench._callgrind_totals(out) == {"request": 27_200_000, "": 1500}


@pytest.mark.parametrize(
    ("mode", "initialization"),
    [
        ("cold", "on-demand"),
        ("count", "on-demand"),
        ("preinit", "snap-start"),
        ("count-request", "snap-start"),
    ],
)
def test_each_cold_start_gets_the_initialization_type_lambda_would_set(
    bench: ModuleType, mode: str, initialization: str
) -> None:
    setup = SimpleNamespace(env={"handler": {"DATABASE_URL": "sqlite:///db"}})

    env = bench.ColdSetup.environment(setup, "handler", mode)

    assert env == {"DATABASE_URL": "sqlite:///db", "AWS_LAMBDA_INITIALIZATION_TYPE": initialization}


class _FakeWorker:
    """A worker process's pipes: answers each command with `walls` and logs `log` bytes a
    request; remembers the commands, and the order of all workers' replies in `served`."""

    def __init__(self, key: tuple[str, int], walls: list[int], log: int, served: list) -> None:
        self.key, self.walls, self.log, self.served = key, walls, log, served
        self.commands: list[dict] = []
        self.stdin = SimpleNamespace(write=self._command, close=lambda: None)
        self.stdout = SimpleNamespace(readline=self._reply)

    def _command(self, line: str) -> None:
        self.commands.append(json.loads(line))

    def _reply(self) -> str:
        self.served.append(self.key)
        n = self.commands[-1]["n"]
        reply = {"wall": self.walls[:n], "cpu": self.walls[:n], "log": self.log}
        return json.dumps(reply | {"first": self.walls[0] * 2})

    def wait(self, timeout: float) -> int:
        return 0


def test_each_round_pools_the_samples_of_every_process_of_a_variant(bench: ModuleType) -> None:
    served: list = []
    workers = {
        ("handler", 0): _FakeWorker(("handler", 0), [10, 11], 100, served),
        ("floor", 0): _FakeWorker(("floor", 0), [7, 8], 50, served),
        ("handler", 1): _FakeWorker(("handler", 1), [20, 21], 300, served),
        ("floor", 1): _FakeWorker(("floor", 1), [9, 9], 50, served),
    }

    samples = bench.run_rounds(workers, rounds=2, per_round=2, skip=3)

    events = len(bench.EVENT_NAMES)
    assert set(samples["wall"]) == {"handler", "floor"}
    for event in range(events):
        # One list per round, holding both processes' samples (in the round's order).
        assert [sorted(c) for c in samples["wall"]["handler"][event]] == [[10, 11, 20, 21]] * 2
        assert [sorted(c) for c in samples["cpu"]["floor"][event]] == [[7, 8, 9, 9]] * 2
        assert samples["log"]["handler"][event] == [[200.0], [200.0]]
        assert [sorted(c) for c in samples["first"]["handler"][event]] == [[20, 40]] * 2
    # Every process served every event in every round, each time after 3 untimed requests,
    # the order rotating between rounds.
    assert all(len(w.commands) == 2 * events for w in workers.values())
    assert all(c["skip"] == 3 and c["n"] == 2 for w in workers.values() for c in w.commands)
    assert served[0] != served[4]


def test_the_verdicts_are_by_the_clock_and_by_instructions_and_both_decide(
    bench: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    events = range(len(bench.EVENT_NAMES))
    walls = {"handler": 1020, "floor": 1000, "floor2": 1001, "bare": 800}
    walls |= {name: 820 for name in ("apig", "slsw", "zappa", "mangum")}
    samples = {
        "wall": {n: {e: [[w]] for e in events} for n, w in walls.items()},
        "cpu": {n: {e: [[w]] for e in events} for n, w in walls.items()},
        "log": {n: {e: [[0]] for e in events} for n in walls},
        "first": {n: {e: [[2 * w]] for e in events} for n, w in walls.items()},
    }
    args = SimpleNamespace(rounds=1, processes=1, requests=1, cpu=0)
    within = {n: [float(w)] * len(events) for n, w in walls.items()}
    over = within | {"handler": [1040.0] * len(events)}

    warm_only = bench.report(samples, None, None, args, ("0", "0"))
    by_clock = capsys.readouterr().out
    counted_over = bench.report(samples, None, over, args, ("0", "0"))
    by_both = capsys.readouterr().out

    assert warm_only == 0
    assert "PASS  by clock: handler/floor <= 1.03 on every event (worst 1.020)" in by_clock
    assert "PASS  by clock: floor/bare <= 1.35 on every event (worst 1.250)" in by_clock
    assert "not measured in this run" in by_clock  # no cold start in this run
    assert "by instructions" not in by_clock
    assert "over its floor: handler 1.020, floor2 1.001, apig 1.025" in by_clock
    assert counted_over == 1
    assert "FAIL  by instructions: handler/floor <= 1.03 on every event (worst 1.040)" in by_both
