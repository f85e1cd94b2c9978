"""The management entry point: allow-listed commands by direct invoke, nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lambda_runtime import commands as lambda_manage
from lambda_runtime.handler import manage
from tests.lambda_runtime import events
from tests.lambda_runtime.conftest import body_json

pytestmark = pytest.mark.django_db


def test_migrate_runs_and_reports(json_log: list[dict[str, Any]]) -> None:
    result = manage({"command": "migrate"}, None)

    assert result["command"] == "migrate"
    assert result["args"] == []
    assert (result["exit_code"], result["ok"]) == (0, True)
    assert "No migrations to apply." in result["output"]
    infos = [line for line in json_log if line["level"] == "INFO"]
    assert [(i["message"], i["command"], i["exitCode"]) for i in infos] == [
        ("management command", "migrate", 0)
    ]


def test_migrate_plan(json_log: list[dict[str, Any]]) -> None:
    result = manage({"command": "migrate", "args": ["--plan"]}, None)

    assert result["ok"] is True
    assert "No planned migration operations." in result["output"]


def test_showmigrations() -> None:
    result = manage({"command": "showmigrations", "args": ["pets"]}, None)

    assert result["ok"] is True
    assert "[X] 0001_initial" in result["output"]


def test_check() -> None:
    result = manage({"command": "check"}, None)

    assert result["ok"] is True
    assert "System check identified no issues" in result["output"]


def test_check_deploy_reports_failures_with_a_non_zero_exit_code() -> None:
    # The test settings are not deployable (no HSTS, no secure cookies...).
    lenient = manage({"command": "check", "args": ["--deploy"]}, None)
    strict = manage({"command": "check", "args": ["--deploy", "--fail-level", "WARNING"]}, None)

    assert lenient["ok"] is True
    assert "security.W" in lenient["output"]
    assert (strict["exit_code"], strict["ok"]) == (1, False)
    assert "security.W" in strict["output"]


def test_collectstatic(settings: Any, tmp_path: Path) -> None:
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }

    result = manage({"command": "collectstatic"}, None)

    assert result["ok"] is True, result["output"]
    assert "static files copied" in result["output"]
    assert (tmp_path / "admin" / "css" / "base.css").is_file()


def test_a_command_error_is_reported() -> None:
    result = manage({"command": "migrate", "args": ["no_such_app"]}, None)

    assert (result["exit_code"], result["ok"]) == (1, False)
    assert "No installed app with label 'no_such_app'" in result["output"]


def test_an_unknown_option_is_reported() -> None:
    result = manage({"command": "check", "args": ["--no-such-option"]}, None)

    assert result["ok"] is False
    assert "unrecognized arguments: --no-such-option" in result["output"]


@pytest.mark.parametrize(
    "command",
    [
        "shell",
        "dbshell",
        "createsuperuser",
        "flush",
        "runserver",
        "nonexistent",
        "",
        None,
        42,
        ["migrate"],
    ],
)
def test_commands_outside_the_allow_list_are_refused(
    command: Any, json_log: list[dict[str, Any]]
) -> None:
    result = manage({"command": command, "args": []}, None)

    assert (result["exit_code"], result["ok"]) == (2, False)
    assert (
        "is not allowed; allowed: check, collectstatic, create_admin, health, idempotency_sweep, "
        "migrate, showmigrations, sync_usage_plans." in result["output"]
    )
    assert [line["level"] for line in json_log] == ["WARNING"]


@pytest.mark.parametrize(
    "args",
    [
        ["--settings=gatewayproject.settings.local"],
        ["--settings", "x"],
        ["--pythonpath", "/srv/elsewhere"],
    ],
)
def test_options_that_load_other_code_are_refused(args: list[str]) -> None:
    result = manage({"command": "check", "args": args}, None)

    assert result["ok"] is False
    assert "is not allowed" in result["output"]


@pytest.mark.parametrize("args", ["--deploy", [1], {"deploy": True}])
def test_args_must_be_a_list_of_strings(args: Any) -> None:
    result = manage({"command": "check", "args": args}, None)

    assert result["ok"] is False
    assert result["output"] == '"args" must be a list of strings.'


@pytest.mark.parametrize("event", [None, "migrate", ["migrate"]])
def test_events_that_are_not_objects_are_refused(event: Any) -> None:
    result = manage(event, None)

    assert result["ok"] is False
    assert result["output"].startswith("The event must be an object")


@pytest.mark.parametrize(
    "event",
    [
        events.http_api(path="/v1/pets", query="command=migrate"),
        events.rest(path="/manage"),
        events.function_url(path="/"),
        {"command": "migrate", "headers": {}},
    ],
    ids=["http-api", "rest", "function-url", "smuggled-headers"],
)
def test_http_events_are_refused_with_an_http_403(
    event: Any, json_log: list[dict[str, Any]]
) -> None:
    result = manage(event, None)

    assert result["statusCode"] == 403
    assert body_json(result) == {"message": "Forbidden"}
    assert "command" not in result
    assert [line["level"] for line in json_log] == ["ERROR"]


def test_http_alb_event_refusal_uses_multi_value_headers() -> None:
    result = manage(events.alb(path="/"), None)

    assert result["statusCode"] == 403
    assert result["multiValueHeaders"]["content-type"] == ["application/json"]


def test_an_unexpected_failure_is_logged_and_reported(
    monkeypatch: pytest.MonkeyPatch, json_log: list[dict[str, Any]]
) -> None:
    def explode(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(lambda_manage, "call_command", explode)

    result = manage({"command": "check"}, None)

    assert (result["exit_code"], result["ok"]) == (1, False)
    assert "RuntimeError: disk on fire" in result["output"]
    error = next(line for line in json_log if line["level"] == "ERROR")
    assert error["errorType"] == "RuntimeError"


def test_long_output_is_truncated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lambda_manage, "MAX_OUTPUT_CHARS", 20)

    result = manage({"command": "showmigrations"}, None)

    assert result["output"].endswith("[output truncated]\n")
    assert len(result["output"]) < 50


def test_create_admin_returns_a_one_time_password_that_is_never_logged(
    json_log: list[dict[str, Any]],
) -> None:
    from django.contrib.auth.models import User

    result = manage({"command": "create_admin", "args": ["--username", "ops"]}, None)

    assert result["ok"] is True, result["output"]
    password = result["output"].rsplit(": ", 1)[1].strip()
    user = User.objects.get(username="ops")
    assert (user.is_staff, user.is_superuser) == (True, True)
    assert user.check_password(password)
    assert password not in str(json_log)
    again = manage({"command": "create_admin", "args": ["--username", "ops"]}, None)
    assert again["ok"] is False
    assert "--reset-password" in again["output"]
