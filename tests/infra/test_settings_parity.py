"""Settings parity: the template sets exactly what production settings read, and they pass
`check --deploy` with it, on the Lambda functions and in the container."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.infra.cfn import ROOT, Resolver, load
from tests.project.extension_server import TOKEN, FakeExtension, serve
from tests.subprocesses import run_python

# Data the lead extends when settings change. Names the template may set although
# production settings do not read them (yet), each with the reason:
NOT_READ_BY_SETTINGS = {
    "DJANGO_SETTINGS_MODULE": "selects the settings module; Django reads it, not the settings",
    "AWS_LAMBDA_EXEC_WRAPPER": "the Lambda runtime runs the ADOT layer's wrapper (TracingLayerArn)",
}
PENDING_FROM_OTHER_ISSUES: dict[str, str] = {}
# Groups where exactly one name must be set: the value itself, or where to read it.
ONE_OF = [("DJANGO_SECRET_KEY", "DJANGO_SECRET_KEY_SECRET_ARN")]
CONTAINER = "container"
LAMBDA = "lambda"


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load((ROOT / "infra" / "template.yaml").read_text())


def _clean_env() -> dict[str, str]:
    prefixes = ("DJANGO_", "DATABASE_", "AWS_", "PHOTOS_", "REDIS_", "API_GATEWAY_")
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}


@pytest.fixture(scope="module")
def settings_reads() -> dict[str, bool]:
    """Name -> required, for every variable production settings read."""
    result = subprocess.run(
        [sys.executable, "-m", "tests.infra.settings_reads"],
        cwd=ROOT,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    reads: dict[str, bool] = json.loads(result.stdout)
    return reads


def template_env(template: dict[str, Any], front_door: str) -> dict[str, Any]:
    """The variables (unresolved) one front door gets: Globals for the functions (no
    function overrides them), the task definition's Environment and Secrets for ECS."""
    if front_door == LAMBDA:
        functions = [
            r for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::Function"
        ]
        assert not [f for f in functions if "Environment" in f["Properties"]], "set it in Globals"
        variables: dict[str, Any] = template["Globals"]["Function"]["Environment"]["Variables"]
        return variables
    (container,) = template["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"]
    names = {e["Name"]: e["Value"] for e in _entries(container["Environment"])}
    secret_names = _entries(container["Secrets"])
    return names | {s["Name"]: {"ValueFrom": s["ValueFrom"]} for s in secret_names}


def _entries(items: list[Any]) -> list[dict[str, Any]]:
    """List entries, with both branches of an `!If [condition, entry, !Ref AWS::NoValue]`."""
    found = []
    for item in items:
        branches = item["Fn::If"][1:] if "Fn::If" in item else [item]
        found += [b for b in branches if isinstance(b, dict) and "Name" in b]
    return found


@pytest.mark.parametrize("front_door", [LAMBDA, CONTAINER])
def test_the_template_sets_nothing_production_does_not_read(
    template: dict[str, Any], settings_reads: dict[str, bool], front_door: str
) -> None:
    known = set(settings_reads) | set(NOT_READ_BY_SETTINGS) | set(PENDING_FROM_OTHER_ISSUES)

    assert set(template_env(template, front_door)) - known == set()


@pytest.mark.parametrize("front_door", [LAMBDA, CONTAINER])
def test_the_template_sets_every_required_variable(
    template: dict[str, Any], settings_reads: dict[str, bool], front_door: str
) -> None:
    names = set(template_env(template, front_door))
    required = {name for name, needed in settings_reads.items() if needed}

    assert required - names == set()
    for group in ONE_OF:
        assert len(names & set(group)) == 1, f"set exactly one of {group}"


def test_the_parity_data_names_variables_that_exist(settings_reads: dict[str, bool]) -> None:
    """The tables above must not go stale: one-of names are read, pending ones are not yet."""
    for group in ONE_OF:
        assert set(group) <= set(settings_reads)
    assert not set(NOT_READ_BY_SETTINGS) & set(settings_reads)


@pytest.fixture
def extension() -> Iterator[FakeExtension]:
    with serve(FakeExtension()) as fake:
        yield fake


