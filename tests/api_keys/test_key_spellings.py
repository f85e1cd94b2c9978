"""A key has two spellings: `prefix.secret`, and without the dot as the REST front door's
API Gateway stores it (alphanumeric, as AWS documents key values); Django takes both."""

from __future__ import annotations

from typing import Any

import pytest

from apps.api_keys.gateway.names import gateway_value
from apps.api_keys.selectors import canonical_key
from tests.api_keys.conftest import client_with

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("presented", "canonical"),
    [
        ("abcdefgh.0123456789", "abcdefgh.0123456789"),
        ("abcdefgh0123456789", "abcdefgh.0123456789"),
        ("abcdefgh" + "x" * 120, "abcdefgh." + "x" * 120),
    ],
)
def test_both_spellings_name_the_same_key(presented: str, canonical: str) -> None:
    assert canonical_key(presented) == canonical


@pytest.mark.parametrize(
    "presented",
    ["", "abcdefgh", "abc.def.ghi", "abcdefgh-0123456789", "a" * 129, "abcdefgh.", " " * 20],
)
def test_anything_else_is_malformed(presented: str) -> None:
    assert canonical_key(presented) is None


def test_a_key_works_in_either_spelling(make_key: Any) -> None:
    key = make_key()
    dotless = gateway_value(key.raw_key)

    assert "." not in dotless
    assert client_with(key.raw_key).get("/v1/usage").status_code == 200
    assert client_with(dotless).get("/v1/usage").status_code == 200
    # A wrong secret in the second spelling is refused like any wrong secret.
    assert (
        client_with(dotless[:-1] + ("A" if dotless[-1] != "A" else "B"))
        .get("/v1/usage")
        .status_code
        == 403
    )
