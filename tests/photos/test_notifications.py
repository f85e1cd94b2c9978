"""handle_notification with the real S3 event sample, rewritten to our bucket and keys."""

from __future__ import annotations

import copy
import datetime
import json
import logging
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from rest_framework.test import APIClient

from apps.photos import storage
from apps.photos.models import Photo, PhotoStatus
from apps.photos.notifications import RecordError, handle_notification
from tests.photos import images
from tests.photos.conftest import BUCKET, Bucket

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "aws-events" / "s3-event.json"


def s3_notification(
    key: str,
    *,
    size: int = 1024,
    bucket: str = BUCKET,
    encode: Callable[[str], str] = lambda key: quote_plus(key, safe="/"),
    event_name: str = "ObjectCreated:Post",
) -> dict[str, Any]:
    """aws-lambda-go's s3-event.json with our bucket and an S3-style URL-encoded key."""
    event: dict[str, Any] = json.loads(FIXTURE.read_text())
    record = event["Records"][0]
    record["eventName"] = event_name
    record["s3"]["bucket"]["name"] = bucket
    record["s3"]["bucket"]["arn"] = f"arn:aws:s3:::{bucket}"
    record["s3"]["object"]["key"] = encode(key)
    record["s3"]["object"]["size"] = size
    return event


def test_fixture_is_the_unchanged_aws_sample() -> None:
    sample = json.loads(FIXTURE.read_text())["Records"][0]
    assert (sample["eventSource"], sample["eventName"]) == ("aws:s3", "ObjectCreated:Put")
    assert sample["s3"]["object"]["key"] == "Happy%20Face.jpg"
    assert (FIXTURE.parent / "LICENSE-aws-lambda-go").exists()


def pending_with_upload(s3: Bucket, client: APIClient, data: bytes) -> tuple[Photo, str]:
    body = {"filename": "a.jpg", "content_type": "image/jpeg", "size": len(data)}
    response = client.post("/v1/photos/uploads", body, format="json")
    key = response.json()["upload"]["fields"]["key"]
    s3.put(key, data)
    return Photo.objects.get(pk=response.json()["photo"]["id"]), key


def test_created_object_is_processed(api: APIClient, s3: Bucket, commit: Callable[[], Any]) -> None:
    photo, key = pending_with_upload(s3, api, images.jpeg((900, 600)))

    with commit():
        result = handle_notification(s3_notification(key), None)

    assert result == {"records": [{"bucket": BUCKET, "key": key, "outcome": "ready"}]}
    photo.refresh_from_db()
    assert (photo.status, photo.width, photo.height) == (PhotoStatus.READY, 900, 600)


def test_mpo_upload_is_processed_as_jpeg(
    api: APIClient, s3: Bucket, commit: Callable[[], Any]
) -> None:
    photo, key = pending_with_upload(s3, api, images.mpo((900, 600)))

    with commit():
        result = handle_notification(s3_notification(key), None)

    assert result["records"][0]["outcome"] == "ready"
    photo.refresh_from_db()
    assert (photo.status, photo.content_type, photo.width) == (PhotoStatus.READY, "image/jpeg", 900)
    assert photo.original.name.endswith(".jpg")
    assert s3.keys() == set(photo.stored_names())


def test_replayed_event_does_nothing_the_second_time(
    api: APIClient, s3: Bucket, commit: Callable[[], Any]
) -> None:
    photo, key = pending_with_upload(s3, api, images.jpeg())
    event = s3_notification(key)
    with commit():
        handle_notification(event, None)
    photo.refresh_from_db()
    before = (photo.version, photo.updated_at, photo.display.name, s3.keys())

    with commit():
        again = handle_notification(copy.deepcopy(event), None)

    photo.refresh_from_db()
    assert again["records"][0]["outcome"] == "skipped"
    assert (photo.version, photo.updated_at, photo.display.name, s3.keys()) == before


def test_duplicate_records_in_one_event_process_once(
    api: APIClient, s3: Bucket, commit: Callable[[], Any]
) -> None:
    _photo, key = pending_with_upload(s3, api, images.jpeg())
    event = s3_notification(key)
    event["Records"].append(copy.deepcopy(event["Records"][0]))

    with commit():
        result = handle_notification(event, None)

    assert [r["outcome"] for r in result["records"]] == ["ready", "skipped"]
    assert Photo.objects.get().version == 3  # Created 1, claimed 2, ready 3: once.


