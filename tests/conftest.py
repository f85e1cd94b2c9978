"""Fixtures shared by every test: users, and API clients authenticated the default way."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.contrib.auth.models import AbstractBaseUser
from rest_framework.test import APIClient

from apps.api_keys import lookup
from apps.common.events import DomainEvent, subscribe, unsubscribe
from tests.api_keys.factories import APIKeyFactory
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _no_kept_keys() -> Iterator[None]:
    """Each test starts with no API key kept from another (apps.api_keys.lookup)."""
    lookup.forget()
    yield
    lookup.forget()


@pytest.fixture
def user() -> AbstractBaseUser:
    return UserFactory(username="alice")


@pytest.fixture
def other_user() -> AbstractBaseUser:
    return UserFactory(username="bob")


@pytest.fixture
def anon_client() -> APIClient:
    return APIClient()


@pytest.fixture
def auth_headers(db: None) -> Callable[[AbstractBaseUser], dict[str, str]]:
    """HTTP headers (lower-case names) that authenticate as `user` the way /v1 expects.

    Tests that build raw requests (Lambda events, the local gateway) use this, so they keep
    working when the default authentication scheme changes.
    """

    def make(user: AbstractBaseUser) -> dict[str, str]:
        # A fresh key on a roomy plan (UsagePlanFactory), so no test is throttled by accident.
        return {"x-api-key": APIKeyFactory(owner=user).raw_key}

    return make


@pytest.fixture
def client_for(
    auth_headers: Callable[[AbstractBaseUser], dict[str, str]],
) -> Callable[[AbstractBaseUser], APIClient]:
    """An API client that authenticates as `user` the way /v1 expects by default."""

    def make(user: AbstractBaseUser) -> APIClient:
        client = APIClient()
        meta = {
            "HTTP_" + name.upper().replace("-", "_"): value
            for name, value in auth_headers(user).items()
        }
        client.credentials(**meta)
        return client

    return make


@pytest.fixture
def api(client_for: Callable[[AbstractBaseUser], APIClient], user: AbstractBaseUser) -> APIClient:
    """A client for `user`."""
    return client_for(user)


@pytest.fixture
def published() -> Iterator[list[DomainEvent]]:
    """Every domain event delivered (after commit) while the test runs, in order."""
    received: list[DomainEvent] = []
    subscribe(received.append, dispatch_uid="tests.published")
    yield received
    unsubscribe(dispatch_uid="tests.published")
