"""Deep health checks for operators: the database, the bucket (or media folder) and Redis.

`GET /health` stays one `SELECT 1` for load balancers; `GET /health?deep=1` and
`manage.py health --deep` run these checks, each bounded by its own short timeout, and time
them. The HTTP answer says only ok/fail per dependency (the reason is logged, and printed by
the command, which only operators can run); it is reused for OBSERVABILITY
["DEEP_HEALTH_CACHE"] seconds per process, and one check runs at a time, so however often the
open URL is called, a process touches its dependencies at most once per that period.
"""

from __future__ import annotations

import datetime
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connection

from apps.common.deadlines import deadline
from apps.common.metrics import observability_settings

logger = logging.getLogger(__name__)

# Each dependency gets this long to answer (connect and read): an operator's check must
# answer well within API Gateway's 29 s even when all three hang.
CHECK_TIMEOUT_SECONDS = 2.0


class CheckResult(NamedTuple):
    """One dependency's answer: `ok`, `fail` or `skipped` (not configured), and how long."""

    status: str
    ms: float
    kind: str = ""
    error: str = ""

    def public(self) -> dict[str, Any]:
        """What the open URL shows: no error text (it may name hosts or buckets)."""
        shown: dict[str, Any] = {"status": self.status, "ms": self.ms}
        if self.kind:
            shown["kind"] = self.kind
        return shown


class HealthReport(NamedTuple):
    checks: dict[str, CheckResult]
    checked_at: datetime.datetime

    @property
    def ok(self) -> bool:
        return all(result.status != "fail" for result in self.checks.values())

    def as_dict(self, *, details: bool = False) -> dict[str, Any]:
        """The report as JSON; `details` adds each failure's error text (operators only)."""
        checks = {}
        for name, result in self.checks.items():
            checks[name] = result.public()
            if details and result.error:
                checks[name]["error"] = result.error
        return {
            "status": "ok" if self.ok else "fail",
            "checkedAt": self.checked_at.isoformat(timespec="seconds"),
            "checks": checks,
        }


def _timed(kind: str, check: Callable[[], None]) -> CheckResult:
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:  # any failure of a dependency is its answer, not ours
        ms = round((time.perf_counter() - started) * 1000, 1)
        return CheckResult("fail", ms, kind, f"{type(exc).__name__}: {exc}"[:500])
    return CheckResult("ok", round((time.perf_counter() - started) * 1000, 1), kind)


def check_database() -> CheckResult:
    def query() -> None:
        with deadline(CHECK_TIMEOUT_SECONDS), connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    return _timed(connection.vendor, query)


def check_storage() -> CheckResult:
    """The bucket (it exists and this role may list it) or the media folder (writable)."""
    storage: Any = default_storage
    if isinstance(storage, FileSystemStorage):
        return _timed("filesystem", lambda: _writable(Path(storage.location)))
    bucket = getattr(storage, "bucket_name", None)
    if not bucket:
        return CheckResult("skipped", 0.0, type(storage).__name__)
    return _timed("s3", lambda: _list_bucket(storage, bucket))


def _writable(location: Path) -> None:
    # The folder is made at the first upload: until then its nearest existing parent counts.
    existing = location
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise PermissionError(f"{existing} is not a writable directory")


def _list_bucket(storage: Any, bucket: str) -> None:
    # One key under photos/: the functions may list only there (an s3:prefix condition in
    # infra/template.yaml), so HeadBucket, which needs ListBucket on the whole bucket, would
    # be refused. A client of its own: the storage's has botocore's 60 s timeouts and retries.
    import boto3
    from botocore.config import Config

    from apps.photos.conf import PHOTOS_PREFIX

    client = boto3.session.Session().client(
        "s3",
        region_name=getattr(storage, "region_name", None),
        endpoint_url=getattr(storage, "endpoint_url", None),
        config=Config(
            connect_timeout=CHECK_TIMEOUT_SECONDS,
            read_timeout=CHECK_TIMEOUT_SECONDS,
            retries={"max_attempts": 1},
        ),
    )
    client.list_objects_v2(Bucket=bucket, Prefix=PHOTOS_PREFIX, MaxKeys=1)


def redis_targets() -> dict[str, tuple[str, str]]:
    """Name -> (URL, password) of each Redis the project is configured to use."""
    from apps.api_keys.conf import api_key_settings
    from apps.idempotency.conf import idempotency_settings

    counters, records = api_key_settings(), idempotency_settings()
    targets: dict[str, tuple[str, str]] = {}
    if counters.REDIS_URL:
        targets["redis"] = (counters.REDIS_URL, counters.REDIS_PASSWORD)
    if records.REDIS_URL and (records.REDIS_URL, records.REDIS_PASSWORD) not in targets.values():
        targets["redis_idempotency"] = (records.REDIS_URL, records.REDIS_PASSWORD)
    return targets


def check_redis(url: str, password: str) -> CheckResult:
    def ping() -> None:
        import redis

        client = redis.Redis.from_url(
            url,
            socket_timeout=CHECK_TIMEOUT_SECONDS,
            socket_connect_timeout=CHECK_TIMEOUT_SECONDS,
            **({"password": password} if password else {}),
        )
        try:
            client.ping()
        finally:
            client.close()

    return _timed("redis", ping)


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(tz=datetime.UTC)


def run_checks(*, now: datetime.datetime | None = None) -> HealthReport:
    """Every dependency, checked now (uncached)."""
    checks = {"database": check_database(), "storage": check_storage()}
    targets = redis_targets()
    for name, (url, password) in targets.items():
        checks[name] = check_redis(url, password)
    if not targets:
        checks["redis"] = CheckResult("skipped", 0.0)
    for name, result in checks.items():
        if result.status == "fail":
            logger.error("Deep health check failed: %s: %s", name, result.error)
    return HealthReport(checks, now or utc_now())


class _Cache:
    """The last report of this process and when it was made (monotonic seconds)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.report: HealthReport | None = None
        self.at = 0.0

    def clear(self) -> None:
        with self.lock:
            self.report, self.at = None, 0.0


_cache = _Cache()


def deep_health() -> HealthReport:
    """The last report if younger than DEEP_HEALTH_CACHE seconds, else a new one.

    The lock makes concurrent callers wait for one run instead of each starting their own.
    """
    ttl = float(observability_settings().DEEP_HEALTH_CACHE)
    with _cache.lock:
        if _cache.report is not None and time.monotonic() - _cache.at < ttl:
            return _cache.report
        report = run_checks()
        _cache.report, _cache.at = report, time.monotonic()
        return report


def clear_cache() -> None:
    """Forget the kept report (tests; a settings change)."""
    _cache.clear()
