"""The compiled key read returns exactly what the ORM's select_related query returns."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from apps.api_keys.lookup import api_key_by_prefix
from apps.api_keys.models import APIKey, KeyMeter

pytestmark = pytest.mark.django_db


def orm(prefix: str) -> APIKey:
    return APIKey.objects.select_related("plan", "owner", "meter").get(prefix=prefix)


def fields(instance: object) -> dict[str, object]:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}  # type: ignore[attr-defined]


def test_it_matches_the_orm_field_for_field(make_key) -> None:
    key = make_key(rate=2.5, limit=7, period="WEEK", offset=3)
    key.expiry_date = datetime.datetime(2030, 5, 6, 7, 8, 9, 123456, tzinfo=datetime.UTC)
    key.save()
    KeyMeter.objects.filter(pk=key.pk).update(
        period_start=datetime.datetime(2026, 1, 11, tzinfo=datetime.UTC),
        period_count=5,
        tokens=1.5,
        day=datetime.date(2026, 1, 14),
    )

    found = api_key_by_prefix(key.prefix)
    expected = orm(key.prefix)

    assert found is not None
    assert fields(found) == fields(expected)
    assert fields(found.plan) == fields(expected.plan)
    assert fields(found.owner) == fields(expected.owner)
    assert fields(found.meter) == fields(expected.meter)
    assert found.plan.rate == Decimal("2.500")
    assert found.expiry_date == key.expiry_date
    assert found.meter.key is found


def test_the_relations_are_loaded_without_more_queries(make_key, django_assert_num_queries) -> None:
    key = make_key()

    with django_assert_num_queries(1):
        found = api_key_by_prefix(key.prefix)
        assert found is not None
        assert (found.plan.pk, found.owner.pk, found.meter.pk) == (
            key.plan_id,
            key.owner_id,
            key.pk,
        )


def test_an_unknown_prefix_is_none(make_key) -> None:
    make_key()

    assert api_key_by_prefix("NOPE1234") is None


def test_a_key_without_a_meter_has_none_cached(make_key) -> None:
    key = make_key()
    KeyMeter.objects.filter(pk=key.pk).delete()

    found = api_key_by_prefix(key.prefix)

    assert found is not None
    assert not hasattr(found, "meter")


def test_the_selector_recreates_a_missing_meter(make_key, key_client) -> None:
    key = make_key()
    KeyMeter.objects.filter(pk=key.pk).delete()

    response = key_client(key).get("/v1/usage")

    assert response.status_code == 200
    assert KeyMeter.objects.get(pk=key.pk).period_count == 1
