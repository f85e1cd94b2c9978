"""Quota exactness at Lambda scale: 64 handler processes through PgBouncer (transaction mode).

Each forked process is one warm Lambda environment: the real `lambda_runtime.handler`,
one request at a time, its own persistent client connection, configured as production
configures a proxy (`DATABASE_POOLER=proxy`). PgBouncer stands in for RDS Proxy and
multiplexes the 64 clients over a few server connections. Exactly the quota is admitted,
and the server never sees more connections than the pool holds.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
from collections import Counter
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

import psycopg
import pytest
from django.db import connection, connections

from apps.api_keys.models import KeyMeter
from gatewayproject.settings.base import configure_pooling
from lambda_runtime.handler import handler
from tests import pgbouncer
from tests.api_keys.clock import FakeClock
from tests.lambda_runtime import events

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PROCESSES = 64
REQUESTS_EACH = 4  # 256 requests
QUOTA = 100
POOL_SIZE = 6
TIMEOUT = 180


@pytest.fixture(autouse=True)
def _postgres_and_pgbouncer() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("runs on PostgreSQL (make test-postgres / PG_URL)")
    if pgbouncer.binary() is None:
        message = "pgbouncer is not installed (Debian: apt-get install pgbouncer)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI requires it (.ci/run installs it)")
        pytest.skip(message)


def _environment(port: int, send: Connection, barrier: Any, event: dict[str, Any]) -> None:
    """One Lambda environment: connect through the pooler, wait, send requests one by one."""
    try:
        settings = connections["default"].settings_dict
        settings.update(HOST="127.0.0.1", PORT=port, CONN_MAX_AGE=60)
        # As production configures a proxy: no startup options (PgBouncer refuses
        # `options`, where the test settings carry statement_timeout).
        settings["OPTIONS"] = dict(settings.get("OPTIONS") or {})
        settings["OPTIONS"].pop("options", None)
        configure_pooling(settings, "proxy")
        barrier.wait(timeout=TIMEOUT)
        outcomes = []
        for _ in range(REQUESTS_EACH):
            response = handler(json.loads(json.dumps(event)), None)
            body = json.loads(response["body"]) if response["statusCode"] != 200 else {}
            outcomes.append((response["statusCode"], body.get("message", "")))
        send.send(outcomes)
    except BaseException as exc:  # reported by the parent, not lost in the child
        send.send(repr(exc))
    finally:
        connections.close_all()


def _count_server_connections(dsn: dict[str, Any], stop: threading.Event) -> list[int]:
    """Samples how many server connections the test database has, until `stop`."""
    counts: list[int] = []
    with psycopg.connect(**dsn, autocommit=True) as watcher:
        while not stop.is_set():
            row = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> "
                "pg_backend_pid() AND backend_type = 'client backend'",
                [dsn["dbname"]],
            ).fetchone()
            counts.append(int(row[0]) if row else 0)
            stop.wait(0.02)
    return counts


def test_exactly_the_quota_is_admitted_by_64_pooled_lambda_processes(
    make_key: Callable[..., Any], clock: FakeClock
) -> None:
    key = make_key(rate=100_000, burst=100_000, limit=QUOTA)
    event = events.http_api(path="/v1/pets", headers={"x-api-key": key.raw_key}, host="localhost")
    settings = connection.settings_dict
    dsn = {"host": settings["HOST"], "port": int(settings["PORT"] or 5432)}
    dsn |= {"user": settings["USER"], "dbname": settings["NAME"]}
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(PROCESSES)
    stop = threading.Event()
    counts: list[int] = []

    with pgbouncer.pgbouncer(
        databases=[dsn["dbname"]],
        server=(dsn["host"], dsn["port"]),
        user=dsn["user"],
        pool_size=POOL_SIZE,
    ) as bouncer:
        watcher = threading.Thread(
            target=lambda: counts.extend(_count_server_connections(dsn, stop))
        )
        watcher.start()
        connections.close_all()  # a forked child must not share the parent's socket
        pipes, children = [], []
        for _ in range(PROCESSES):
            receive, send = context.Pipe(duplex=False)
            child = context.Process(
                target=_environment, args=(bouncer.port, send, barrier, event), daemon=True
            )
            child.start()
            pipes.append(receive)
            children.append(child)
        results = [pipe.recv() if pipe.poll(TIMEOUT) else "no answer" for pipe in pipes]
        for child in children:
            child.join(timeout=30)
        stop.set()
        watcher.join(timeout=30)

    failures = [r for r in results if not isinstance(r, list)]
    assert not failures, failures[:3]
    outcomes = Counter(outcome for result in results for outcome in result)
    assert outcomes == {
        (200, ""): QUOTA,
        (429, "Limit Exceeded"): PROCESSES * REQUESTS_EACH - QUOTA,
    }
    assert KeyMeter.objects.get(pk=key.pk).period_count == QUOTA
    # 64 clients, never more server connections than the pool holds.
    assert counts
    assert 1 <= max(counts) <= POOL_SIZE