def resolved_env(
    template: dict[str, Any],
    front_door: str,
    extension: FakeExtension,
    parameters: dict[str, str] | None = None,
) -> dict[str, str]:
    """Concrete values as AWS would pass them for `parameters` (else the defaults): what a
    condition leaves out is left out; secrets served by the fake extension (Lambda) or
    injected by value as ECS does (container)."""
    resolver = Resolver(template, parameters or {})
    if front_door == LAMBDA:
        variables = resolver.resolve(template["Globals"]["Function"]["Environment"]["Variables"])
        env = {name: str(value) for name, value in variables.items()}
    else:
        (container,) = resolver.resolve(
            template["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"]
        )
        env = {e["Name"]: str(e["Value"]) for e in container["Environment"]}
        # ECS puts the secret's value here.
        env |= {e["Name"]: secrets.token_urlsafe(48) for e in container["Secrets"]}
    db_secret = json.dumps({"username": "app", "password": "from-secrets-manager"})
    for name, value in env.items():
        if name in ("DJANGO_SECRET_KEY_SECRET_ARN", "REDIS_PASSWORD_SECRET_ARN"):
            extension.secrets[value] = secrets.token_urlsafe(48)
        if name == "DATABASE_SECRET_ARN":
            extension.secrets[value] = db_secret
    return env | {
        "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT": str(extension.port),
        "AWS_SESSION_TOKEN": TOKEN,
    }


# The defaults (RDS Proxy, no cache), and the other shape (no proxy, the counter cache).
SHAPES = {
    "proxy": {},
    "direct+cache": {"EnableDatabaseProxy": "false", "EnableCounterCache": "true"},
}


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("front_door", [LAMBDA, CONTAINER])
def test_check_deploy_passes_with_the_environment_the_template_sets(
    template: dict[str, Any], front_door: str, extension: FakeExtension, shape: str
) -> None:
    env = _clean_env() | resolved_env(template, front_door, extension, SHAPES[shape])

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    if front_door == LAMBDA:
        # Through the proxy the functions sign in with IAM: no database secret to read.
        expected = {"DJANGO_SECRET_KEY_SECRET_ARN"}
        if shape == "direct+cache":
            expected |= {"DATABASE_SECRET_ARN", "REDIS_PASSWORD_SECRET_ARN"}
        assert {name for name in env if name.endswith("_SECRET_ARN")} == expected
        assert {r["secretId"] for r in extension.requests} == {env[name] for name in expected}


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("front_door", [LAMBDA, CONTAINER])
def test_each_shape_reaches_its_database_and_counter_store(
    template: dict[str, Any], front_door: str, extension: FakeExtension, shape: str
) -> None:
    """The settings each front door ends up with: engine, pooler, TLS, the counter store."""
    env = _clean_env() | resolved_env(template, front_door, extension, SHAPES[shape])
    script = (
        "import json; from django.conf import settings as s; d = s.DATABASES['default'];"
        "print(json.dumps([d['ENGINE'], d['HOST'], d['OPTIONS'], d['CONN_MAX_AGE'],"
        " s.API_KEYS.get('REDIS_URL', ''), bool(s.API_KEYS.get('REDIS_PASSWORD'))]))"
    )

    result = run_python(script, env=env, timeout=60)

    assert result.returncode == 0, result.stderr
    engine, host, options, max_age, redis_url, redis_password = json.loads(result.stdout)
    assert options["sslmode"] == "require"
    if front_door == LAMBDA and shape == "proxy":
        assert engine == "lambda_runtime.postgresql_iam"
        assert host == "databaseproxy-endpoint.example.internal"
        assert options["prepare_threshold"] is None
        assert max_age == 60
    elif front_door == LAMBDA:
        assert engine == "django.db.backends.postgresql"
        assert host == "database-endpoint-address.example.internal"
    else:
        assert engine == "django.db.backends.postgresql"
        assert options["pool"]["max_size"] == 4
        assert max_age == 0
    if shape == "direct+cache":
        assert redis_url.startswith("rediss://app@countercache-endpoint-address")
        assert redis_password is True
    else:
        assert (redis_url, redis_password) == ("", False)


def test_the_container_trusts_the_header_api_gateway_overwrites(
    template: dict[str, Any], extension: FakeExtension
) -> None:
    env = _clean_env() | resolved_env(template, CONTAINER, extension)
    script = (
        "from django.conf import settings as s;"
        "print(s.SECURE_PROXY_SSL_HEADER, s.FORCE_SCRIPT_NAME)"
    )
    mapping = template["Resources"]["ContainerIntegration"]["Properties"]["RequestParameters"]

    result = run_python(script, env=env, timeout=60)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["('HTTP_X_GATEWAY_FORWARDED_PROTO',", "'https')", "/prod"]
    assert mapping["overwrite:header.x-gateway-forwarded-proto"] == "https"
