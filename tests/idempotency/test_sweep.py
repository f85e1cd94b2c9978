"""Expired records go: on the photo function's schedule, and with `manage.py idempotency_sweep`."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.idempotency.models import IdempotencyRecord
from apps.idempotency.stores import DatabaseStore
from apps.photos.triggers import dispatch
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SCHEDULED = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}


def record(key: str, *, age: datetime.timedelta) -> None:
    owner = UserFactory()
    DatabaseStore().begin(owner_id=owner.pk, key=key, fingerprint="f", now=timezone.now() - age)


def test_the_schedule_removes_expired_records() -> None:
    record("old", age=datetime.timedelta(days=2))
    record("fresh", age=datetime.timedelta(hours=1))

    result = dispatch(SCHEDULED, None)

    assert result["idempotency_records_removed"] == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh"]


def test_the_command_removes_expired_records() -> None:
    record("old", age=datetime.timedelta(days=2))
    out = io.StringIO()

    call_command("idempotency_sweep", stdout=out)

    assert out.getvalue() == "Removed 1 expired idempotency records.\n"
    assert not IdempotencyRecord.objects.exists()


def test_the_ttl_setting_decides_what_has_expired(settings: object) -> None:
    settings.IDEMPOTENCY = {"TTL": 3600}  # type: ignore[attr-defined]
    record("two-hours", age=datetime.timedelta(hours=2))

    call_command("idempotency_sweep", stdout=io.StringIO())

    assert not IdempotencyRecord.objects.exists()


def test_the_lambda_manage_entry_point_runs_the_sweep() -> None:
    from lambda_runtime.handler import manage

    record("old", age=datetime.timedelta(days=2))

    result = manage({"command": "idempotency_sweep"}, None)

    assert (result["ok"], result["output"]) == (True, "Removed 1 expired idempotency records.\n")
    assert not IdempotencyRecord.objects.exists()
