"""The photo function's entry point: the EventBridge schedule sweeps; odd events are ignored."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from django.utils import timezone
from rest_framework.test import APIClient

from apps.photos import processing, storage
from apps.photos.models import Photo, PhotoStatus
from apps.photos.triggers import dispatch
from tests.photos import images
from tests.photos.conftest import Bucket
from tests.photos.test_notifications import pending_with_upload, s3_notification

pytestmark = pytest.mark.django_db

# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html
SCHEDULED = {
    "version": "0",
    "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "123456789012",
    "time": "2026-10-08T16:53:06Z",
    "region": "eu-west-1",
    "resources": ["arn:aws:events:eu-west-1:123456789012:rule/photos-sweep"],
    "detail": {},
}


def start(client: APIClient) -> Photo:
    body = {"filename": "a.jpg", "content_type": "image/jpeg", "size": 10_000}
    response = client.post("/v1/photos/uploads", body, format="json")
    return Photo.objects.get(pk=response.json()["photo"]["id"])


def test_the_schedule_settles_lost_events_missing_uploads_and_abandoned_claims(
    api: APIClient, s3: Bucket, commit: Callable[[], Any]
) -> None:
    lost_event, _key = pending_with_upload(s3, api, images.jpeg())
    never_uploaded = start(api)
    abandoned, _ = pending_with_upload(s3, api, images.jpeg())
    busy, _ = pending_with_upload(s3, api, images.jpeg())
    fresh = start(api)
    long_ago = timezone.now() - datetime.timedelta(minutes=30)
    Photo.objects.exclude(pk=fresh.pk).update(created_at=long_ago)
    assert processing.claim(abandoned.pk, statuses=["pending_upload"], now=long_ago)
    assert processing.claim(busy.pk, statuses=["pending_upload"], now=timezone.now())

    with commit():
        result = dispatch(SCHEDULED, None)

    assert result == {"swept": {"ready": 2, "failed": 1}, "idempotency_records_removed": 0}
    statuses = dict(Photo.objects.values_list("pk", "status"))
    assert statuses == {
        lost_event.pk: PhotoStatus.READY,
        never_uploaded.pk: PhotoStatus.FAILED,
        abandoned.pk: PhotoStatus.READY,
        busy.pk: PhotoStatus.PROCESSING,
        fresh.pk: PhotoStatus.PENDING_UPLOAD,
    }
    assert Photo.objects.get(pk=never_uploaded.pk).failure_reason == (
        "The uploaded file was not found."
    )
    ready = Photo.objects.filter(status=PhotoStatus.READY)
    uploads_left = {storage.upload_key(busy.pk)}
    assert s3.keys() == {n for p in ready for n in p.stored_names()} | uploads_left


def test_a_missing_upload_is_found_missing_without_a_head_request(
    api: APIClient, s3: Bucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In AWS a HEAD of a missing key is a 403 without s3:ListBucket; the sweep lists."""
    photo = start(api)
    Photo.objects.update(created_at=timezone.now() - datetime.timedelta(hours=1))
    client = storage.storage().connection.meta.client  # type: ignore[attr-defined]

    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise ClientError({"Error": {"Code": "403", "Message": "Forbidden"}}, "HeadObject")

    monkeypatch.setattr(client, "head_object", forbidden)

    assert dispatch(SCHEDULED, None)["swept"] == {"failed": 1}
    photo.refresh_from_db()
    assert photo.failure_reason == "The uploaded file was not found."


def test_s3_notifications_still_go_to_processing(
    api: APIClient, s3: Bucket, commit: Callable[[], Any]
) -> None:
    _photo, key = pending_with_upload(s3, api, images.jpeg())

    with commit():
        result = dispatch(s3_notification(key), None)

    assert result["records"][0]["outcome"] == "ready"


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"source": "aws.events", "detail-type": "Something Else"},
        {"detail-type": "Scheduled Event"},
        {"Records": "not a list"},
        {"key": "value"},
        [],
        None,
        "text",
    ],
)
def test_unknown_events_are_logged_and_ignored(
    event: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="apps.photos.triggers"):
        assert dispatch(event, None) == {"ignored": "unknown event"}

    assert "Ignoring an event of unknown shape" in caplog.text


def test_the_lambda_entry_point_routes_the_schedule(monkeypatch: pytest.MonkeyPatch) -> None:
    from lambda_runtime import handler as lambda_handler

    assert lambda_handler.process_photos(SCHEDULED, None) == {
        "swept": {},
        "idempotency_records_removed": 0,
    }
    assert lambda_handler.process_photos({"unexpected": True}, None) == {"ignored": "unknown event"}
