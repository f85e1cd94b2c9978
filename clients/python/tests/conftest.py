"""Fixtures: the live API (`make test-clients` starts rungateway and sets PETS_API_*)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from pets_api import connect
from pets_api_client import AuthenticatedClient


@pytest.fixture(scope="session")
def url() -> str:
    value = os.environ.get("PETS_API_URL")
    if not value:
        pytest.skip("PETS_API_URL is not set: `make test-clients` runs these against rungateway")
    return value


@pytest.fixture(scope="session")
def key(url: str) -> str:
    return os.environ["PETS_API_KEY"]


@pytest.fixture(scope="session")
def limited_key(url: str) -> str:
    """A key whose quota is one request a day."""
    return os.environ["PETS_API_LIMITED_KEY"]


@pytest.fixture
def api(url: str, key: str) -> Iterator[AuthenticatedClient]:
    with connect(url, api_key=key) as client:
        yield client


@pytest.fixture(scope="session")
def token_url(url: str) -> str:
    """A gateway with the template's JWT authorizer on (the local issuer): tokens only."""
    return os.environ["PETS_API_TOKEN_URL"]


@pytest.fixture(scope="session")
def token(url: str) -> str:
    """An access token for this suite's subject, with pets/read and pets/write."""
    return os.environ["PETS_API_TOKEN"]
