"""Secrets by reference: values from the Parameters and Secrets extension, clear errors."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator

import environ
import pytest
from django.core.exceptions import ImproperlyConfigured

from lambda_runtime import aws_secrets
from tests.project.extension_server import TOKEN, FakeExtension, serve
from tests.subprocesses import run_python

KEY_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:django-key-AbCdEf"
DB_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-credentials-GhIjKl"
SECRET_KEY = secrets.token_urlsafe(50)
DB_SECRET = {"username": "app_user", "password": "p4ss-w0rd!", "engine": "postgres"}
NAMES = ("DJANGO_SECRET_KEY", "DJANGO_SECRET_KEY_SECRET_ARN", "DATABASE_PASSWORD")


@pytest.fixture
def extension(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeExtension]:
    for name in (*NAMES, "DATABASE_SECRET_ARN"):
        monkeypatch.delenv(name, raising=False)
    fake = FakeExtension({KEY_ARN: SECRET_KEY, DB_ARN: json.dumps(DB_SECRET)})
    with serve(fake):
        monkeypatch.setenv(aws_secrets.EXTENSION_PORT_VARIABLE, str(fake.port))
        monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
        yield fake


def test_secret_arn_is_read_through_the_extension_with_the_session_token(
    extension: FakeExtension, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DJANGO_SECRET_KEY_SECRET_ARN", KEY_ARN)

    assert aws_secrets.secret_from_env(environ.Env(), "DJANGO_SECRET_KEY") == SECRET_KEY
    assert extension.requests == [
        {"path": "/secretsmanager/get", "secretId": KEY_ARN, "token": TOKEN}
    ]


def test_a_direct_value_is_used_without_calling_the_extension(
    extension: FakeExtension, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DJANGO_SECRET_KEY", "direct-value")

    assert aws_secrets.secret_from_env(environ.Env(), "DJANGO_SECRET_KEY") == "direct-value"
    assert extension.requests == []


def test_both_a_value_and_an_arn_is_refused(
    extension: FakeExtension, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DJANGO_SECRET_KEY", "direct-value")
    monkeypatch.setenv("DJANGO_SECRET_KEY_SECRET_ARN", KEY_ARN)

    with pytest.raises(
        ImproperlyConfigured, match="DJANGO_SECRET_KEY or DJANGO_SECRET_KEY_SECRET_ARN"
    ):
        aws_secrets.secret_from_env(environ.Env(), "DJANGO_SECRET_KEY")


def test_neither_a_value_nor_an_arn_names_the_variable(extension: FakeExtension) -> None:
    with pytest.raises(
        ImproperlyConfigured, match="Set the DJANGO_SECRET_KEY environment variable"
    ):
        aws_secrets.secret_from_env(environ.Env(), "DJANGO_SECRET_KEY")


def test_an_unknown_secret_is_a_clear_error_naming_the_variable(
    extension: FakeExtension, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DJANGO_SECRET_KEY_SECRET_ARN", KEY_ARN + "-gone")

    with pytest.raises(ImproperlyConfigured, match=r"DJANGO_SECRET_KEY_SECRET_ARN.*HTTP 400"):
        aws_secrets.secret_from_env(environ.Env(), "DJANGO_SECRET_KEY")


def test_a_wrong_token_is_refused_by_the_extension(
    extension: FakeExtension, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SESSION_TOKEN", "someone-else")
    monkeypatch.setenv("DJANGO_SECRET_KEY_SECRET_ARN", KEY_ARN)

    with pytest.raises(ImproperlyConfigured, match="HTTP 401"):
        aws_secrets.secret_from_env(environ.Env(), "DJANGO_SECRET_KEY")


def test_outside_lambda_an_arn_asks_for_the_plain_variable(
    extension: FakeExtension, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_SESSION_TOKEN")
    monkeypatch.setenv("DJANGO_SECRET_KEY_SECRET_ARN", KEY_ARN)

    with pytest.raises(ImproperlyConfigured, match="set DJANGO_SECRET_KEY itself"):
        aws_secrets.secret_from_env(environ.Env(), "DJANGO_SECRET_KEY")
    assert extension.requests == []


def test_a_missing_extension_says_so(
    extension: FakeExtension, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(aws_secrets, "RETRY_DELAY_SECONDS", 0)
    monkeypatch.setenv(aws_secrets.EXTENSION_PORT_VARIABLE, "1")  # nothing listens there
    monkeypatch.setenv("DJANGO_SECRET_KEY_SECRET_ARN", KEY_ARN)

    with pytest.raises(ImproperlyConfigured, match="Extension does not answer"):
        aws_secrets.secret_from_env(environ.Env(), "DJANGO_SECRET_KEY")


@pytest.mark.parametrize("stored", ["", "not json", '{"SecretBinary": "AAEC"}'])
def test_a_secret_without_a_string_value_is_refused(
    stored: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(aws_secrets, "_request", lambda secret_id, *, variable: stored.encode())

    with pytest.raises(
        ImproperlyConfigured, match="DJANGO_SECRET_KEY_SECRET_ARN has no SecretString"
    ):
        aws_secrets.fetch_secret_string(KEY_ARN, variable="DJANGO_SECRET_KEY_SECRET_ARN")


def test_database_credentials_come_from_the_rds_style_json_secret(
    extension: FakeExtension, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_SECRET_ARN", DB_ARN)

    credentials = aws_secrets.database_credentials(environ.Env())

    assert credentials == {"PASSWORD": "p4ss-w0rd!", "USER": "app_user"}


def test_database_password_can_be_given_directly(
    extension: FakeExtension, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_PASSWORD", "injected-by-ecs")

    assert aws_secrets.database_credentials(environ.Env()) == {"PASSWORD": "injected-by-ecs"}
    assert extension.requests == []


def test_without_either_the_url_keeps_its_own_password(extension: FakeExtension) -> None:
    assert aws_secrets.database_credentials(environ.Env()) == {}


@pytest.mark.parametrize("stored", ['"just a string"', '{"username": "app"}', '{"password": 7}'])
def test_a_database_secret_without_a_password_names_the_variable(
    stored: str, extension: FakeExtension, monkeypatch: pytest.MonkeyPatch
) -> None:
    extension.secrets[DB_ARN] = stored
    monkeypatch.setenv("DATABASE_SECRET_ARN", DB_ARN)

    with pytest.raises(
        ImproperlyConfigured, match='DATABASE_SECRET_ARN must be JSON with a string "password"'
    ) as info:
        aws_secrets.database_credentials(environ.Env())
    assert stored not in str(info.value)  # the secret's content never reaches the message


def test_importing_the_module_does_not_import_boto3() -> None:
    script = "import sys, lambda_runtime.aws_secrets; print('boto3' in sys.modules)"

    result = run_python(script)
    assert result.returncode == 0, result.stderr

    assert result.stdout.strip() == "False"


def production_env(port: int) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    return clean | {
        "DJANGO_SETTINGS_MODULE": "gatewayproject.settings.production",
        "DJANGO_SECRET_KEY_SECRET_ARN": KEY_ARN,
        "DATABASE_URL": "postgres://app@db.internal.example:5432/app",
        "DATABASE_SECRET_ARN": DB_ARN,
        "DJANGO_ALLOWED_HOSTS": ".execute-api.eu-west-1.amazonaws.com",
        aws_secrets.EXTENSION_PORT_VARIABLE: str(port),
        "AWS_SESSION_TOKEN": TOKEN,
    }


def test_production_settings_resolve_both_references_and_pass_check_deploy(
    extension: FakeExtension,
) -> None:
    script = (
        "import django; django.setup(); from django.conf import settings as s;"
        "from django.core.management import call_command;"
        "call_command('check', deploy=True, fail_level='WARNING');"
        "d = s.DATABASES['default'];"
        f"print(s.SECRET_KEY == {SECRET_KEY!r}, d['USER'], d['PASSWORD'])"
    )

    result = run_python(script, env=production_env(extension.port), timeout=120)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-3:] == ["True", "app_user", "p4ss-w0rd!"]
    assert {r["secretId"] for r in extension.requests} == {KEY_ARN, DB_ARN}


def test_only_reading_a_secret_imports_urllib_request() -> None:
    # A Lambda's init imports this module with the settings; without secrets by ARN it
    # never needs urllib.request's HTTP machinery (its import is ~0.4% of a cold start).
    script = (
        "import sys\n"
        "from lambda_runtime import aws_secrets\n"
        "print('urllib.request' in sys.modules)\n"
    )

    result = run_python(script)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False"]
