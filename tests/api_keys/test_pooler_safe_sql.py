"""The request path sends nothing that ties a session to its server connection.

Behind RDS Proxy a `SET`, a cursor declared WITH HOLD, `PREPARE`, `LISTEN` or a session
advisory lock pins the client to one database connection (the multiplexing is gone), and
PgBouncer in transaction mode breaks on them (docs/scaling.md). Every statement the keyed
request path runs (read, write, usage, refusal, the day's roll-over) is recorded here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection

from tests.api_keys.clock import FakeClock
from tests.api_keys.conftest import client_with

pytestmark = pytest.mark.django_db(transaction=True)

PINNING = re.compile(
    r"^\s*(SET|RESET|DISCARD|PREPARE|DEALLOCATE|DECLARE|LISTEN|LOAD)\b"
    r"|pg_advisory_lock|pg_try_advisory_lock|\bWITH HOLD\b|CREATE\s+TEMP",
    re.IGNORECASE,
)


@pytest.fixture
def statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def record(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        seen.append(sql)
        return execute(sql, *args)

    with connection.execute_wrapper(record):
        yield seen


def test_the_keyed_request_path_never_pins_a_pooled_session(
    make_key: Callable[..., Any], clock: FakeClock, statements: list[str]
) -> None:
    key = make_key(rate=0.001, burst=3, limit=None)
    client = client_with(key.raw_key)

    created = client.post("/v1/pets", {"name": "Rex", "species": "dog"}, format="json")
    pet = created.json()["id"]
    outcomes = [
        created.status_code,
        client.get(f"/v1/pets/{pet}").status_code,
        client.get("/v1/usage").status_code,
        client.get("/v1/pets").status_code,  # the bucket is empty: a refusal
    ]
    clock.advance(24 * 3600 + 4000)  # a new day: yesterday's count is archived
    outcomes.append(client.patch(f"/v1/pets/{pet}", {"name": "Max"}, format="json").status_code)

    assert outcomes == [201, 200, 200, 429, 200]
    assert len(statements) > 10
    assert [sql for sql in statements if PINNING.search(sql)] == []
