"""The cost budget: a key check plus metering is at most one indexed read and one atomic
write; a key the process kept (apps.api_keys.lookup) costs the write alone."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api_keys.clock import FakeClock
from tests.factories import PetFactory

pytestmark = pytest.mark.django_db

KEY_TABLES = ("api_keys_apikey", "api_keys_usageplan", "auth_user", "api_keys_keymeter")


def test_the_first_request_reads_the_key_once_and_writes_its_meter_once(
    make_key, key_client, clock: FakeClock
) -> None:
    client = key_client(make_key(limit=100))

    with CaptureQueriesContext(connection) as captured:
        response = client.get("/v1/usage")

    assert response.status_code == 200
    statements = [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]
    read, write = statements  # the day's first request also archives (once a day): no row yet
    assert read.startswith("SELECT")
    for table in KEY_TABLES:
        assert table in read
    assert '"api_keys_apikey"."prefix" = ' in read  # the unique (indexed) prefix
    assert write.startswith('UPDATE "api_keys_keymeter"')


def test_a_kept_key_costs_only_the_write_which_rechecks_the_key(
    make_key, key_client, clock: FakeClock, django_assert_num_queries
) -> None:
    client = key_client(make_key(limit=100))
    client.get("/v1/usage")

    with django_assert_num_queries(1) as captured:
        response = client.get("/v1/usage")

    assert response.status_code == 200
    (write,) = (query["sql"] for query in captured.captured_queries)
    assert write.startswith('UPDATE "api_keys_keymeter"')
    assert "RETURNING" in write
    # The key row must still be as it was read: revoked, expiry, owner and plan are re-read.
    assert "EXISTS (SELECT 1 FROM " in write
    for table in ("api_keys_apikey", "auth_user", "api_keys_usageplan"):
        assert table in write


def test_with_no_keeping_every_request_reads_the_key(
    make_key, key_client, clock: FakeClock, settings, django_assert_num_queries
) -> None:
    settings.API_KEYS = {**settings.API_KEYS, "KEY_CACHE_SECONDS": 0}
    client = key_client(make_key(limit=100))
    client.get("/v1/usage")

    with django_assert_num_queries(2):
        assert client.get("/v1/usage").status_code == 200


def test_reading_a_pet_adds_only_the_meter_write(
    make_key, key_client, user, clock: FakeClock, django_assert_num_queries
) -> None:
    pet = PetFactory(owner=user)
    client = key_client(make_key())
    client.get(f"/v1/pets/{pet.pk}")

    with django_assert_num_queries(2):
        assert client.get(f"/v1/pets/{pet.pk}").status_code == 200


def test_a_refusal_reads_the_key_again_to_name_its_reason_and_writes_nothing_more(
    make_key, key_client, clock: FakeClock, django_assert_num_queries
) -> None:
    # Its refusal count is held by the process and written later (apps.api_keys.refusals).
    client = key_client(make_key(limit=1))
    client.get("/v1/usage")

    with django_assert_num_queries(2) as captured:
        assert client.get("/v1/usage").status_code == 429

    update, read = (query["sql"] for query in captured.captured_queries)
    assert update.startswith("UPDATE")
    assert read.startswith("SELECT")
    for table in KEY_TABLES:
        assert table in read


def test_the_days_first_request_archives_the_last_day_in_one_insert(
    make_key, key_client, clock: FakeClock
) -> None:
    client = key_client(make_key())
    client.get("/v1/usage")
    clock.advance(24 * 3600)

    with CaptureQueriesContext(connection) as captured:
        client.get("/v1/usage")

    statements = [q["sql"].split()[0] for q in captured.captured_queries]
    assert statements.count("UPDATE") == 1
    assert statements.count("INSERT") == 1
    assert statements.count("SELECT") == 0  # the key was kept from the day before


def test_a_kept_key_rolls_its_day_over_once(make_key, key_client, clock: FakeClock) -> None:
    client = key_client(make_key())
    client.get("/v1/usage")
    clock.advance(24 * 3600)
    client.get("/v1/usage")

    with CaptureQueriesContext(connection) as captured:
        client.get("/v1/usage")

    # No transaction around the UPDATE (no savepoint in tests) once the day has rolled over.
    assert [q["sql"].split()[0] for q in captured.captured_queries] == ["UPDATE"]
