"""Services: idempotent claims, compensation on storage failures, races, reprocessing."""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone

from apps.photos import processing, services, storage
from apps.photos.models import Photo, PhotoStatus
from apps.photos.processing import Outcome
from tests.photos import images
from tests.photos.factories import ReadyPhotoFactory

pytestmark = pytest.mark.django_db


def pending(user: Any, data: bytes, **kwargs: Any) -> Photo:
    photo, _ = services.photo_upload_start(
        owner=user, filename="a.jpg", content_type="image/jpeg", size=max(1, len(data)), **kwargs
    )
    storage.storage().save(storage.upload_key(photo.pk), io.BytesIO(data))
    return photo


def test_process_twice_processes_once(user: Any) -> None:
    photo = pending(user, images.jpeg())

    assert services.photo_process(photo_id=photo.pk) == Outcome.READY
    assert services.photo_process(photo_id=photo.pk) == Outcome.SKIPPED


def test_a_photo_being_processed_is_not_claimed_again(user: Any) -> None:
    photo = pending(user, images.jpeg())
    now = timezone.now()
    assert processing.claim(photo.pk, statuses=[PhotoStatus.PENDING_UPLOAD], now=now)

    assert services.photo_process(photo_id=photo.pk, now=now + datetime.timedelta(minutes=5)) == (
        Outcome.SKIPPED
    )


def test_an_abandoned_claim_is_taken_over_after_lambdas_longest_run(user: Any) -> None:
    photo = pending(user, images.jpeg())
    started = timezone.now()
    assert processing.claim(photo.pk, statuses=[PhotoStatus.PENDING_UPLOAD], now=started)

    later = started + datetime.timedelta(minutes=16)
    assert services.photo_process(photo_id=photo.pk, now=later) == Outcome.READY


def test_unknown_photo_is_skipped() -> None:
    assert services.photo_process(photo_id=ReadyPhotoFactory.build().pk) == Outcome.SKIPPED


def test_missing_upload_fails_cleanly(user: Any) -> None:
    photo, _ = services.photo_upload_start(
        owner=user, filename="a.jpg", content_type="image/jpeg", size=10
    )

    assert services.photo_process(photo_id=photo.pk) == Outcome.FAILED
    photo.refresh_from_db()
    assert photo.failure_reason == "The uploaded file was not found."


def test_zero_byte_upload_fails_cleanly(user: Any, media_files: Callable[[], set[str]]) -> None:
    photo = pending(user, b"")

    assert services.photo_process(photo_id=photo.pk) == Outcome.FAILED
    photo.refresh_from_db()
    assert photo.failure_reason == "The file is empty."


def test_storage_failure_mid_write_deletes_what_was_written(
    user: Any, monkeypatch: pytest.MonkeyPatch, media_files: Callable[[], set[str]]
) -> None:
    photo = pending(user, images.jpeg())
    real_save = storage.save

    def failing(name: str, content: Any, *, saved: list[str]) -> str:
        if "thumbnail" in name:
            raise OSError("disk full")
        return real_save(name, content, saved=saved)

    monkeypatch.setattr(storage, "save", failing)

    with pytest.raises(OSError, match="disk full"):
        services.photo_process(photo_id=photo.pk)

    photo.refresh_from_db()
    # Back to pending for a retry; only the upload itself is left in storage.
    assert photo.status == PhotoStatus.PENDING_UPLOAD
    assert media_files() == {storage.upload_key(photo.pk)}


def test_direct_upload_leaves_nothing_when_the_row_cannot_be_written(
    user: Any, monkeypatch: pytest.MonkeyPatch, media_files: Callable[[], set[str]]
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise IntegrityError("constraint")

    monkeypatch.setattr(Photo, "save", broken)

    with pytest.raises(IntegrityError):
        services.photo_upload_direct(owner=user, file=io.BytesIO(images.jpeg()))

    assert not Photo.objects.exists()
    assert media_files() == set()


def test_photo_deleted_while_processing_leaves_no_files(
    user: Any, monkeypatch: pytest.MonkeyPatch, media_files: Callable[[], set[str]]
) -> None:
    photo = pending(user, images.jpeg())
    real_render = processing.render

    def render_then_lose_the_row(original: Any) -> Any:
        result = real_render(original)
        Photo.objects.filter(pk=photo.pk).delete()  # The owner deleted it meanwhile.
        return result

    monkeypatch.setattr(processing, "render", render_then_lose_the_row)

    assert services.photo_process(photo_id=photo.pk) == Outcome.SKIPPED
    assert media_files() == {storage.upload_key(photo.pk)}  # Its own on-commit delete takes it.


def test_ready_rows_must_be_complete() -> None:
    with pytest.raises(IntegrityError):
        ReadyPhotoFactory(width=None)


def test_failed_rows_must_have_a_reason() -> None:
    with pytest.raises(IntegrityError):
        ReadyPhotoFactory(status=PhotoStatus.FAILED, failure_reason="")


def test_service_refuses_another_owners_pet(user: Any, other_pet: Any) -> None:
    with pytest.raises(ValidationError):
        services.photo_upload_direct(owner=user, file=io.BytesIO(images.jpeg()), pet=other_pet)
    with pytest.raises(ValidationError):
        services.photo_upload_start(
            owner=user, filename="a", content_type="image/jpeg", size=5, pet=other_pet
        )


def test_reprocess_writes_new_derived_files_and_removes_the_old(
    user: Any, commit: Callable[[], Any], media_files: Callable[[], set[str]]
) -> None:
    photo = services.photo_upload_direct(owner=user, file=io.BytesIO(images.jpeg((800, 600))))
    old = set(photo.stored_names())

    with commit():
        assert services.photo_reprocess(photo=photo) == Outcome.READY

    photo.refresh_from_db()
    assert photo.status == PhotoStatus.READY
    assert photo.original.name in old
    assert photo.display.name not in old
    assert media_files() == set(photo.stored_names())


def test_reprocess_skips_photos_that_are_not_ready(user: Any) -> None:
    photo, _ = services.photo_upload_start(
        owner=user, filename="a", content_type="image/jpeg", size=5
    )

    assert services.photo_reprocess(photo=photo) == Outcome.SKIPPED


def test_sweep_settles_only_expired_pending_uploads(user: Any) -> None:
    arrived = pending(user, images.jpeg())
    never_uploaded, _ = services.photo_upload_start(
        owner=user, filename="a.jpg", content_type="image/jpeg", size=10
    )
    fresh = pending(user, images.jpeg())
    long_ago = timezone.now() - datetime.timedelta(minutes=20)
    Photo.objects.filter(pk__in=[arrived.pk, never_uploaded.pk]).update(created_at=long_ago)

    counts = services.photo_sweep_pending()

    assert counts == {"ready": 1, "failed": 1}
    statuses = dict(Photo.objects.values_list("pk", "status"))
    assert statuses == {
        arrived.pk: PhotoStatus.READY,
        never_uploaded.pk: PhotoStatus.FAILED,
        fresh.pk: PhotoStatus.PENDING_UPLOAD,
    }


def test_sweep_command_reports_what_it_did(user: Any) -> None:
    from django.core.management import call_command

    photo, _ = services.photo_upload_start(
        owner=user, filename="a.jpg", content_type="image/jpeg", size=10
    )
    Photo.objects.filter(pk=photo.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=1)
    )
    out = io.StringIO()

    call_command("photos_sweep_uploads", stdout=out)

    assert out.getvalue().strip() == "Swept expired uploads: 1 failed."
