"""Fixtures for API key tests: an injected clock, plans, keys, and clients that send a key."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.api_keys.models import APIKey, UsagePlan
from tests.api_keys.clock import START, FakeClock, fake_clock
from tests.api_keys.factories import APIKeyFactory, UsagePlanFactory


@pytest.fixture
def clock(settings: Any) -> Iterator[FakeClock]:
    """Every API key policy reads this clock; it starts at a fixed Wednesday noon UTC."""
    settings.API_KEYS = {**settings.API_KEYS, "CLOCK": "tests.api_keys.clock.fake_clock"}
    fake_clock.set(START)
    yield fake_clock
    fake_clock.set(START)


@pytest.fixture
def make_plan(db: None) -> Callable[..., UsagePlan]:
    def make(**fields: Any) -> UsagePlan:
        if "rate" in fields:
            fields["rate"] = Decimal(str(fields["rate"]))
        plan: UsagePlan = UsagePlanFactory(**fields)
        return plan

    return make


@pytest.fixture
def make_key(db: None, user: Any) -> Callable[..., APIKey]:
    """A key for `user` (unless `owner=` is given) on a plan made from the keyword fields."""

    def make(owner: Any = None, plan: UsagePlan | None = None, **plan_fields: Any) -> APIKey:
        if plan is None:
            if "rate" in plan_fields:
                plan_fields["rate"] = Decimal(str(plan_fields["rate"]))
            plan = UsagePlanFactory(**plan_fields)
        key: APIKey = APIKeyFactory(owner=owner or user, plan=plan)
        return key

    return make


def client_with(raw_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw_key)
    return client


@pytest.fixture
def key_client() -> Callable[[APIKey], APIClient]:
    """An API client sending `key`'s raw value in x-api-key."""

    def make(key: APIKey) -> APIClient:
        return client_with(key.raw_key)  # type: ignore[attr-defined]

    return make


@pytest.fixture
def rest_gateway(monkeypatch: pytest.MonkeyPatch, settings: Any, db: None) -> Iterator[Any]:
    """A REST API and stage in moto, and API_KEYS set to sync plans and keys to it."""
    from tests.api_keys.moto_gateway import rest_gateway as make

    with make(monkeypatch, settings) as gateway:
        yield gateway
