"""The IDENTITY setting is checked at start-up."""

from __future__ import annotations

from typing import Any

import pytest

from apps.identity.checks import check_settings


@pytest.mark.parametrize(
    ("value", "ids"),
    [
        ({"GATEWAY_CLAIM_HEADERS": False, "ISSUERS": []}, []),
        ({"GATEWAY_CLAIMS_HEADERS": True}, ["identity.E001"]),
        ("on", ["identity.E001"]),
        ({"GATEWAY_CLAIM_HEADERS": "true"}, ["identity.E002"]),
        ({"ISSUERS": "https://a.example"}, ["identity.E003"]),
        ({"ISSUERS": [""]}, ["identity.E003"]),
    ],
)
def test_identity_settings_are_checked(settings: Any, value: Any, ids: list[str]) -> None:
    settings.IDENTITY = value

    assert [error.id for error in check_settings()] == ids
