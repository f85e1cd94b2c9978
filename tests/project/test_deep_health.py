"""GET /health?deep=1 and `manage.py health`: database, bucket or media folder, Redis; timed,
503 when one fails, no error text on the open URL, one run per cache period."""

from __future__ import annotations

import io
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError
from django.test import Client
from moto import mock_aws

from apps.common import health
from tests.redis_service import REDIS_URL, redis_or_skip

pytestmark = pytest.mark.django_db

REGION = "eu-west-1"
BUCKET = "deep-health-test-bucket"


@pytest.fixture(autouse=True)
def fresh(settings: Any, tmp_path: Path) -> Iterator[None]:
    """No report kept from another test, a media folder of its own, no Redis configured."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.API_KEYS = {**settings.API_KEYS, "REDIS_URL": ""}
    settings.IDEMPOTENCY = {**settings.IDEMPOTENCY, "REDIS_URL": ""}
    health.clear_cache()
    yield
    health.clear_cache()


def deep(client: Client | None = None) -> Any:
    return (client or Client()).get("/health", {"deep": "1"})


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"  # nothing listens there once the socket is closed


@pytest.fixture
def s3(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The default storage on S3 (django-storages) against a moto bucket; dummy credentials."""
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {"bucket_name": BUCKET, "region_name": REGION},
            },
        }
        yield client


def test_deep_checks_each_dependency_with_timings() -> None:
    response = deep()

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "storage", "redis"}
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["storage"] == {**body["checks"]["storage"], "kind": "filesystem"}
    assert body["checks"]["redis"]["status"] == "skipped"
    assert all(check["ms"] >= 0 for check in body["checks"].values())
    assert body["checkedAt"].endswith("+00:00")


@pytest.mark.parametrize("value", ["1", "true"])
def test_deep_spellings(value: str) -> None:
    assert "checks" in Client().get("/health", {"deep": value}).json()


@pytest.mark.parametrize("value", ["0", "false"])
def test_without_deep_health_stays_one_query(value: str, django_assert_num_queries) -> None:
    with django_assert_num_queries(1):
        response = Client().get("/health", {"deep": value})

    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("value", ["yes please", "TRUE", "", "2"])
def test_an_unknown_deep_value_is_a_400(value: str) -> None:
    response = Client().get("/health", {"deep": value})

    assert response.status_code == 400
    assert response.json() == {"message": "deep must be 1, 0, true or false."}


def test_the_report_is_reused_for_the_cache_period(
    settings: Any, django_assert_num_queries
) -> None:
    settings.OBSERVABILITY = {**settings.OBSERVABILITY, "DEEP_HEALTH_CACHE": 3600}
    first = deep().json()

    with django_assert_num_queries(0):
        second = deep().json()

    assert second == first


def test_without_a_cache_period_every_call_checks(settings: Any, django_assert_num_queries) -> None:
    settings.OBSERVABILITY = {**settings.OBSERVABILITY, "DEEP_HEALTH_CACHE": 0}
    deep()

    with django_assert_num_queries(1):
        deep()


