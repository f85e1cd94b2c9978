"""The Zappa path: settings that match the SAM template, `zappa package` and `zappa template`
offline (no credentials, dummy ARNs), and the entry point that routes its events."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
import zipfile
from pathlib import Path
from typing import Any

import pytest

from infra import zappa_entry
from tests.infra import pipeline
from tests.infra.cfn import ROOT, load
from tests.infra.rules import HANDLERS, UPLOAD_PREFIX

SETTINGS = ROOT / "infra" / "zappa_settings.json"
VENV = ROOT / ".venv-zappa"
FIXTURES = ROOT / "tests" / "fixtures" / "aws-events"
LAMBDA_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:django-apigw-prod"
ROLE_ARN = "arn:aws:iam::123456789012:role/django-apigw-prod-ZappaLambdaExecutionRole"
LAMBDA_LIMIT_UNZIPPED = (
    250 * 1024 * 1024
)  # https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html


@pytest.fixture(scope="module")
def stage() -> dict[str, Any]:
    settings: dict[str, Any] = json.loads(SETTINGS.read_text())
    return settings["prod"]


def zappa(args: list[str], settings: Path) -> subprocess.CompletedProcess[str]:
    assert (VENV / "bin" / "zappa").exists(), "run `make infra-venvs`"
    # Only the Zappa venv, a region and no credentials: nothing can reach AWS.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "VIRTUAL_ENV"))}
    env |= pipeline.OFFLINE_ENV | {
        "VIRTUAL_ENV": str(VENV),
        "PATH": f"{VENV / 'bin'}{os.pathsep}{env['PATH']}",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    return subprocess.run(  # noqa: S603
        [str(VENV / "bin" / "zappa"), *args, "-s", str(settings)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def local_settings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The settings with the runtime of the interpreter that built .venv-zappa: Zappa ships
    that venv's site-packages as they are (use_precompiled_packages is off)."""
    version = subprocess.run(  # noqa: S603
        [str(VENV / "bin" / "python"), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    settings = json.loads(SETTINGS.read_text())
    settings["prod"]["runtime"] = f"python{version}"
    path = tmp_path_factory.mktemp("zappa") / "zappa_settings.json"
    path.write_text(json.dumps(settings))
    return path


@pytest.fixture(scope="module")
def package(local_settings: Path) -> zipfile.ZipFile:
    output = local_settings.parent / "package.zip"

    result = zappa(["package", "prod", "-o", str(output)], local_settings)

    assert result.returncode == 0, result.stdout + result.stderr
    return zipfile.ZipFile(output)


def test_settings_use_the_projects_handler_and_the_http_api(stage: dict[str, Any]) -> None:
    assert stage["lambda_handler"] == "infra.zappa_entry.handler"
    assert stage["apigateway_version"] == "v2"
    assert stage["runtime"] == "python3.12"
    assert stage["timeout_seconds"] < 30


def test_settings_build_offline_for_x86_64(stage: dict[str, Any]) -> None:
    # Precompiled packages would be fetched from a host that does not resolve here, and
    # Zappa ships x86_64 binaries even for arm64 (infra-validation.md).
    assert stage["use_precompiled_packages"] is False
    assert stage["architecture"] == "x86_64"
    assert {".venv*", "tests", "boto3", "botocore"} <= set(stage["exclude"])


def test_settings_wire_the_photo_event_and_the_vpc(stage: dict[str, Any]) -> None:
    (event,) = stage["events"]
    assert event["function"] == HANDLERS["PhotoFunction"]
    assert event["event_source"]["events"] == ["s3:ObjectCreated:*"]
    assert event["event_source"]["key_filters"] == [{"type": "prefix", "value": UPLOAD_PREFIX}]
    assert set(stage["vpc_config"]) == {"SubnetIds", "SecurityGroupIds"}
    assert stage["environment_variables"]["PHOTOS_UPLOAD_PREFIX"] == UPLOAD_PREFIX


def test_settings_set_the_same_variables_as_the_sam_template(stage: dict[str, Any]) -> None:
    template = load((ROOT / "infra" / "template.yaml").read_text())
    # AWS_LAMBDA_EXEC_WRAPPER only comes with the template's optional ADOT layer.
    sam = set(template["Globals"]["Function"]["Environment"]["Variables"]) - {
        "DJANGO_LOG_LEVEL",
        "AWS_LAMBDA_EXEC_WRAPPER",
    }

    assert set(stage["environment_variables"]) == sam
    assert not [v for v in stage["environment_variables"].values() if "{{resolve:" in v]


def test_zappa_package_runs_offline_and_ships_the_project(package: zipfile.ZipFile) -> None:
    names = set(package.namelist())

    assert {"infra/zappa_entry.py", "gatewayproject/settings/production.py", "manage.py"} <= names
    assert "apps/pets/models.py" in names
    assert "django/__init__.py" in names
    assert "rest_framework/__init__.py" in names
    assert not [n for n in names if n.startswith(("tests/", ".venv", "boto3/", ".git/", "build/"))]
    assert not [n for n in names if n.endswith((".sqlite3", "template.yaml", "Dockerfile"))]
    assert sum(info.file_size for info in package.infolist()) < LAMBDA_LIMIT_UNZIPPED


def test_zappa_template_runs_offline_and_lints_clean(local_settings: Path) -> None:
    output = local_settings.parent / "zappa-template.json"

    result = zappa(
        ["template", "prod", "-l", LAMBDA_ARN, "-r", ROLE_ARN, "-o", str(output)], local_settings
    )

    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads(output.read_text())
    kinds = {r["Type"] for r in document["Resources"].values()}
    assert "AWS::ApiGatewayV2::Api" in kinds  # an HTTP API, not a REST API
    (integration,) = [
        r for r in document["Resources"].values() if r["Type"] == "AWS::ApiGatewayV2::Integration"
    ]
    assert integration["Properties"]["PayloadFormatVersion"] == "2.0"
    assert pipeline.cfn_lint(output.read_text()) == []


@pytest.fixture
def entry_points(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """A stand-in lambda_runtime.handler that records which entry point ran."""
    calls: list[tuple[str, Any]] = []
    module = types.ModuleType(zappa_entry.ENTRY_MODULE)
    for name in ("handler", "manage", "process_photos"):
        setattr(module, name, lambda event, context, name=name: calls.append((name, event)) or name)
    monkeypatch.setitem(sys.modules, zappa_entry.ENTRY_MODULE, module)
    return calls


@pytest.mark.parametrize(
    ("event", "entry"),
    [
        (json.loads((FIXTURES / "s3-event.json").read_text()), "process_photos"),
        (json.loads((FIXTURES / "apigw-v2-request-no-authorizer.json").read_text()), "handler"),
        ({"manage": "migrate --noinput"}, "manage"),
        ({"command": "check --deploy"}, "manage"),
        ({"Records": [{"eventSource": "aws:sqs"}]}, "handler"),
        ({"Records": []}, "handler"),
        ("not a dict", "handler"),
    ],
)
def test_the_zappa_entry_routes_each_event_to_its_entry_point(
    entry_points: list[tuple[str, Any]], event: Any, entry: str
) -> None:
    assert zappa_entry.handler(event, None) == entry
    assert entry_points == [(entry, event)]
