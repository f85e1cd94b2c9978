"""Exactness under concurrency, on PostgreSQL: threads with their own connections.

Each thread is a separate client with its own database connection, as separate Lambda
instances or worker processes would be. The row lock plus PostgreSQL's re-check of the
UPDATE's WHERE clause on the newest row version make the admitted count exact.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from apps.api_keys.models import DailyUsage, KeyMeter
from tests.api_keys.clock import FakeClock

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 16
REQUESTS_PER_THREAD = 13  # 208 requests in all


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("Concurrency proof runs on PostgreSQL (make test-postgres / PG_URL)")


def hammer(raw_key: str, path: str = "/v1/pets") -> list[tuple[int, str]]:
    """Every thread waits at a barrier, then sends its requests; returns (status, message)."""
    barrier = threading.Barrier(THREADS)
    results: list[tuple[int, str]] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def worker() -> None:
        client = APIClient()
        client.credentials(HTTP_X_API_KEY=raw_key)
        try:
            barrier.wait(timeout=30)
            for _ in range(REQUESTS_PER_THREAD):
                response = client.get(path)
                message = response.json().get("message", "") if response.status_code != 200 else ""
                with lock:
                    results.append((response.status_code, message))
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


def test_exactly_the_quota_is_admitted_under_concurrency(
    make_key: Callable[..., Any], clock: FakeClock
) -> None:
    key = make_key(rate=100_000, burst=100_000, limit=50)

    results = hammer(key.raw_key)

    assert len(results) == THREADS * REQUESTS_PER_THREAD >= 200
    assert Counter(results) == {
        (200, ""): 50,
        (429, "Limit Exceeded"): THREADS * REQUESTS_PER_THREAD - 50,
    }
    meter = KeyMeter.objects.get(pk=key.pk)
    assert meter.period_count == 50
    assert meter.day_count == 50


def test_a_concurrent_burst_admits_at_most_burst(
    make_key: Callable[..., Any], clock: FakeClock
) -> None:
    """The clock stands still, so nothing refills: exactly `burst` get through."""
    key = make_key(rate=0.001, burst=5, limit=None)

    results = hammer(key.raw_key)

    assert Counter(status for status, _ in results) == {
        200: 5,
        429: THREADS * REQUESTS_PER_THREAD - 5,
    }
    assert {message for status, message in results if status == 429} == {"Too Many Requests"}
    assert KeyMeter.objects.get(pk=key.pk).period_count == 5


def test_the_day_rolls_over_once_under_concurrency(
    make_key: Callable[..., Any], clock: FakeClock
) -> None:
    key = make_key(rate=100_000, burst=100_000)
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=key.raw_key)
    for _ in range(7):
        client.get("/v1/pets")
    clock.advance(24 * 3600)

    results = hammer(key.raw_key)

    assert {status for status, _ in results} == {200}
    assert list(DailyUsage.objects.values_list("count", flat=True)) == [7]
    assert KeyMeter.objects.get(pk=key.pk).day_count == THREADS * REQUESTS_PER_THREAD
