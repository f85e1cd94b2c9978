"""S3 errors (moto) on upload, processing and delete: the client's JSON status, nothing
half-written, and recovery once S3 answers again, with no restart."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from rest_framework.test import APIClient

from apps.photos import services, storage
from apps.photos.models import OrphanedFile, Photo, PhotoStatus
from apps.photos.processing import Outcome
from tests.photos.conftest import Bucket
from tests.photos.images import jpeg

# Fault suite (docs/hardening.md): runs on SQLite and in the PostgreSQL leg.
pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]

UNAVAILABLE = {"message": "Service Unavailable"}


class Outage:
    """Makes S3 writes or deletes fail with S3's InternalError (500) until `end()`."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch

    @staticmethod
    def error(operation: str) -> ClientError:
        body = {"Error": {"Code": "InternalError", "Message": "We encountered an internal error."}}
        return ClientError(body, operation)  # type: ignore[arg-type]

    def writes(self) -> None:
        def fail(*args: object, **kwargs: object) -> None:
            raise self.error("PutObject")

        self.monkeypatch.setattr("storages.backends.s3.S3Storage._save", fail)

    def deletes(self) -> None:
        def fail(*args: object, **kwargs: object) -> None:
            raise self.error("DeleteObject")

        self.monkeypatch.setattr("storages.backends.s3.S3Storage.delete", fail)

    def end(self) -> None:
        self.monkeypatch.undo()


@pytest.fixture
def outage(monkeypatch: pytest.MonkeyPatch) -> Outage:
    return Outage(monkeypatch)


def test_an_upload_while_s3_fails_is_a_503_and_leaves_nothing(
    api: APIClient, s3: Bucket, outage: Outage
) -> None:
    outage.writes()

    response = api.post("/v1/photos", jpeg(), content_type="image/jpeg")

    assert response.status_code == 503
    assert response.json() == UNAVAILABLE
    assert response["Retry-After"] == "5"
    assert s3.keys() == set()
    assert not Photo.objects.exists()

    outage.end()
    again = api.post("/v1/photos", jpeg(), content_type="image/jpeg")

    assert again.status_code == 201
    photo = Photo.objects.get()
    assert s3.keys() == {photo.original.name, photo.display.name, photo.thumbnail.name}


def test_processing_while_s3_fails_hands_the_photo_back_for_a_retry(
    s3: Bucket, outage: Outage, user: Any, commit: Callable[[], Any]
) -> None:
    data = jpeg()
    photo, _ = services.photo_upload_start(
        owner=user, filename="a.jpg", content_type="image/jpeg", size=len(data)
    )
    s3.put(photo.original.name, data)
    outage.writes()

    with pytest.raises(storage.StorageUnavailableError):
        services.photo_process(photo_id=photo.pk)  # Lambda retries the S3 event

    photo.refresh_from_db()
    assert photo.status == PhotoStatus.PENDING_UPLOAD
    assert s3.keys() == {storage.upload_key(photo.pk)}  # no derived image half-made

    outage.end()
    with commit():  # the upload key is deleted once the result is committed
        assert services.photo_process(photo_id=photo.pk) == Outcome.READY
    photo.refresh_from_db()
    assert photo.status == PhotoStatus.READY
    assert s3.keys() == {photo.original.name, photo.display.name, photo.thumbnail.name}


def test_a_delete_while_s3_fails_removes_the_photo_and_the_sweep_deletes_its_files_later(
    api: APIClient,
    s3: Bucket,
    outage: Outage,
    commit: Callable[[], Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    created = api.post("/v1/photos", jpeg(), content_type="image/jpeg").json()
    photo = Photo.objects.get(pk=created["id"])
    names = {photo.original.name, photo.display.name, photo.thumbnail.name}
    outage.deletes()

    with caplog.at_level(logging.ERROR, logger="apps.photos.storage"), commit():
        response = api.delete(f"/v1/photos/{photo.pk}")

    assert response.status_code == 204
    assert not Photo.objects.filter(pk=photo.pk).exists()
    # The files could not go: each is logged by key and remembered for the sweep (the
    # upload key too, in case a presigned POST lands after the delete).
    logged = {getattr(record, "key", None) for record in caplog.records}
    assert names <= logged
    assert s3.keys() == names
    remembered = dict(OrphanedFile.objects.values_list("name", "attempts"))
    assert set(remembered) == names | {storage.upload_key(photo.pk)}
    assert set(remembered.values()) == {1}

    # A sweep while S3 still fails keeps them, counting the attempt.
    assert services.photo_sweep() == {"orphans kept": 4}
    assert set(OrphanedFile.objects.values_list("attempts", flat=True)) == {2}
    assert "InternalError" in OrphanedFile.objects.values_list("last_error", flat=True)[0]

    outage.end()
    assert services.photo_sweep() == {"orphans deleted": 4}
    assert s3.keys() == set()
    assert not OrphanedFile.objects.exists()
    assert services.photo_sweep() == {}
