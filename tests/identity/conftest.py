"""Fixtures for identity tests: the real Lambda handler with the project's URLs, and events
carrying the claims API Gateway's JWT authorizer passes on."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core import signals
from django.db import close_old_connections

from lambda_runtime.handler import handler
from tests.lambda_runtime import events
from tests.lambda_runtime.conftest import EVENT_HOSTS, LambdaContext

ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_example"
Invoke = Callable[[dict[str, Any]], dict[str, Any]]


@pytest.fixture(autouse=True)
def _hosts(settings: Any) -> None:
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, *EVENT_HOSTS]


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Iterator[None]:
    """Like Django's test client: the entry points' request signals must not close the
    test's database connection (the test runs inside its transaction)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def invoke(db: None) -> Invoke:
    """lambda_runtime.handler.handler, JSON in and out, as Lambda calls it."""
    return lambda event: handler(json.loads(json.dumps(event)), LambdaContext())


def claims_for(
    subject: str = "sub-alice", *, scope: str = "pets/read pets/write", **extra: str
) -> dict[str, str]:
    """Claims as a JWT authorizer passes them: every value a string."""
    claims = {
        "iss": ISSUER,
        "sub": subject,
        "client_id": "app-client",
        "token_use": "access",
        "scope": scope,
        "exp": "4102444800",
        "iat": "1700000000",
    }
    return claims | extra


def jwt_event(claims: dict[str, str] | None, **kwargs: Any) -> dict[str, Any]:
    """A payload 2.0 event whose route has the JWT authorizer (the aws-lambda-go sample)."""
    event = events.http_api(events.V2_JWT, **kwargs)
    if claims is None:
        event["requestContext"].pop("authorizer", None)
    else:
        event["requestContext"]["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    return event


def body(result: dict[str, Any]) -> Any:
    return json.loads(result["body"])


@pytest.fixture
def clock(settings: Any) -> Iterator[Any]:
    """The usage-plan clock, settable (see tests/api_keys/clock.py)."""
    from tests.api_keys.clock import START, fake_clock

    settings.API_KEYS = {**settings.API_KEYS, "CLOCK": "tests.api_keys.clock.fake_clock"}
    fake_clock.set(START)
    yield fake_clock
    fake_clock.set(START)
