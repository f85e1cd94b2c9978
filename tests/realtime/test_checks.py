"""System checks for REALTIME: unknown keys, bad numbers and bad URLs fail at start-up."""

from __future__ import annotations

from typing import Any

import pytest

from apps.realtime.checks import check_realtime_settings


def ids(settings: Any, value: dict[str, Any]) -> list[str]:
    settings.REALTIME = value
    return [error.id for error in check_realtime_settings()]


def test_the_defaults_pass(settings: Any) -> None:
    assert ids(settings, {}) == []


def test_an_unknown_key_is_an_error(settings: Any) -> None:
    assert ids(settings, {"TICKET_TLL": 30}) == ["realtime.E001"]


@pytest.mark.parametrize(
    "value",
    [
        {"TICKET_TTL": 0},
        {"MAX_CONNECTIONS_PER_KEY": -1},
        {"SEND_CONCURRENCY": "8"},
        {"SWEEP_IDLE": True},
        {"INLINE_FANOUT_MAX": -1},
    ],
)
def test_numbers_must_be_positive_integers(settings: Any, value: dict[str, Any]) -> None:
    assert ids(settings, value) == ["realtime.E002"]


def test_no_inline_fan_out_at_all_is_allowed(settings: Any) -> None:
    assert ids(settings, {"INLINE_FANOUT_MAX": 0}) == []


@pytest.mark.parametrize(
    "value",
    [
        {"MANAGEMENT_ENDPOINT": "abc123.execute-api.eu-west-1.amazonaws.com/prod"},
        {"MANAGEMENT_ENDPOINT": "wss://abc123.execute-api.eu-west-1.amazonaws.com/prod"},
        {"WEBSOCKET_URL": "https://abc123.execute-api.eu-west-1.amazonaws.com/prod"},
    ],
)
def test_urls_need_their_scheme(settings: Any, value: dict[str, Any]) -> None:
    assert ids(settings, value) == ["realtime.E003"]
