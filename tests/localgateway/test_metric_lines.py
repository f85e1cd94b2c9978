"""`rungateway` prints the EMF metric lines the Lambda function would, and `metrics_report`
summarises them from its log: threads and worker processes alike."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from tests import emf, web
from tests.localgateway.test_rungateway import ROOT, free_port
from tests.localgateway.test_stack import _env, _manage, _stop, _wait

SETUP = """
from django.contrib.auth.models import User
from apps.api_keys.models import UsagePlan
from apps.api_keys.services import api_key_create
owner = User.objects.create_user("metrics")
roomy = UsagePlan.objects.create(name="Roomy", rate=1000, burst=1000, limit=None)
tight = UsagePlan.objects.create(name="Tight", rate="0.001", burst=1, limit=None)
print(api_key_create(owner=owner, plan=roomy, name="roomy")[1])
print(api_key_create(owner=owner, plan=tight, name="tight")[1])
"""


@pytest.mark.parametrize("mode", [[], ["--isolate", "1"]], ids=["threads", "isolate"])
def test_rungateway_prints_valid_emf_lines_that_metrics_report_reads(
    mode: list[str], tmp_path: Path
) -> None:
    # DJANGO_LOG_LEVEL=WARNING (as _env sets it): the metric lines are kept all the same.
    env = _env(tmp_path)
    _manage(env, "migrate", "--noinput", "-v0")
    roomy, tight = _manage(env, "shell", "-c", SETUP).split()[-2:]
    port = free_port()
    log = tmp_path / "gateway.log"
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", "rungateway", f"127.0.0.1:{port}", *mode],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}/prod"
            _wait(f"{url}/health", process)
            statuses = [
                web.get(f"{url}/v1/pets", headers={"x-api-key": roomy}).status_code,
                web.get(f"{url}/v1/pets/9999", headers={"x-api-key": roomy}).status_code,
                web.get(f"{url}/v1/pets", headers={"x-api-key": tight}).status_code,
                web.get(f"{url}/v1/pets", headers={"x-api-key": tight}).status_code,
            ]
        finally:
            _stop(process)
    assert statuses == [200, 404, 200, 429]

    text = log.read_text()
    docs = emf.metric_lines(text)
    for line in text.splitlines():
        if '"_aws"' in line:
            assert emf.problems(line) == [], line
    by_route = [(d["Route"], d["status"]) for d in docs if d["Route"] != "GET /health"]
    assert by_route == [
        ("GET /v1/pets", 200),
        ("GET /v1/pets/{pk}", 404),
        ("GET /v1/pets", 200),
        ("GET /v1/pets", 429),
    ]

    out = io.StringIO()
    call_command("metrics_report", str(log), "--json", "--strict", stdout=out)
    report = json.loads(out.getvalue())
    sums = {
        (row["metric"], tuple(row["dimensions"].items())): row["sum"] for row in report["metrics"]
    }
    assert sums[("Requests", (("Route", "GET /v1/pets"),))] == 3
    assert sums[("Errors4xx", ())] == 2
    assert sums[("PlanRequests", (("Plan", "Roomy"),))] == 2
    assert sums[("PlanRequests", (("Plan", "Tight"),))] == 2
    assert sums[("Throttled", (("Plan", "Tight"),))] == 1
    assert sums[("Throttled", (("Plan", "Roomy"),))] == 0
    assert report["notJsonLines"] > 0  # the banner: counted, not fatal
