"""The counter cache's app user (infra/template.yaml) can run the bucket store, and no more.

ElastiCache applies the template's AccessString to the `app` user; a local redis-server
(7.x has the same ACL rules) gets the same string, so a command the store needs but the
string forgets fails here rather than in production, and so does a string that grants more.
"""

from __future__ import annotations

import datetime
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
import redis

from apps.api_keys.models import APIKey, KeyMeter, UsagePlan
from apps.api_keys.redis_bucket import RedisUsageStore
from tests.infra.cfn import TEMPLATE, load
from tests.pgbouncer import free_port

NOW = datetime.datetime(2026, 1, 7, 12, tzinfo=datetime.UTC)


def access_string() -> str:
    user = load(TEMPLATE.read_text())["Resources"]["CounterCacheAppUser"]["Properties"]
    value: str = user["AccessString"]
    return value


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[int, str]]:
    """A private redis-server with the template's app user; (port, password)."""
    executable = shutil.which("redis-server")
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed; CI requires it")
        pytest.skip("redis-server is not installed")
    port, password = free_port(), secrets.token_urlsafe(24)
    with tempfile.TemporaryDirectory(prefix="redis-acl-") as tmp:
        command = [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        process = subprocess.Popen([*command, "--dir", tmp], stdout=subprocess.DEVNULL)  # noqa: S603
        try:
            admin = redis.Redis(port=port)
            for _ in range(600):
                try:
                    admin.ping()
                    break
                except redis.ConnectionError:
                    time.sleep(0.05)
            admin.execute_command(
                "ACL", "SETUSER", "app", "reset", *access_string().split(), f">{password}"
            )
            yield port, password
        finally:
            process.terminate()
            process.wait(timeout=10)


def store(port: int, password: str, prefix: str = "apikeys") -> RedisUsageStore:
    return RedisUsageStore(url=f"redis://app@127.0.0.1:{port}/0", prefix=prefix, password=password)


KEY = APIKey(pk=7)
KeyMeter(key=KEY)  # cached on KEY: the bucket's name says which kind of meter it is
PLAN = UsagePlan(rate=Decimal("1"), burst=2)


def test_the_app_user_runs_the_bucket_script(server: tuple[int, str]) -> None:
    bucket = store(*server)

    outcomes = [bucket.take(key=KEY, plan=PLAN, now=NOW)[0] for _ in range(3)]
    bucket.take(key=KEY, plan=PLAN, now=NOW, cost=-1)  # a token given back

    assert outcomes == [True, True, False]
    assert bucket.take(key=KEY, plan=PLAN, now=NOW)[0] is True


def test_the_app_user_cannot_touch_other_keys_or_commands(server: tuple[int, str]) -> None:
    client = store(*server).client

    with pytest.raises(redis.exceptions.NoPermissionError):
        store(*server, prefix="other").take(key=KEY, plan=PLAN, now=NOW)
    with pytest.raises(redis.exceptions.NoPermissionError):
        client.flushall()
    with pytest.raises(redis.exceptions.NoPermissionError):
        client.get("apikeys:bucket:7")


def test_a_wrong_password_is_refused(server: tuple[int, str]) -> None:
    with pytest.raises(redis.exceptions.AuthenticationError):
        store(server[0], "not-the-password").take(key=KEY, plan=PLAN, now=NOW)
