"""factory_boy factories for usage plans and API keys (a key carries its raw value once)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import factory

from apps.api_keys.models import APIKey, Period, UsagePlan
from apps.api_keys.services import api_key_save_new
from tests.factories import UserFactory


class UsagePlanFactory(factory.django.DjangoModelFactory):
    """A roomy plan by default, so tests that are not about limits never hit one."""

    class Meta:
        model = UsagePlan

    name = factory.Sequence(lambda n: f"Plan {n}")
    rate = Decimal("1000")
    burst = 1000
    limit = None
    period = Period.DAY
    offset = 0


class APIKeyFactory(factory.django.DjangoModelFactory):
    """An API key made the way the service makes it; `key.raw_key` is its raw value."""

    class Meta:
        model = APIKey

    owner = factory.SubFactory(UserFactory)
    plan = factory.SubFactory(UsagePlanFactory)
    name = factory.Sequence(lambda n: f"key {n}")

    @classmethod
    def _create(cls, model_class: type[APIKey], *args: Any, **kwargs: Any) -> APIKey:
        key = model_class(*args, **kwargs)
        key.raw_key = api_key_save_new(key=key)  # type: ignore[attr-defined]
        return key
