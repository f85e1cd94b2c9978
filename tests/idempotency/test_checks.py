"""Start-up checks and the store choice of IDEMPOTENCY and CONDITIONAL_REQUESTS."""

from __future__ import annotations

import os
from typing import Any

import pytest

from apps.common.checks import check_settings as check_conditional
from apps.idempotency.checks import check_settings as check_idempotency
from apps.idempotency.redis_store import RedisStore
from apps.idempotency.stores import DatabaseStore, get_store
from tests.subprocesses import run_python


def ids(messages: list[Any]) -> list[str]:
    return [message.id for message in messages]


def test_the_defaults_pass() -> None:
    assert check_idempotency() == []
    assert check_conditional() == []


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        ({"TTL_SECONDS": 5}, ["idempotency.E001"]),
        ({"TTL": 0}, ["idempotency.E002"]),
        ({"LEASE": "60"}, ["idempotency.E002"]),
        ({"TTL": True}, ["idempotency.E002"]),
        ({"TTL": 60, "LEASE": 60}, ["idempotency.E003"]),
        ({"STORE": "redis"}, ["idempotency.E004"]),
    ],
)
def test_bad_idempotency_settings_fail_at_start_up(
    settings: Any, configured: dict[str, Any], expected: list[str]
) -> None:
    settings.IDEMPOTENCY = configured

    assert ids(check_idempotency()) == expected


@pytest.mark.parametrize(
    ("configured", "expected"),
    [({"REQUIRE_IF_MATCH": "yes"}, ["common.E002"]), ({"REQUIRE": True}, ["common.E001"])],
)
def test_bad_conditional_settings_fail_at_start_up(
    settings: Any, configured: dict[str, Any], expected: list[str]
) -> None:
    settings.CONDITIONAL_REQUESTS = configured

    assert ids(check_conditional()) == expected


def test_the_store_follows_redis_url_unless_told_to_stay_in_the_database(settings: Any) -> None:
    settings.IDEMPOTENCY = {"REDIS_URL": "redis://127.0.0.1:6379/0"}
    assert isinstance(get_store(), RedisStore)

    settings.IDEMPOTENCY = {"REDIS_URL": "redis://127.0.0.1:6379/0", "STORE": "database"}
    assert isinstance(get_store(), DatabaseStore)

    settings.IDEMPOTENCY = {}
    assert isinstance(get_store(), DatabaseStore)


def test_the_environment_fills_the_settings() -> None:
    script = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.IDEMPOTENCY, settings.CONDITIONAL_REQUESTS)"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gatewayproject.settings.local",
        "IDEMPOTENCY_TTL": "3600",
        "IDEMPOTENCY_LEASE": "30",
        "IDEMPOTENCY_STORE": "database",
        "REQUIRE_IF_MATCH": "true",
    }
    env.pop("REDIS_URL", None)

    result = run_python(script, env=env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "{'TTL': 3600, 'LEASE': 30, 'STORE': 'database'} {'REQUIRE_IF_MATCH': True}"
    )