def test_concurrent_callers_share_one_run(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.OBSERVABILITY = {**settings.OBSERVABILITY, "DEEP_HEALTH_CACHE": 3600}
    runs: list[int] = []
    started, release = threading.Event(), threading.Event()
    real = health.run_checks

    def slow(**kwargs: Any) -> health.HealthReport:
        runs.append(1)
        started.set()
        assert release.wait(120)
        return real(**kwargs)

    monkeypatch.setattr(health, "run_checks", slow)
    results: list[health.HealthReport] = []
    first = threading.Thread(target=lambda: results.append(health.deep_health()))
    first.start()
    assert started.wait(120)
    second = threading.Thread(target=lambda: results.append(health.deep_health()))
    second.start()
    release.set()
    first.join(120)
    second.join(120)

    assert len(runs) == 1
    assert len(results) == 2
    assert results[0] is results[1]


def test_a_database_failure_is_a_503_naming_it(monkeypatch: pytest.MonkeyPatch, caplog) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OperationalError("connection refused by db.internal.example")

    monkeypatch.setattr(
        "django.db.backends.base.base.BaseDatabaseWrapper.ensure_connection", refuse
    )

    response = deep()

    assert response.status_code == 503
    assert response["Retry-After"]
    body = response.json()
    assert body["message"] == "Service Unavailable"
    assert body["status"] == "fail"
    assert body["checks"]["database"]["status"] == "fail"
    assert body["checks"]["storage"]["status"] == "ok"
    assert "db.internal.example" not in response.content.decode()  # logged, not shown
    assert "database: OperationalError: connection refused by db.internal.example" in caplog.text


def test_a_media_folder_that_cannot_be_written_fails(settings: Any, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    settings.MEDIA_ROOT = str(blocker / "media")

    response = deep()

    assert response.status_code == 503
    assert response.json()["checks"]["storage"]["status"] == "fail"


def test_a_media_folder_not_made_yet_is_fine_under_a_writable_parent(
    settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "not" / "made" / "yet")

    assert deep().json()["checks"]["storage"]["status"] == "ok"
    assert not (tmp_path / "not").exists()  # the check made nothing


def test_the_bucket_is_checked_on_s3(s3: Any) -> None:
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})

    response = deep()

    assert response.status_code == 200
    assert response.json()["checks"]["storage"] == {
        **response.json()["checks"]["storage"],
        "status": "ok",
        "kind": "s3",
    }


def test_a_missing_bucket_is_a_503_without_its_name(s3: Any, caplog) -> None:
    response = deep()

    assert response.status_code == 503
    assert response.json()["checks"]["storage"]["status"] == "fail"
    assert BUCKET not in response.content.decode()
    assert "NoSuchBucket" in caplog.text


def test_an_unreachable_redis_is_a_503(settings: Any) -> None:
    settings.API_KEYS = {**settings.API_KEYS, "REDIS_URL": closed_port_url()}

    response = deep()

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["redis"] == {**checks["redis"], "status": "fail", "kind": "redis"}
    assert checks["database"]["status"] == "ok"


def test_a_separate_idempotency_redis_is_checked_too(settings: Any) -> None:
    settings.IDEMPOTENCY = {**settings.IDEMPOTENCY, "REDIS_URL": closed_port_url()}

    checks = deep().json()["checks"]

    assert checks["redis_idempotency"]["status"] == "fail"
    assert "redis" not in checks or checks["redis"]["status"] == "skipped"


def test_a_reachable_redis_is_ok(settings: Any) -> None:
    redis_or_skip()
    settings.API_KEYS = {**settings.API_KEYS, "REDIS_URL": REDIS_URL}
    settings.IDEMPOTENCY = {**settings.IDEMPOTENCY, "REDIS_URL": REDIS_URL}

    checks = deep().json()["checks"]

    assert checks["redis"]["status"] == "ok"
    assert "redis_idempotency" not in checks  # the same server is checked once


def test_the_command_prints_details_and_fails_with_status_1(settings: Any) -> None:
    url = closed_port_url()
    settings.API_KEYS = {**settings.API_KEYS, "REDIS_URL": url}
    out = io.StringIO()

    with pytest.raises(CommandError, match="unhealthy: redis") as failure:
        call_command("health", "--deep", stdout=out)

    assert failure.value.returncode == 1
    report = json.loads(out.getvalue())
    assert report["checks"]["redis"]["error"].startswith("ConnectionError")
    assert report["checks"]["database"] == {**report["checks"]["database"], "status": "ok"}


def test_the_command_without_deep_checks_the_database_only() -> None:
    out = io.StringIO()

    call_command("health", stdout=out)

    assert set(json.loads(out.getvalue())["checks"]) == {"database"}


def test_an_unreachable_storage_endpoint_is_a_503(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    closed = closed_port_url().replace("redis://", "http://").removesuffix("/0")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {"bucket_name": BUCKET, "region_name": REGION, "endpoint_url": closed},
        },
    }

    response = deep()

    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == {
        **response.json()["checks"]["storage"],
        "status": "fail",
        "kind": "s3",
    }
    assert "127.0.0.1" not in response.content.decode()
