"""The key read (one select_related query) and the keys a process keeps between requests.

A kept key never decides alone: every change another process makes to the key, its owner
or its plan applies from the next request. "Another process" is simulated by switching off
this process's own signal receivers (`elsewhere`), so only the re-check can notice.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save

from apps.api_keys import lookup
from apps.api_keys.lookup import api_key_by_prefix, api_key_read
from apps.api_keys.models import APIKey, KeyMeter, UsagePlan
from tests.api_keys.clock import FakeClock

pytestmark = pytest.mark.django_db

FORBIDDEN = {"message": "Forbidden"}
LIMIT_EXCEEDED = {"message": "Limit Exceeded"}
SENDERS = (APIKey, UsagePlan, get_user_model())


@pytest.fixture
def elsewhere() -> Iterator[None]:
    """Saves and deletes in the test no longer empty this process's kept keys."""
    for sender in SENDERS:
        for signal in (post_save, post_delete):
            assert signal.disconnect(lookup.forget, sender=sender)
    yield
    for sender in SENDERS:
        for signal in (post_save, post_delete):
            signal.connect(lookup.forget, sender=sender)


def count(key: APIKey) -> int:
    return int(KeyMeter.objects.get(pk=key.pk).period_count)


def test_the_read_loads_plan_owner_and_meter_in_one_query(
    make_key, django_assert_num_queries
) -> None:
    key = make_key(rate=2.5, limit=7, period="WEEK", offset=3)

    with django_assert_num_queries(1):
        found = api_key_read(key.prefix)
        assert found is not None
        assert (found.plan.rate, found.owner.pk, found.meter.pk) == (
            Decimal("2.500"),
            key.owner_id,
            key.pk,
        )
        assert found.meter.key is found


def test_an_unknown_prefix_is_kept_like_a_known_one(make_key, django_assert_num_queries) -> None:
    """Timing parity: a known prefix is answered from the cache, so an unknown one is too;
    otherwise a refusal's speed tells which prefixes exist (make bench-key-timing)."""
    make_key()

    with django_assert_num_queries(1):
        assert api_key_by_prefix("NOPE1234") is None
        assert api_key_by_prefix("NOPE1234") is None


def test_a_prefix_kept_as_unknown_is_found_once_a_key_has_it(make_key) -> None:
    key = make_key()
    assert api_key_by_prefix("ABCDEFGH") is None  # kept as unknown

    key.prefix = "ABCDEFGH"
    key.save()  # post_save empties this process's cache

    found = api_key_by_prefix("ABCDEFGH")
    assert found is not None
    assert found.pk == key.pk


def test_a_read_key_is_kept_until_its_time_is_up(
    make_key, settings, monkeypatch: pytest.MonkeyPatch, django_assert_num_queries
) -> None:
    settings.API_KEYS = {**settings.API_KEYS, "KEY_CACHE_SECONDS": 5}
    key = make_key()
    clock = [1000.0]
    monkeypatch.setattr(lookup.time, "monotonic", lambda: clock[0])

    with django_assert_num_queries(1):
        first = api_key_by_prefix(key.prefix)
        clock[0] += 4.9
        assert api_key_by_prefix(key.prefix) is first
    clock[0] += 0.2
    with django_assert_num_queries(1):
        assert api_key_by_prefix(key.prefix) is not first


def test_no_more_keys_are_kept_than_the_bound(make_key, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lookup, "MAX_KEYS", 2)
    keys = [make_key() for _ in range(3)]

    for key in keys:
        api_key_read(key.prefix)

    assert list(lookup._keys) == [keys[1].prefix, keys[2].prefix]  # the oldest went


def test_a_save_in_this_process_forgets_kept_keys(make_key, key_client, clock: FakeClock) -> None:
    key = make_key()
    client = key_client(key)
    client.get("/v1/usage")

    key.name = "renamed"
    key.save(update_fields=["name"])

    assert client.get("/v1/usage").json()["key"]["name"] == "renamed"


def test_a_key_without_a_meter_gets_one(make_key, key_client, clock: FakeClock) -> None:
    key = make_key()
    KeyMeter.objects.filter(pk=key.pk).delete()

    response = key_client(key).get("/v1/usage")

    assert response.status_code == 200
    assert count(key) == 1


@pytest.mark.usefixtures("elsewhere")
@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda key: APIKey.objects.filter(pk=key.pk).update(revoked=True), "revoked"),
        (
            lambda key: APIKey.objects.filter(pk=key.pk).update(
                expiry_date=datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
            ),
            "expired",
        ),
        (
            lambda key: get_user_model().objects.filter(pk=key.owner_id).update(is_active=False),
            "owner inactive",
        ),
        (lambda key: APIKey.objects.filter(pk=key.pk).delete(), "unknown prefix"),
    ],
    ids=["revoked", "expired", "owner-inactive", "deleted"],
)
def test_a_kept_key_changed_elsewhere_is_refused_at_the_next_request(
    make_key,
    key_client,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    change: Any,
    reason: str,
) -> None:
    key = make_key()
    client = key_client(key)
    assert client.get("/v1/pets").status_code == 200
    change(key)

    caplog.clear()
    with caplog.at_level(logging.INFO, logger="gatewayproject.request"):
        response = client.get("/v1/pets")

    assert response.status_code == 403
    assert response.json() == FORBIDDEN
    (access,) = [r for r in caplog.records if r.name == "gatewayproject.request"]
    assert access.keyRejected == reason  # type: ignore[attr-defined]
    if reason != "unknown prefix":
        assert count(key) == 1  # the refused request was not counted


@pytest.mark.usefixtures("elsewhere")
def test_a_plan_edited_elsewhere_applies_at_the_next_request(
    make_key, key_client, clock: FakeClock
) -> None:
    key = make_key(limit=10)
    client = key_client(key)
    for _ in range(3):
        client.get("/v1/pets")

    plan = UsagePlan.objects.get(pk=key.plan_id)
    plan.limit = 3
    plan.save()

    assert client.get("/v1/pets").json() == LIMIT_EXCEEDED
    plan.limit = 5
    plan.save()
    assert [client.get("/v1/pets").status_code for _ in range(3)] == [200, 200, 429]
    assert count(key) == 5


@pytest.mark.usefixtures("elsewhere")
def test_a_key_moved_to_another_plan_elsewhere_is_metered_on_it_at_once(
    make_key, key_client, make_plan, clock: FakeClock
) -> None:
    key = make_key(limit=100)
    client = key_client(key)
    client.get("/v1/pets")
    APIKey.objects.filter(pk=key.pk).update(plan=make_plan(name="Tiny", limit=2))

    response = client.get("/v1/usage")

    assert response.json()["quota"]["limit"] == 2
    assert client.get("/v1/usage").json() == LIMIT_EXCEEDED


def test_with_no_keeping_nothing_is_kept(make_key, settings) -> None:
    settings.API_KEYS = {**settings.API_KEYS, "KEY_CACHE_SECONDS": 0}
    key = make_key()

    api_key_by_prefix(key.prefix)

    assert lookup._keys == {}
