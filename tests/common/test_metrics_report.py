"""`manage.py metrics_report`: EMF lines summarised per metric and dimensions; bad lines counted."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from apps.common.emf_report import percentile, summarise
from tests import emf
from tests.api_keys.factories import APIKeyFactory
from tests.common.test_metrics import MALFORMED, VALID, Lines, lines  # noqa: F401


def report_of(path: Path, *args: str) -> dict:  # type: ignore[type-arg]
    out = io.StringIO()
    call_command("metrics_report", str(path), "--json", *args, stdout=out)
    return json.loads(out.getvalue())


def rows(report: dict, metric: str) -> dict:  # type: ignore[type-arg]
    """metric -> {dimensions as "k=v,..." -> row}."""
    return {
        ",".join(f"{k}={v}" for k, v in row["dimensions"].items()): row
        for row in report["metrics"]
        if row["metric"] == metric
    }


def test_percentiles_are_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]

    assert percentile(values, 50) == 50
    assert percentile(values, 99) == 99
    assert percentile([7.0], 99) == 7
    assert percentile([], 50) is None


@pytest.mark.django_db
def test_the_access_lines_of_real_requests_are_summarised(lines: Lines, tmp_path: Path) -> None:  # noqa: F811
    key = APIKeyFactory()
    client = Client()
    for _ in range(3):
        client.get("/v1/pets", HTTP_X_API_KEY=key.raw_key)
    client.get("/v1/pets/999999", HTTP_X_API_KEY=key.raw_key)
    client.get("/v1/pets")  # no key: 403, not metered
    log = tmp_path / "app.log"
    log.write_text("\n".join(lines.raw()) + "\n")

    report = report_of(log)

    assert report["metricLines"] == 5
    assert (report["notJsonLines"], report["malformedLines"]) == (0, 0)
    requests = rows(report, "Requests")
    assert requests[""]["count"] == 5
    assert requests["Route=GET /v1/pets"]["sum"] == 4
    assert requests["Route=GET /v1/pets/{pk}"]["sum"] == 1
    errors = rows(report, "Errors4xx")
    assert errors[""]["sum"] == 2
    plan = key.plan.name
    assert rows(report, "PlanRequests")[f"Plan={plan}"]["sum"] == 4
    assert rows(report, "Throttled")[f"Plan={plan}"]["sum"] == 0
    latency = rows(report, "Latency")["Route=GET /v1/pets"]
    assert latency["unit"] == "Milliseconds"
    assert latency["count"] == 4
    assert 0 < latency["p50"] <= latency["p99"]


def test_array_values_each_count(tmp_path: Path) -> None:
    doc = json.loads(json.dumps(VALID))
    doc["time"] = [10, 20, 30, 40]
    log = tmp_path / "app.log"
    log.write_text(json.dumps(doc) + "\n" + json.dumps(VALID) + "\n")

    time = rows(report_of(log), "time")

    assert time[""] == {**time[""], "count": 5, "sum": 200, "p50": 30, "p99": 100}
    assert time["functionVersion=$LATEST"]["count"] == 5


@pytest.mark.parametrize("name", sorted(set(MALFORMED) - {"no _aws"}))
def test_every_malformed_line_is_counted_not_summarised(name: str, tmp_path: Path) -> None:
    # The same broken lines the schema-based validator (tests/emf.py) refuses.
    assert emf.problems(MALFORMED[name])
    log = tmp_path / "app.log"
    log.write_text(json.dumps(VALID) + "\n" + MALFORMED[name] + "\n")

    report = report_of(log)

    assert report["metricLines"] == 1
    assert report["malformedLines"] == 1, name
    assert report["problems"][0]["line"] == 2
    assert rows(report, "time")[""]["count"] == 1


GARBAGE = [
    "Local API Gateway for HttpApi (stage prod)",  # a banner line
    "{not json",
    "[1, 2, 3]",
    '"a string"',
    '{"message": "a plain log line"}',
    '{"_aws": null}',
    '{"_aws": {"Timestamp": 1574109732004, "CloudWatchMetrics": "no"}}',
    '{"_aws": {"Timestamp": 1574109732004, "CloudWatchMetrics": [null]}}',
    '{"_aws": {"Timestamp": 1574109732004, "CloudWatchMetrics": [{"Namespace": "N", '
    '"Dimensions": [], "Metrics": []}]}}',
    '{"_aws": {"Timestamp": 1574109732004, "CloudWatchMetrics": [{"Namespace": "N", '
    '"Dimensions": [[]], "Metrics": [{"Name": "x"}]}]}, "x": NaN}',
    '{"_aws": {"Timestamp": 1574109732004, "CloudWatchMetrics": [{"Namespace": "N", '
    '"Dimensions": [[]], "Metrics": [{"Name": "x"}]}]}, "x": 1' + "0" * 400 + "}",
    '{"_aws": {"Timestamp": 1574109732004, "CloudWatchMetrics": [{"Namespace": "N", '
    '"Dimensions": [[]], "Metrics": [{"Name": "x"}]}]}, "x": []}',
    '{"_aws": {"Timestamp": 1574109732004, "CloudWatchMetrics": [{"Namespace": "N", '
    '"Dimensions": [[5]], "Metrics": ["x"]}]}}',
    '{"_aws": {"Timestamp": 1574109732004, "CloudWatchMetrics": [{"Namespace": "N", '
    '"Dimensions": [[]], "Metrics": [{"Name": "x", "Unit": []}]}]}, "x": 1}',
    "[" * 100_000,
]


def test_garbage_never_crashes_the_report(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_bytes("\n".join(GARBAGE).encode() + b"\n\xff\xfe binary\n\n")

    report = report_of(log)

    assert report["metricLines"] == 0
    assert report["otherJsonLines"] == 1
    assert report["notJsonLines"] == 6
    assert report["malformedLines"] == 9
    assert report["lines"] == len(GARBAGE) + 2
    assert report["metrics"] == []
    assert report["notJsonAt"] == [1, 2, 3, 4, 15, 16]
    assert len(report["problems"]) == 9


def test_summarise_reads_any_iterable_of_lines() -> None:
    report = summarise([json.dumps(VALID), "", "oops"])

    assert (report.metric_lines, report.not_json, report.lines) == (1, 1, 3)


def test_the_text_report_is_a_table_with_the_bad_lines(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text(json.dumps(VALID) + "\nbanner\n" + MALFORMED["metric a string"] + "\n")
    out = io.StringIO()

    call_command("metrics_report", str(log), stdout=out)

    text = out.getvalue()
    assert "3 lines: 1 metric lines, 0 other JSON lines, 1 not JSON, 1 malformed" in text
    assert "lambda-function-metrics  time    (all)" in text
    assert "functionVersion=$LATEST" in text
    assert "Not JSON (skipped): lines 2\n" in text
    assert "Malformed metric lines (1 of 1 shown):" in text
    assert "line 3: directive 0: metric 'time' is not a number or 1-100 numbers" in text


def test_strict_fails_on_a_malformed_line_only(tmp_path: Path) -> None:
    clean = tmp_path / "clean.log"
    clean.write_text(json.dumps(VALID) + "\nbanner\n")
    broken = tmp_path / "broken.log"
    broken.write_text(MALFORMED["dimension not a string"] + "\n")

    report_of(clean, "--strict")
    with pytest.raises(CommandError, match="1 malformed metric line"):
        report_of(broken, "--strict")


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"Cannot read .*missing\.log: No such file"):
        call_command("metrics_report", str(tmp_path / "missing.log"), stdout=io.StringIO())


def test_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(VALID) + "\n"))
    out = io.StringIO()

    call_command("metrics_report", "-", "--json", stdout=out)

    assert json.loads(out.getvalue())["metricLines"] == 1