@pytest.mark.parametrize(
    "encode",
    [lambda key: quote_plus(key, safe="/"), lambda key: quote(key, safe="/")],
    ids=["plus-for-space", "percent-20"],
)
def test_url_encoded_keys_with_spaces(
    api: APIClient, s3: Bucket, settings: Any, commit: Callable[[], Any], encode: Any
) -> None:
    settings.PHOTOS = {**settings.PHOTOS, "UPLOAD_PREFIX": "incoming photos/"}
    photo, key = pending_with_upload(s3, api, images.jpeg())
    assert key == f"incoming photos/{photo.pk}/original"
    event = s3_notification(key, encode=encode)
    assert " " not in event["Records"][0]["s3"]["object"]["key"]

    with commit():
        result = handle_notification(event, None)

    assert result["records"][0] == {"bucket": BUCKET, "key": key, "outcome": "ready"}


def test_key_outside_the_upload_prefix_is_ignored_and_kept(
    s3: Bucket, caplog: pytest.LogCaptureFixture
) -> None:
    s3.put("Happy Face.jpg", images.jpeg())
    s3.put(f"photos/{uuid.uuid4()}/original.jpg", images.jpeg())

    with caplog.at_level(logging.WARNING, logger="apps.photos.notifications"):
        result = handle_notification(s3_notification("Happy Face.jpg"), None)
        nested = handle_notification(s3_notification(next(iter(s3.keys("photos/")))), None)

    assert result["records"][0] == {
        "bucket": BUCKET,
        "key": "Happy Face.jpg",
        "outcome": "ignored",
        "reason": "not an upload key",
    }
    assert nested["records"][0]["outcome"] == "ignored"
    assert len(s3.keys()) == 2
    assert "Ignoring an S3 record" in caplog.text


@pytest.mark.parametrize(
    "key",
    [
        "uploads/not-a-uuid/original",
        "uploads/../photos/x/original",
        "uploads/{id}/original/../../x",
        "uploads/{id}/display.jpg",
        "uploads/{id}",
    ],
)
def test_malformed_upload_keys_are_ignored(s3: Bucket, key: str) -> None:
    key = key.format(id=uuid.uuid4())

    result = handle_notification(s3_notification(key), None)

    assert result["records"][0]["outcome"] == "ignored"


def test_upload_for_an_unknown_photo_is_deleted_as_an_orphan(
    s3: Bucket, commit: Callable[[], Any]
) -> None:
    key = storage.upload_key(uuid.uuid4())
    s3.put(key, images.jpeg())

    result = handle_notification(s3_notification(key), None)

    assert result["records"][0] == {
        "bucket": BUCKET,
        "key": key,
        "outcome": "deleted",
        "reason": "no such photo",
    }
    assert s3.keys() == set()


def test_other_buckets_are_ignored(api: APIClient, s3: Bucket) -> None:
    photo, key = pending_with_upload(s3, api, images.jpeg())

    result = handle_notification(s3_notification(key, bucket="someone-elses-bucket"), None)

    assert result["records"][0]["reason"] == "another bucket"
    photo.refresh_from_db()
    assert photo.status == PhotoStatus.PENDING_UPLOAD


def test_other_event_names_and_sources_are_ignored(api: APIClient, s3: Bucket) -> None:
    photo, key = pending_with_upload(s3, api, images.jpeg())
    removed = s3_notification(key, event_name="ObjectRemoved:Delete")
    sqs = {"Records": [{"eventSource": "aws:sqs", "body": "{}"}, "junk", None]}

    results = [
        *handle_notification(removed, None)["records"],
        *handle_notification(sqs, None)["records"],
        *handle_notification({}, None)["records"],
        *handle_notification({"Records": None}, None)["records"],
    ]

    assert [r["outcome"] for r in results] == ["ignored"] * 4
    photo.refresh_from_db()
    assert photo.status == PhotoStatus.PENDING_UPLOAD


