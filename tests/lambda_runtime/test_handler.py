"""The handler module in a fresh interpreter with production settings, as in a Lambda
container: init does the setup, serving imports no boto3 and no OpenAPI generator, logs one
line per request, and database connections persist (or not) exactly as CONN_MAX_AGE says."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from tests.lambda_runtime import events, probe
from tests.lambda_runtime.probe import GENERATOR_MODULES, MARKER


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return probe.run("tests.lambda_runtime.probe", args, env)


@pytest.fixture(scope="module")
def container(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A production-configured process environment with a migrated database, a user and
    a pet, and a payload-2.0 event that reads that pet."""
    env = probe.container_env(tmp_path_factory.mktemp("container"))
    setup = _run(["setup"], env)
    assert setup.returncode == 0, setup.stderr
    prepared = json.loads(setup.stdout.splitlines()[-1])
    event = events.http_api(path=f"/v1/pets/{prepared['pet_id']}", headers=prepared["headers"])
    return {"env": env, "event": event, "pet_id": prepared["pet_id"]}


def _serve(
    container: dict[str, Any], times: int = 2, **env: str
) -> tuple[dict[str, Any], list[str]]:
    result = _run(["serve", json.dumps(container["event"]), str(times)], container["env"] | env)
    assert result.returncode == 0, result.stderr
    after_marker = result.stderr.split(MARKER + "\n", 1)[1]
    return json.loads(result.stdout), after_marker.splitlines()


@pytest.fixture(scope="module")
def served(container: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    return _serve(container)


def test_pets_are_served_with_production_settings(container: dict[str, Any], served: Any) -> None:
    report, _ = served

    assert report["statuses"] == [200, 200]
    assert json.loads(report["bodies"][0])["id"] == container["pet_id"]


def test_django_is_set_up_once_during_init(served: Any) -> None:
    report, _ = served

    assert report["apps_ready_at_init"] is True
    assert report["urlconf_loaded_at_init"] is True
    assert report["app_views_at_init"] is True
    assert report["reverse_index_at_init"] is True  # for a snapshot to capture
    assert report["setup_calls_while_serving"] == 0


def test_no_garbage_collection_runs_during_init(served: Any) -> None:
    report, _ = served

    # Everything init makes lives as long as the process: a collection would find nothing.
    assert report["collections_during_init"] == 0


def test_an_on_demand_init_loads_the_urlconf_but_leaves_the_reverse_index_to_its_first_use(
    container: dict[str, Any],
) -> None:
    report, _ = _serve(container, times=1, AWS_LAMBDA_INITIALIZATION_TYPE="on-demand")

    assert report["statuses"] == [200]
    assert report["urlconf_loaded_at_init"] is True
    # An app's views load with the first request for its paths (test_deferred_init.py).
    assert report["app_views_at_init"] is False
    # Built by the first reverse() (a Location header, the admin), which a read never makes.
    assert report["reverse_index_at_init"] is False
    assert report["reverse_index_after"] is False
    assert report["setup_calls_while_serving"] == 0


def test_an_init_on_sqlite_leaves_the_postgresql_driver_out(container: dict[str, Any]) -> None:
    report, _ = _serve(container, times=1, AWS_LAMBDA_INITIALIZATION_TYPE="on-demand")

    assert report["statuses"] == [200]
    assert report["postgresql_driver_imported"] is False


def test_outside_a_lambda_init_the_postgresql_driver_loads_as_before(served: Any) -> None:
    report, _ = served

    # DRF imports it whenever it is installed; only a Lambda init on SQLite leaves it out.
    assert report["postgresql_driver_imported"] is True


def test_serving_pets_does_not_import_boto3(served: Any) -> None:
    report, _ = served

    assert report["boto3_imported"] is False


@pytest.fixture(scope="module")
def imported(container: dict[str, Any]) -> dict[str, Any]:
    """What a fresh Lambda container has loaded after init, after a first keyed detail
    request and after the OpenAPI document (probe.imports)."""
    document_event = events.http_api(path="/v1/openapi.json")
    result = _run(
        ["imports", json.dumps(container["event"]), json.dumps(document_event)], container["env"]
    )
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def test_the_openapi_generator_loads_with_the_document_not_at_init(
    imported: dict[str, Any],
) -> None:
    report = imported

    assert (report["status"], report["document_status"]) == (200, 200)
    assert report["init"] == []
    assert report["first_request"] == []
    assert report["document"] == list(GENERATOR_MODULES)


def test_init_and_a_first_keyed_detail_request_load_no_module_they_do_not_use(
    imported: dict[str, Any],
) -> None:
    assert imported["status"] == 200
    assert imported["unused"] == []


def test_init_and_a_first_keyed_detail_request_build_no_dataclass_of_the_project(
    imported: dict[str, Any],
) -> None:
    # Each @dataclass compiles its generated methods when its module is imported: the
    # project's ~30 were ~7% of the instructions of a cold start to the first response.
    assert imported["status"] == 200
    assert imported["dataclasses"] == []


def test_a_request_logs_exactly_one_info_line_and_nothing_else(served: Any) -> None:
    _, lines = served

    assert len(lines) == 2  # two requests
    for line in lines:
        doc = json.loads(line)
        assert doc["level"] == "INFO"
        assert doc["logger"] == "gatewayproject.request"
        assert doc["requestId"] == "0c3e7b9a-4d7f-4b49-9a6a-probe0000001"
        assert doc["gatewayRequestId"] == "LV7fzho-PHcEJPw="
        assert doc["status"] == 200


def test_the_database_connection_persists_between_invocations(served: Any) -> None:
    report, _ = served

    assert report["connections_opened"] == 1
    assert report["connection_open_after"] == [True, True]


def test_with_conn_max_age_zero_the_connection_is_closed_after_each_request(
    container: dict[str, Any],
) -> None:
    report, _ = _serve(container, times=2, DATABASE_CONN_MAX_AGE="0")

    assert report["statuses"] == [200, 200]
    # request_finished ran (the adapter closed the response), which closed it.
    assert report["connections_opened"] == 2
    assert report["connection_open_after"] == [False, False]


def test_without_required_settings_init_fails_naming_the_variable(
    container: dict[str, Any],
) -> None:
    env = {k: v for k, v in container["env"].items() if k != "DJANGO_SECRET_KEY"}

    result = _run(["serve", json.dumps(container["event"]), "1"], env)

    assert result.returncode != 0
    assert "Set the DJANGO_SECRET_KEY environment variable" in result.stderr
