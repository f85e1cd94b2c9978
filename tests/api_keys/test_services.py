"""Services: key creation (prefix clashes retried), revocation, usage reset."""

from __future__ import annotations

import itertools

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from apps.api_keys import services
from apps.api_keys.models import APIKey, KeyMeter
from tests.api_keys.clock import START

pytestmark = pytest.mark.django_db


def test_create_returns_the_key_and_its_raw_value(user, make_plan) -> None:
    key, raw = services.api_key_create(owner=user, plan=make_plan(), name="ci")

    assert raw.startswith(f"{key.prefix}.")
    assert len(raw) == 8 + 1 + 32
    assert APIKey.objects.get_from_key(raw) == key


def test_create_validates_the_name(user, make_plan) -> None:
    with pytest.raises(ValidationError, match="name"):
        services.api_key_create(owner=user, plan=make_plan(), name="")

    assert not APIKey.objects.exists()


def test_a_prefix_clash_is_retried(user, make_plan, make_key, monkeypatch) -> None:
    taken = make_key().prefix
    prefixes = itertools.chain([taken, taken], itertools.repeat("FRESH123"))
    generator = APIKey.objects.key_generator
    monkeypatch.setattr(generator, "get_prefix", lambda: next(prefixes))

    key, raw = services.api_key_create(owner=user, plan=make_plan(), name="second")

    assert key.prefix == "FRESH123"
    assert raw.startswith("FRESH123.")
    assert KeyMeter.objects.filter(pk=key.pk).exists()


def test_endless_clashes_give_up(user, make_plan, make_key, monkeypatch) -> None:
    taken = make_key().prefix
    monkeypatch.setattr(APIKey.objects.key_generator, "get_prefix", lambda: taken)

    with pytest.raises(IntegrityError):
        services.api_key_create(owner=user, plan=make_plan(), name="never")


def test_revoke_is_idempotent(make_key) -> None:
    key = make_key()

    assert services.api_key_revoke(key=key) is True
    assert services.api_key_revoke(key=key) is False
    assert APIKey.objects.get(pk=key.pk).revoked is True


def test_reset_forgets_this_periods_count_only(make_key) -> None:
    key = make_key()
    KeyMeter.objects.filter(pk=key.pk).update(period_start=START.replace(hour=0), period_count=9)

    assert services.api_key_usage_reset(key=key, now=START) == 9
    assert KeyMeter.objects.get(pk=key.pk).period_count == 0


def test_reset_of_a_stale_period_forgets_nothing(make_key) -> None:
    key = make_key()
    KeyMeter.objects.filter(pk=key.pk).update(
        period_start=START.replace(day=1, hour=0), period_count=9
    )

    assert services.api_key_usage_reset(key=key, now=START) == 0
