"""App settings: one namespaced dict over typed defaults, read at every access."""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest

from apps.common.conf import app_settings, check_namespace


class Example(NamedTuple):
    SIZE: int = 1
    NAME: str = "a"


DEFAULTS = Example()


def test_no_setting_gives_the_defaults(settings: Any) -> None:
    assert app_settings("EXAMPLE_APP", DEFAULTS) is DEFAULTS
    assert check_namespace("EXAMPLE_APP", DEFAULTS, id="example.E001") == []


def test_configured_keys_replace_only_their_defaults(settings: Any) -> None:
    settings.EXAMPLE_APP = {"SIZE": 5}

    assert app_settings("EXAMPLE_APP", DEFAULTS) == Example(SIZE=5, NAME="a")


def test_a_replaced_or_edited_dict_is_seen_at_the_next_read(settings: Any) -> None:
    settings.EXAMPLE_APP = {"SIZE": 5}
    assert app_settings("EXAMPLE_APP", DEFAULTS).SIZE == 5

    settings.EXAMPLE_APP = {"SIZE": 6}
    assert app_settings("EXAMPLE_APP", DEFAULTS).SIZE == 6

    settings.EXAMPLE_APP["NAME"] = "b"
    assert app_settings("EXAMPLE_APP", DEFAULTS) == Example(SIZE=6, NAME="b")


def test_override_settings_ends_with_the_block(settings: Any) -> None:
    from django.test import override_settings

    with override_settings(EXAMPLE_APP={"NAME": "inside"}):
        assert app_settings("EXAMPLE_APP", DEFAULTS).NAME == "inside"

    assert app_settings("EXAMPLE_APP", DEFAULTS) is DEFAULTS


def test_unknown_keys_are_ignored_when_read_and_reported_by_the_check(settings: Any) -> None:
    settings.EXAMPLE_APP = {"SIZ": 5, "NAME": "b"}

    (error,) = check_namespace("EXAMPLE_APP", DEFAULTS, id="example.E001")

    assert app_settings("EXAMPLE_APP", DEFAULTS) == Example(NAME="b")
    assert error.id == "example.E001"
    assert "SIZ" in error.msg
    assert error.hint == "Known keys: SIZE, NAME."


@pytest.mark.parametrize("value", ["SIZE=5", ["SIZE"], 5, ("SIZE", 5)])
def test_a_setting_that_is_not_a_dict_is_reported(settings: Any, value: object) -> None:
    settings.EXAMPLE_APP = value

    (error,) = check_namespace("EXAMPLE_APP", DEFAULTS, id="example.E001")

    assert "must be a dict" in error.msg
    assert app_settings("EXAMPLE_APP", DEFAULTS) is DEFAULTS
