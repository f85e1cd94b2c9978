"""Exactness under concurrency, on PostgreSQL: threads with their own connections, as
separate Lambda instances running $connect at once."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from apps.realtime import routes, services
from apps.realtime.models import Connection
from tests.api_keys.factories import APIKeyFactory
from tests.realtime import events

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 16


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("Concurrency proof runs on PostgreSQL (make test-postgres / PG_URL)")


def at_once(work: Callable[[int], int]) -> list[int]:
    """`work(n)` in THREADS threads released together; their results."""
    barrier = threading.Barrier(THREADS)
    results: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            result = work(n)
            with lock:
                results.append(result)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


def test_a_ticket_used_by_many_connections_at_once_opens_exactly_one(user: Any) -> None:
    key = APIKeyFactory(owner=user)
    _, ticket = services.ticket_issue(key=key, now=timezone.now())

    statuses = at_once(
        lambda n: routes.handle(events.connect(f"c{n}", query={"ticket": [ticket]}))["statusCode"]
    )

    assert Counter(statuses) == {200: 1, 403: THREADS - 1}
    assert Connection.objects.count() == 1


def test_the_per_key_limit_holds_when_connections_race(user: Any, settings: Any) -> None:
    settings.REALTIME = {"MAX_CONNECTIONS_PER_KEY": 5}
    key = APIKeyFactory(owner=user)
    raw = key.raw_key  # type: ignore[attr-defined]

    statuses = at_once(
        lambda n: routes.handle(events.connect(f"c{n}", headers={"x-api-key": raw}))["statusCode"]
    )

    assert Counter(statuses) == {200: 5, 429: THREADS - 5}
    assert Connection.objects.filter(key=key).count() == 5
