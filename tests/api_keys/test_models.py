"""Models: plan validation and database constraints, keys (final revocation, hidden hash)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction

from apps.api_keys.models import APIKey, KeyMeter, UsagePlan

pytestmark = pytest.mark.django_db


def plan(**fields: object) -> UsagePlan:
    values: dict[str, object] = {
        "name": "P",
        "rate": Decimal("1"),
        "burst": 1,
        "limit": None,
        "period": "DAY",
        "offset": 0,
    }
    return UsagePlan(**(values | fields))


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"rate": Decimal("0")}, "rate"),
        ({"rate": Decimal("-0.5")}, "rate"),
        ({"rate": Decimal("1000000")}, "rate"),
        ({"burst": 1_000_001}, "burst"),
        ({"burst": 0}, "burst"),
        ({"limit": -1}, "limit"),
        ({"period": "YEAR"}, "period"),
        ({"period": "DAY", "offset": 1}, "offset"),
        ({"period": "WEEK", "offset": 7}, "offset"),
        ({"period": "MONTH", "offset": 28}, "offset"),
    ],
)
def test_invalid_plans_fail_validation(fields: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        plan(**fields).full_clean()

    assert field in caught.value.message_dict


@pytest.mark.parametrize(
    "fields",
    [
        {"rate": Decimal("0.001")},
        {"limit": 0},
        {"period": "WEEK", "offset": 6},
        {"period": "MONTH", "offset": 27},
    ],
)
def test_edge_values_are_valid(fields: dict[str, object]) -> None:
    plan(**fields).full_clean()


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("rate", 0),
        ("rate", Decimal("1000000")),
        ("burst", 0),
        ("burst", 1_000_001),
        ("limit", -1),
        ("offset", 3),
        ("period", "YEAR"),
    ],
)
def test_the_database_refuses_invalid_plans_too(column: str, value: object) -> None:
    created = plan()
    created.save()

    # PostgreSQL's numeric(9, 3) overflows (DataError) before the check constraint runs.
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        UsagePlan.objects.filter(pk=created.pk).update(**{column: value})


def test_a_key_gets_an_integer_id_a_prefix_a_hash_and_a_meter(make_key) -> None:
    key = make_key()

    assert isinstance(key.pk, int)
    assert len(key.prefix) == 8
    assert key.raw_key.startswith(key.prefix + ".")
    assert key.hashed_key.startswith("sha512$$")
    assert KeyMeter.objects.filter(pk=key.pk).exists()
    assert str(key) == key.name


def test_revocation_is_final(make_key) -> None:
    key = make_key()
    key.revoked = True
    key.save()
    key = APIKey.objects.get(pk=key.pk)
    key.revoked = False

    with pytest.raises(ValidationError, match="cannot be undone"):
        key.save()


def test_status(make_key) -> None:
    import datetime

    key = make_key()
    assert key.status == "active"
    key.expiry_date = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
    assert key.status == "expired"
    key.revoked = True
    assert key.status == "revoked"


def test_deleting_a_key_deletes_its_meter(make_key) -> None:
    key = make_key()
    key.delete()

    assert not KeyMeter.objects.exists()


def test_a_plan_with_keys_is_protected(make_key) -> None:
    from django.db.models import ProtectedError

    key = make_key()

    with pytest.raises(ProtectedError):
        key.plan.delete()


def test_the_default_plan_is_created_by_a_migration() -> None:
    default = UsagePlan.objects.get(name="Default")

    assert (default.rate, default.burst, default.limit, default.period) == (
        Decimal("10"),
        20,
        10_000,
        "DAY",
    )
