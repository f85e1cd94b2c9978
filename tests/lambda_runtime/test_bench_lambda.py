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
