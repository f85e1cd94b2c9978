"""Writes to photos: direct upload, presigned upload start and receipt, processing, delete."""

from __future__ import annotations

import datetime
import logging
import uuid
from typing import IO

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.pets.models import Pet
from apps.photos import processing, storage, uploads
from apps.photos.conf import photos
from apps.photos.formats import ImageRejectedError
from apps.photos.models import Photo, PhotoStatus
from apps.photos.processing import Outcome
from apps.photos.uploads import LocalPolicy, PolicyError, PresignedUpload

logger = logging.getLogger(__name__)

# Clock skew between us and S3 that an expired form's last upload may still ride on.
SWEEP_SLACK = datetime.timedelta(minutes=5)


class PhotoTooLargeError(Exception):
    """More bytes than the path allows; the API answers 413."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(processing.too_large(max_bytes))
        self.max_bytes = max_bytes


def _check_pet(owner: User, pet: Pet | None) -> None:
    # The serializer already scopes the choice to the caller's pets; this keeps the service
    # safe for any other caller (admin actions, scripts).
    if pet is not None and pet.owner_id != owner.pk:
        raise ValidationError({"pet": ["Not one of your pets."]})


def photo_upload_direct(
    *,
    owner: User,
    file: IO[bytes],
    filename: str = "",
    pet: Pet | None = None,
    caption: str = "",
    now: datetime.datetime | None = None,
) -> Photo:
    """Process the bytes in memory, store the files, then create the photo `ready`.

    Bad content is a ValidationError and nothing is stored: a direct upload never leaves a
    `failed` photo behind. The files are written before the row (no transaction stays open
    during storage writes) and deleted again if the row cannot be written.
    """
    _check_pet(owner, pet)
    now = now or timezone.now()
    file.seek(0)
    original = storage.read_original(file, max_bytes=photos.DIRECT_MAX_BYTES)
    if original is None:
        raise PhotoTooLargeError(photos.DIRECT_MAX_BYTES)
    if original.size == 0:
        raise ValidationError({"file": ["The file is empty."]})
    try:
        rendition = processing.render(original)
    except ImageRejectedError as exc:
        raise ValidationError({"file": [exc.reason]}) from None
    photo = Photo(owner=owner, pet=pet, caption=caption, original_filename=filename)
    saved: list[str] = []
    try:
        names = processing.store_files(
            photo.pk, original=original, rendition=rendition, tag=photo.version, saved=saved
        )
        for field, value in processing.facts(
            names=names, original=original, rendition=rendition
        ).items():
            setattr(photo, field, value)
        photo.processed_at = now
        with transaction.atomic():
            photo.save(force_insert=True)
    except BaseException:
        storage.delete_quietly(saved)
        raise
    return photo


@transaction.atomic
def photo_upload_start(
    *,
    owner: User,
    filename: str,
    content_type: str,
    size: int,
    pet: Pet | None = None,
    caption: str = "",
    now: datetime.datetime | None = None,
) -> tuple[Photo, PresignedUpload]:
    """Create the photo `pending_upload` and a presigned POST for at most `size` bytes."""
    _check_pet(owner, pet)
    if not 1 <= size <= photos.MAX_BYTES:
        raise ValidationError({"size": [f"Must be between 1 and {photos.MAX_BYTES} bytes."]})
    photo = Photo(owner=owner, pet=pet, caption=caption, original_filename=filename)
    photo.original.name = storage.upload_key(photo.pk)
    photo.save(force_insert=True)
    upload = uploads.presign(
        photo_id=photo.pk,
        content_type=content_type,
        max_bytes=size,
        expires_in=photos.UPLOAD_EXPIRES,
        now=now or timezone.now(),
    )
    return photo, upload


def photo_upload_receive(
    *,
    fields: dict[str, str],
    file: IO[bytes],
    size: int,
    now: datetime.datetime | None = None,
) -> Photo:
    """The local stand-in for S3 receiving a presigned POST, then the S3 event: store, process.

    Raises PolicyError when the post breaks its signed policy (S3 answers 403), and
    ValueError for a size outside the policy's range (S3's EntityTooSmall/TooLarge, 400).
    """
    now = now or timezone.now()
    policy = uploads.verify_local(fields=fields, now=now)
    if size < 1:
        raise ValueError("Your proposed upload is smaller than the minimum allowed size.")
    if size > policy.max_bytes:
        raise ValueError("Your proposed upload exceeds the maximum allowed size.")
    photo = _pending(policy)
    store = storage.storage()
    store.delete(policy.key)  # A retried post replaces the earlier bytes, as on S3.
    stored = store.save(policy.key, file)
    if stored != policy.key:  # Only a storage that renames on save could do this.
        storage.delete_quietly([stored])
        raise RuntimeError(f"Storage saved {policy.key!r} as {stored!r}")
    photo_process(photo_id=photo.pk, now=now)
    photo.refresh_from_db()
    return photo


def _pending(policy: LocalPolicy) -> Photo:
    photo = Photo.objects.filter(pk=policy.photo_id, status=PhotoStatus.PENDING_UPLOAD).first()
    if photo is None:
        raise PolicyError("Invalid according to Policy: this upload was already used.")
    return photo


def photo_process(*, photo_id: uuid.UUID, now: datetime.datetime | None = None) -> Outcome:
    """Process an uploaded original: `ready`, or `failed` with its bytes deleted.

    Idempotent: only a `pending_upload` photo (or one abandoned mid-processing) is claimed,
    so a replayed S3 event or a concurrent worker does nothing.
    """
    now = now or timezone.now()
    if not processing.claim(photo_id, statuses=[PhotoStatus.PENDING_UPLOAD], now=now):
        return Outcome.SKIPPED
    photo = Photo.objects.get(pk=photo_id)
    upload_name = photo.original.name
    try:
        original = processing.read_stored(upload_name)
        rendition = processing.render(original)
    except ImageRejectedError as exc:
        processing.mark_failed(photo, reason=exc.reason, now=now)
        return Outcome.FAILED
    except BaseException:
        processing.release(photo, status=PhotoStatus.PENDING_UPLOAD)
        raise
    try:
        done = processing.finish(
            photo, original=original, rendition=rendition, now=now, obsolete=[upload_name]
        )
    except BaseException:
        processing.release(photo, status=PhotoStatus.PENDING_UPLOAD)
        raise
    return Outcome.READY if done else Outcome.SKIPPED


def photo_reprocess(*, photo: Photo, now: datetime.datetime | None = None) -> Outcome:
    """Render a ready photo's derived images again from its stored original (admin action)."""
    now = now or timezone.now()
    if not processing.claim(photo.pk, statuses=[PhotoStatus.READY], now=now):
        return Outcome.SKIPPED
    photo.refresh_from_db()
    old = [photo.display.name, photo.thumbnail.name]
    try:
        original = processing.read_stored(photo.original.name)
        rendition = processing.render(original)
    except ImageRejectedError as exc:
        processing.mark_failed(photo, reason=exc.reason, now=now)
        return Outcome.FAILED
    except BaseException:
        processing.release(photo, status=PhotoStatus.READY)
        raise
    try:
        done = processing.finish(photo, original=None, rendition=rendition, now=now, obsolete=old)
    except BaseException:
        processing.release(photo, status=PhotoStatus.READY)
        raise
    return Outcome.READY if done else Outcome.SKIPPED


def photo_sweep_pending(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Settle presigned uploads whose form has expired: process what arrived, fail the rest.

    After the form's expiry (plus slack for clock skew) nothing new can be uploaded, so a
    photo still `pending_upload` either lost its S3 event or was never uploaded. Processing
    it now covers both: the first becomes `ready`, the second `failed` ("not found").
    """
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(seconds=photos.UPLOAD_EXPIRES) - SWEEP_SLACK
    stale = Photo.objects.filter(status=PhotoStatus.PENDING_UPLOAD, created_at__lt=cutoff)
    counts: dict[str, int] = {}
    for photo_id in stale.values_list("pk", flat=True).iterator():
        outcome = str(photo_process(photo_id=photo_id, now=now))
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


@transaction.atomic
def photo_delete(*, photo: Photo) -> None:
    """Delete the row; the post_delete receiver deletes every stored file after the commit."""
    photo.delete()
