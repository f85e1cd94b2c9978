"""The cost budget: a key check plus metering is one indexed read and one atomic write."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api_keys.clock import FakeClock
from tests.factories import PetFactory

pytestmark = pytest.mark.django_db


def test_usage_costs_one_read_and_one_write(
    make_key, key_client, clock: FakeClock, django_assert_num_queries
) -> None:
    client = key_client(make_key(limit=100))
    client.get("/v1/usage")  # the day's first request also archives yesterday (once a day)

    with django_assert_num_queries(2) as captured:
        response = client.get("/v1/usage")

    assert response.status_code == 200
    read, write = (query["sql"] for query in captured.captured_queries)
    assert read.startswith("SELECT")
    for table in ("api_keys_apikey", "api_keys_usageplan", "auth_user", "api_keys_keymeter"):
        assert table in read
    assert 'WHERE k."prefix" = ' in read  # the unique (indexed) prefix
    assert write.startswith('UPDATE "api_keys_keymeter"')
    assert "RETURNING" in write


def test_reading_a_pet_adds_only_the_key_read_and_the_meter_write(
    make_key, key_client, user, clock: FakeClock, django_assert_num_queries
) -> None:
    pet = PetFactory(owner=user)
    client = key_client(make_key())
    client.get(f"/v1/pets/{pet.pk}")

    with django_assert_num_queries(3):
        assert client.get(f"/v1/pets/{pet.pk}").status_code == 200


def test_a_refusal_reads_once_more_to_name_its_reason(
    make_key, key_client, clock: FakeClock, django_assert_num_queries
) -> None:
    client = key_client(make_key(limit=1))
    client.get("/v1/usage")

    with django_assert_num_queries(3):
        assert client.get("/v1/usage").status_code == 429


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
    assert statements.count("SELECT") == 1
