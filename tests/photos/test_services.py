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
from apps.photos.exceptions import ReprocessRejectedError
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


def test_a_photo_being_processed_is_busy_not_done(user: Any) -> None:
    photo = pending(user, images.jpeg())
    now = timezone.now()
    assert processing.claim(photo.pk, statuses=[PhotoStatus.PENDING_UPLOAD], now=now)

    assert services.photo_process(photo_id=photo.pk, now=now + datetime.timedelta(minutes=5)) == (
        Outcome.BUSY
    )


def test_an_abandoned_claim_is_taken_over_after_lambdas_longest_run(user: Any) -> None:
    photo = pending(user, images.jpeg())
    started = timezone.now()
    assert processing.claim(photo.pk, statuses=[PhotoStatus.PENDING_UPLOAD], now=started)

    later = started + datetime.timedelta(minutes=16)
    assert services.photo_process(photo_id=photo.pk, now=later) == Outcome.READY


def test_unknown_photo_is_gone() -> None:
    assert services.photo_process(photo_id=ReadyPhotoFactory.build().pk) == Outcome.GONE


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

    assert services.photo_process(photo_id=photo.pk) == Outcome.GONE
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

    counts = services.photo_sweep()

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


# --- Claims: busy, abandoned, fenced ------------------------------------------------------


def test_the_processing_timeout_is_a_setting(user: Any, settings: Any) -> None:
    photo = pending(user, images.jpeg())
    started = timezone.now()
    assert processing.claim(photo.pk, statuses=[PhotoStatus.PENDING_UPLOAD], now=started)
    later = started + datetime.timedelta(minutes=2)

    assert services.photo_process(photo_id=photo.pk, now=later) == Outcome.BUSY
    settings.PHOTOS = {**settings.PHOTOS, "PROCESSING_TIMEOUT": 60}
    assert services.photo_process(photo_id=photo.pk, now=later) == Outcome.READY


def test_a_worker_whose_claim_was_taken_over_cannot_touch_the_new_files(
    user: Any, commit: Callable[[], Any], media_files: Callable[[], set[str]]
) -> None:
    """Worker A claims and stalls; B takes the abandoned claim over and finishes; then A
    wakes up. A must neither record nor delete (or overwrite) anything B's row points to."""
    data = images.jpeg((900, 600))
    photo = pending(user, data)
    started = timezone.now()
    stalled = processing.claim(photo.pk, statuses=[PhotoStatus.PENDING_UPLOAD], now=started)
    assert stalled is not None

    with commit():
        later = started + datetime.timedelta(minutes=16)
        assert services.photo_process(photo_id=photo.pk, now=later) == Outcome.READY
    photo.refresh_from_db()
    ready_names = set(photo.stored_names())
    with storage.read_original(io.BytesIO(data), max_bytes=10**8) as original:  # type: ignore[union-attr]
        rendition = processing.render(original)
        with commit():
            done = processing.finish(stalled, original=original, rendition=rendition, now=later)

    assert done is False
    photo.refresh_from_db()
    assert photo.status == PhotoStatus.READY
    assert set(photo.stored_names()) == ready_names
    assert media_files() == ready_names


def test_stored_names_carry_the_claims_version(user: Any) -> None:
    direct = services.photo_upload_direct(owner=user, file=io.BytesIO(images.png()))
    uploaded = pending(user, images.jpeg())
    assert services.photo_process(photo_id=uploaded.pk) == Outcome.READY
    uploaded.refresh_from_db()

    assert direct.stored_names() == [
        f"photos/{direct.pk}/original-1.png",
        f"photos/{direct.pk}/display-1.jpg",
        f"photos/{direct.pk}/thumbnail-1.jpg",
    ]
    assert uploaded.original.name == f"photos/{uploaded.pk}/original-2.jpg"


# --- Deleted while processing: nothing resurrected, nothing left behind ---------------------


def _delete_during_render(monkeypatch: pytest.MonkeyPatch, delete: Callable[[], Any]) -> None:
    real_render = processing.render

    def render_then_delete(original: Any) -> Any:
        result = real_render(original)
        delete()
        return result

    monkeypatch.setattr(processing, "render", render_then_delete)


@pytest.mark.parametrize("how", ["api", "pet"])
def test_photo_deleted_during_processing_is_gone_with_every_file(
    user: Any,
    pet: Any,
    monkeypatch: pytest.MonkeyPatch,
    commit: Callable[[], Any],
    media_files: Callable[[], set[str]],
    how: str,
) -> None:
    photo = pending(user, images.jpeg(), pet=pet)

    def delete() -> None:
        if how == "api":
            services.photo_delete(photo=Photo.objects.get(pk=photo.pk))
        else:
            pet.delete()

    _delete_during_render(monkeypatch, delete)

    with commit():
        assert services.photo_process(photo_id=photo.pk) == Outcome.GONE

    assert not Photo.objects.filter(pk=photo.pk).exists()
    assert media_files() == set()


def test_reprocess_of_a_photo_deleted_meanwhile_leaves_nothing(
    user: Any,
    monkeypatch: pytest.MonkeyPatch,
    commit: Callable[[], Any],
    media_files: Callable[[], set[str]],
) -> None:
    photo = services.photo_upload_direct(owner=user, file=io.BytesIO(images.jpeg()))
    with commit():
        _delete_during_render(monkeypatch, lambda: Photo.objects.filter(pk=photo.pk).delete())
        assert services.photo_reprocess(photo=photo) == Outcome.GONE

    assert not Photo.objects.exists()
    assert media_files() == set()


def test_deleting_a_stale_copy_of_a_photo_deletes_its_current_files(
    user: Any, commit: Callable[[], Any], media_files: Callable[[], set[str]]
) -> None:
    """A cascade or a view loaded the row while it was pending; processing finished since."""
    photo = pending(user, images.jpeg())
    stale = Photo.objects.get(pk=photo.pk)
    with commit():
        assert services.photo_process(photo_id=photo.pk) == Outcome.READY
    assert len(media_files()) == 3

    with commit():
        stale.delete()

    assert media_files() == set()


# --- Reprocess that is refused keeps the photo as it was ---------------------------------


@pytest.mark.parametrize("damage", ["corrupt", "missing"])
def test_a_refused_reprocess_keeps_the_photo_ready(
    user: Any,
    media_root: Any,
    commit: Callable[[], Any],
    media_files: Callable[[], set[str]],
    damage: str,
) -> None:
    photo = services.photo_upload_direct(owner=user, file=io.BytesIO(images.jpeg()))
    before = (photo.display.name, photo.thumbnail.name, photo.original.name)
    original = media_root / photo.original.name
    if damage == "corrupt":
        original.write_bytes(b"no longer an image")
    else:
        original.unlink()
    files = media_files()

    with pytest.raises(ReprocessRejectedError) as refused, commit():
        services.photo_reprocess(photo=photo)

    assert refused.value.reason in (
        "The file is not a JPEG, PNG or WebP image.",
        "The uploaded file was not found.",
    )
    photo.refresh_from_db()
    assert photo.status == PhotoStatus.READY
    assert (photo.display.name, photo.thumbnail.name, photo.original.name) == before
    assert media_files() == files
