"""System checks: misconfiguration is reported at start-up with an id."""

from __future__ import annotations

from typing import Any

import pytest

from apps.api_keys import checks


def ids(settings: Any, **api_keys: Any) -> list[str]:
    settings.API_KEYS = {**settings.API_KEYS, **api_keys}
    return [message.id for message in checks.check_settings() if message.id]


def test_the_default_configuration_passes(settings: Any) -> None:
    assert ids(settings) == []


@pytest.mark.parametrize("url", ["redis://127.0.0.1:6379/0", "rediss://cache:6380", ""])
def test_good_redis_urls_pass(settings: Any, url: str) -> None:
    assert ids(settings, REDIS_URL=url) == []


@pytest.mark.parametrize("url", ["http://127.0.0.1:6379", "127.0.0.1:6379", "postgres://x"])
def test_bad_redis_urls_fail(settings: Any, url: str) -> None:
    assert ids(settings, REDIS_URL=url) == ["api_keys.E001"]


def test_an_unimportable_clock_fails(settings: Any) -> None:
    assert ids(settings, CLOCK="nowhere.clock") == ["api_keys.E002"]


@pytest.mark.parametrize("seconds", [0, 0.5, 30, 300.0])
def test_good_key_cache_times_pass(settings: Any, seconds: float) -> None:
    assert ids(settings, KEY_CACHE_SECONDS=seconds) == []


@pytest.mark.parametrize("seconds", [-1, "30", None, True, float("nan")])
def test_bad_key_cache_times_fail(settings: Any, seconds: object) -> None:
    assert ids(settings, KEY_CACHE_SECONDS=seconds) == ["api_keys.E006"]


# No 1 here beside True below: apps.common.conf keeps the last settings dict read, and
# {"X": 1} == {"X": True}, so one test could get the other's settings.
@pytest.mark.parametrize("seconds", [0, 0.25, 2, 60])
def test_good_refusal_flush_periods_pass(settings: Any, seconds: float) -> None:
    assert ids(settings, REFUSAL_FLUSH_SECONDS=seconds) == []


@pytest.mark.parametrize("seconds", [-1, 61, "1", None, True, float("nan")])
def test_bad_refusal_flush_periods_fail(settings: Any, seconds: object) -> None:
    assert ids(settings, REFUSAL_FLUSH_SECONDS=seconds) == ["api_keys.E008"]


def test_an_unknown_key_fails(settings: Any) -> None:
    assert ids(settings, REDIS_PREFIX="mine") == ["api_keys.E005"]


def test_a_namespace_that_is_not_a_dict_fails(settings: Any) -> None:
    settings.API_KEYS = "redis://127.0.0.1:6379/0"

    assert [message.id for message in checks.check_settings()] == ["api_keys.E005"]


def test_an_old_sqlite_fails(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checks.sqlite3, "sqlite_version_info", (3, 31, 1))
    from django.db import connection

    expected = ["api_keys.E003"] if connection.vendor == "sqlite" else []
    assert ids(settings) == expected


def test_an_unsupported_database_fails(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    class MySQL:
        vendor = "mysql"

    monkeypatch.setattr(checks.connections, "all", lambda initialized_only=False: [MySQL()])

    assert ids(settings) == ["api_keys.E004"]


def test_a_rest_api_without_its_stage_fails(settings: Any) -> None:
    assert ids(settings, GATEWAY_REST_API_ID="abc123") == ["api_keys.E007"]
    assert ids(settings, GATEWAY_REST_API_ID="abc123", GATEWAY_STAGE="prod") == []
