"""make bench-scale measures what it says: interleaved phases, and a quota check that can fail."""

from __future__ import annotations

import argparse
from collections import Counter
from types import ModuleType

import pytest

from tests.scripts import load_script


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_script("benchmarks/bench_scale.py")


def arguments(**overrides: object) -> argparse.Namespace:
    values = {"processes": 64, "meter_processes": 16, "seconds": 5.0, "pool_size": 8}
    return argparse.Namespace(**(values | {"quota": 500} | overrides))


def test_pooled_and_direct_phases_bracket_each_other_with_an_a_a_control(
    bench: ModuleType,
) -> None:
    plan = bench.phases(arguments())
    lambdas = [p for p in plan if p.target == "http" and p.threads == 1]
    http = [(p.via, p.conn_max_age) for p in lambdas if p.keys == "many"]

    assert http == [("pooler", 60), ("direct", 60), ("direct", 60), ("pooler", 60), ("pooler", 0)]
    assert {p.processes for p in lambdas} == {64}


def test_the_container_shapes_run_threaded_workers_bracketed_by_the_pool(
    bench: ModuleType,
) -> None:
    container = [
        (p.via, p.processes, p.threads) for p in bench.phases(arguments()) if p.threads > 1
    ]

    assert [via for via, _, _ in container] == ["psycopg", "direct", "pooler", "psycopg"]
    assert {(processes, threads) for _, processes, threads in container} == {(2, 4)}


def test_the_counter_stores_run_in_mirrored_rounds(bench: ModuleType) -> None:
    meter = [(p.store, p.keys) for p in bench.phases(arguments()) if p.target == "meter"]

    first, second = meter[:4], meter[4:8]
    assert second == first[::-1]
    assert {store for store, _ in first} == {"db", "redis"}
    assert {keys for _, keys in first} == {"hot", "many"}
    assert meter[8:] == [("db", "flood"), ("redis", "flood")]


def test_the_quota_phase_sends_more_than_the_quota(bench: ModuleType) -> None:
    (quota,) = [p for p in bench.phases(arguments()) if p.keys == "quota"]

    assert quota.via == "pooler"
    assert quota.processes == 64
    assert quota.processes * quota.requests_each >= 3 * 500


def result(bench: ModuleType, outcomes: dict[str, int], errors: list[str]) -> object:
    (phase,) = [p for p in bench.phases(arguments()) if p.keys == "quota"]
    done = phase.processes * phase.requests_each
    return bench.Result(
        phase, 1.0, latencies_ms=[1.0] * done, outcomes=Counter(outcomes), errors=errors
    )


LOAD = {"before": (1.0, 1.0, 1.0), "after": (1.0, 1.0, 1.0), "pgbouncer": "PgBouncer 1.18.0"}


@pytest.mark.parametrize(
    ("admitted", "errors", "passes"),
    [(500, [], True), (501, [], False), (499, [], False), (500, ["boom"], False)],
)
def test_the_exactness_verdict(
    bench: ModuleType,
    capsys: pytest.CaptureFixture[str],
    admitted: int,
    errors: list[str],
    passes: bool,
) -> None:
    done = 64 * 24
    outcomes = {"200": admitted, "429 Limit Exceeded": done - admitted}

    verdict = bench.report([result(bench, outcomes, errors)], arguments(), LOAD)

    assert verdict is passes
    assert ("-> PASS" if passes else "-> FAIL") in capsys.readouterr().out