def test_filesystem_storage_has_no_bucket_to_match() -> None:
    key = storage.upload_key(uuid.uuid4())

    result = handle_notification(s3_notification(key), None)

    assert result["records"][0]["reason"] == "another bucket"


def test_unexpected_errors_raise_after_every_record_was_tried(
    api: APIClient, s3: Bucket, monkeypatch: pytest.MonkeyPatch, commit: Callable[[], Any]
) -> None:
    first, first_key = pending_with_upload(s3, api, images.jpeg())
    second, second_key = pending_with_upload(s3, api, images.jpeg())
    event = s3_notification(first_key)
    event["Records"] += s3_notification(second_key)["Records"]
    calls = []
    from apps.photos import processing

    real = processing.finish

    def flaky(photo: Photo, **kwargs: Any) -> bool:
        calls.append(photo.pk)
        if photo.pk == first.pk:
            raise ConnectionError("S3 is having a bad day")
        return real(photo, **kwargs)

    monkeypatch.setattr(processing, "finish", flaky)

    with pytest.raises(RecordError, match="Of 2 S3 records, 1 failed"), commit():
        handle_notification(event, None)

    first.refresh_from_db()
    second.refresh_from_db()
    # The failed one is pending again, so Lambda's retry can process it; the other is done.
    assert (first.status, second.status) == (PhotoStatus.PENDING_UPLOAD, PhotoStatus.READY)
    assert calls == [first.pk, second.pk]
    monkeypatch.setattr(processing, "finish", real)
    with commit():
        retry = handle_notification(event, None)
    assert [r["outcome"] for r in retry["records"]] == ["ready", "skipped"]


def test_stale_connections_are_closed_outside_a_transaction(
    s3: Bucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    from apps.photos import notifications

    closed: list[bool] = []
    monkeypatch.setattr(notifications, "close_old_connections", lambda: closed.append(True))
    monkeypatch.setattr(
        notifications.connections, "all", lambda initialized_only=False: []
    )  # As in Lambda: no transaction open around the call.

    handle_notification({"Records": []}, None)

    assert closed == [True, True]


def test_a_record_busy_elsewhere_makes_lambda_retry_after_the_others(
    api: APIClient, s3: Bucket, commit: Callable[[], Any]
) -> None:
    from django.utils import timezone

    from apps.photos import processing, services

    busy, busy_key = pending_with_upload(s3, api, images.jpeg())
    other, other_key = pending_with_upload(s3, api, images.jpeg())
    claimed_at = timezone.now()
    assert processing.claim(busy.pk, statuses=["pending_upload"], now=claimed_at)
    event = s3_notification(busy_key)
    event["Records"] += s3_notification(other_key)["Records"]

    with pytest.raises(RecordError, match="1 are being processed by another worker"), commit():
        handle_notification(event, None)

    other.refresh_from_db()
    busy.refresh_from_db()
    assert (busy.status, other.status) == (PhotoStatus.PROCESSING, PhotoStatus.READY)
    assert busy_key in set(s3.keys())  # Still the busy worker's to read.
    # Lambda's retry, after the worker died and its claim was abandoned:
    later = claimed_at + datetime.timedelta(minutes=16)
    with commit():
        assert services.photo_process(photo_id=busy.pk, now=later) == "ready"
    with commit():
        retry = handle_notification(event, None)
    assert [r["outcome"] for r in retry["records"]] == ["skipped", "skipped"]


def test_an_upload_to_a_settled_photo_is_deleted_as_an_orphan(
    api: APIClient, s3: Bucket, commit: Callable[[], Any]
) -> None:
    """The presigned form posted again before it expired: the photo keeps its original."""
    photo, key = pending_with_upload(s3, api, images.jpeg())
    with commit():
        handle_notification(s3_notification(key), None)
    photo.refresh_from_db()
    before = (photo.version, photo.checksum, s3.get(photo.original.name))
    s3.put(key, images.png())

    with commit():
        result = handle_notification(s3_notification(key), None)

    assert result["records"][0]["outcome"] == "skipped"
    photo.refresh_from_db()
    assert (photo.version, photo.checksum, s3.get(photo.original.name)) == before
    assert s3.keys() == set(photo.stored_names())
