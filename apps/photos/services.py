"""Writes to photos: direct upload, presigned upload start and receipt, processing, delete."""

from __future__ import annotations

import datetime
import logging
import uuid
from typing import IO

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.common.conditional import StaleVersionError
from apps.common.events import publish
from apps.common.tracing import current_trace_id
from apps.pets.models import Pet
from apps.photos import events, orphans, processing, storage, uploads
from apps.photos.conf import photo_settings
from apps.photos.exceptions import (
    PhotoNotFoundError,
    PhotoTooLargeError,
    PolicyError,
    ReprocessRejectedError,
    UploadSizeError,
)
from apps.photos.formats import ImageRejectedError
from apps.photos.models import Photo, PhotoStatus
from apps.photos.processing import Outcome
from apps.photos.storage import Original
from apps.photos.uploads import PresignedUpload

logger = logging.getLogger(__name__)

# Clock skew between us and S3 that an expired form's last upload may still ride on.
SWEEP_SLACK = datetime.timedelta(minutes=5)


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
    max_bytes = photo_settings().DIRECT_MAX_BYTES
    original = storage.read_original(file, max_bytes=max_bytes)
    if original is None:
        raise PhotoTooLargeError(max_bytes)
    with original:
        return _create_ready(
            original, owner=owner, pet=pet, caption=caption, filename=filename, now=now
        )


def _create_ready(
    original: Original,
    *,
    owner: User,
    pet: Pet | None,
    caption: str,
    filename: str,
    now: datetime.datetime,
) -> Photo:
    if original.size == 0:
        raise ValidationError({"file": ["The file is empty."]})
    photo = Photo(
        owner=owner,
        pet=pet,
        caption=caption,
        original_filename=filename,
        trace_id=current_trace_id(),
    )
    with processing.Attempt(photo, size=original.size) as attempt:
        try:
            rendition = processing.render(original)
        except ImageRejectedError as exc:
            attempt.outcome = Outcome.REJECTED
            raise ValidationError({"file": [exc.reason]}) from None
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
                publish(events.photo_event(events.READY, photo))
        except BaseException:
            storage.delete_quietly(saved)
            raise
        attempt.outcome = Outcome.READY
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
    config = photo_settings()
    if not 1 <= size <= config.MAX_BYTES:
        raise ValidationError({"size": [f"Must be between 1 and {config.MAX_BYTES} bytes."]})
    photo = Photo(
        owner=owner,
        pet=pet,
        caption=caption,
        original_filename=filename,
        trace_id=current_trace_id(),
    )
    photo.original.name = storage.upload_key(photo.pk)
    photo.save(force_insert=True)
    upload = uploads.presign(
        photo_id=photo.pk,
        content_type=content_type,
        max_bytes=size,
        expires_in=config.UPLOAD_EXPIRES,
        now=now or timezone.now(),
    )
    return photo, upload


def photo_upload_receive(
    *,
    fields: dict[str, str],
    file: IO[bytes],
    size: int,
    now: datetime.datetime | None = None,
) -> Outcome:
    """The local stand-in for S3 receiving a presigned POST, then the S3 event: store, process.

    Raises PolicyError when the post breaks its signed policy (S3 answers 403) or its photo
    is no longer waiting for an upload, and UploadSizeError for a size outside the policy's range
    (S3's EntityTooSmall/TooLarge, 400). The photo is claimed before a byte is written, with
    one conditional UPDATE, so of two posts of one form (in turn or at once) exactly one
    stores and processes; the other never touches storage.
    """
    now = now or timezone.now()
    policy = uploads.verify_local(fields=fields, now=now)
    if size < 1:
        raise UploadSizeError("Your proposed upload is smaller than the minimum allowed size.")
    if size > policy.max_bytes:
        raise UploadSizeError("Your proposed upload exceeds the maximum allowed size.")
    photo = processing.claim(policy.photo_id, statuses=[PhotoStatus.PENDING_UPLOAD], now=now)
    if photo is None:
        raise PolicyError("Invalid according to Policy: this upload was already used.")
    if photo.original.name != policy.key:  # Signed under another PHOTOS_UPLOAD_PREFIX.
        processing.release(photo, status=PhotoStatus.PENDING_UPLOAD)
        raise PolicyError('Invalid according to Policy: Policy Condition failed: ["eq", "$key"]')
    try:
        _store_upload(policy.key, file)
    except BaseException:
        processing.release(photo, status=PhotoStatus.PENDING_UPLOAD)
        raise
    outcome, _reason = _run(photo, now=now)
    return outcome


def _store_upload(key: str, file: IO[bytes]) -> None:
    storage.storage().delete(key)  # Left by an attempt that failed after storing: replaced.
    stored = storage.save(key, file, saved=[])  # A failed write leaves nothing behind.
    if stored != key:  # Only a storage that renames on save could do this.
        storage.delete_quietly([stored])
        raise RuntimeError(f"Storage saved {key!r} as {stored!r}")


def photo_process(*, photo_id: uuid.UUID, now: datetime.datetime | None = None) -> Outcome:
    """Process an uploaded original: `ready`, or `failed` with its bytes deleted.

    Idempotent: only a `pending_upload` photo (or one abandoned mid-processing) is claimed,
    so a replayed S3 event does nothing (SKIPPED), and an event arriving while another
    worker processes the photo is BUSY.
    """
    now = now or timezone.now()
    photo = processing.claim(photo_id, statuses=[PhotoStatus.PENDING_UPLOAD], now=now)
    if photo is None:
        return processing.unclaimed(photo_id)
    outcome, _reason = _run(photo, now=now)
    return outcome


def photo_reprocess(*, photo: Photo, now: datetime.datetime | None = None) -> Outcome:
    """Render a ready photo's derived images again from its stored original (admin action).

    Raises ReprocessRejectedError when the original no longer renders (or is missing): the
    photo stays `ready` with the derived images it had, which still work.
    """
    now = now or timezone.now()
    claimed = processing.claim(photo.pk, statuses=[PhotoStatus.READY], now=now)
    if claimed is None:
        return processing.unclaimed(photo.pk)
    outcome, reason = _run(claimed, now=now)
    if outcome == Outcome.REJECTED:
        raise ReprocessRejectedError(reason)
    return outcome


def _run(photo: Photo, *, now: datetime.datetime) -> tuple[Outcome, str]:
    """Process a photo this worker claimed; the outcome and, when refused, the reason.

    A claimed photo with derived images was `ready` (a reprocess, or one abandoned midway):
    its stored original stays, and content that no longer renders leaves it `ready`. Any
    other photo is an upload: its original is copied out of the upload prefix, and bad
    content fails it. On an unexpected error the photo is handed back for a retry.
    Every attempt writes one metrics line (processing.record_attempt), its log lines carry
    the trace id of the upload that created the photo (`uploadTraceId`).
    """
    was_ready = bool(photo.display.name)
    with processing.Attempt(photo) as attempt:
        try:
            with processing.read_stored(photo.original.name) as original:
                attempt.bytes = original.size
                rendition = processing.render(original)
                done = processing.finish(
                    photo, original=None if was_ready else original, rendition=rendition, now=now
                )
        except ImageRejectedError as exc:
            attempt.outcome = _refused(photo, reason=exc.reason, was_ready=was_ready, now=now)
            return attempt.outcome, exc.reason
        except BaseException:
            back = PhotoStatus.READY if was_ready else PhotoStatus.PENDING_UPLOAD
            processing.release(photo, status=back)
            raise
        attempt.outcome = Outcome.READY if done else processing.unclaimed(photo.pk)
    return attempt.outcome, ""


def _refused(photo: Photo, *, reason: str, was_ready: bool, now: datetime.datetime) -> Outcome:
    if was_ready:
        logger.warning("Reprocessing refused", extra={"photoId": str(photo.pk), "reason": reason})
        processing.release(photo, status=PhotoStatus.READY)
        return Outcome.REJECTED
    if processing.mark_failed(photo, reason=reason, now=now):
        return Outcome.FAILED
    return processing.unclaimed(photo.pk)


def photo_sweep(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Settle what events alone would leave behind; counts by outcome.

    Presigned uploads whose form has expired (plus slack for clock skew) can receive nothing
    new, so a photo still `pending_upload` either lost its S3 event or was never uploaded:
    processing it makes the first `ready` and the second `failed` ("not found"). A photo
    `processing` past PHOTOS_PROCESSING_TIMEOUT was abandoned by a dead worker: claimed again.
    Files a delete could not remove (an S3 error) are deleted again.
    """
    now = now or timezone.now()
    config = photo_settings()
    cutoff = now - datetime.timedelta(seconds=config.UPLOAD_EXPIRES) - SWEEP_SLACK
    stale = Photo.objects.filter(
        Q(status=PhotoStatus.PENDING_UPLOAD, created_at__lt=cutoff)
        | Q(status=PhotoStatus.PROCESSING, updated_at__lt=now - config.processing_timeout)
    )
    counts: dict[str, int] = {}
    for photo_id in stale.values_list("pk", flat=True).iterator():
        outcome = str(photo_process(photo_id=photo_id, now=now))
        counts[outcome] = counts.get(outcome, 0) + 1
    counts.update(orphans.sweep())
    return counts


@transaction.atomic
def photo_delete(*, photo: Photo, expected_version: int | None = None) -> None:
    """Delete the row; the post_delete receiver deletes every stored file after the commit.

    With `expected_version`, only while the photo is at that version: the row is locked
    (SELECT ... FOR UPDATE WHERE version = n) before the delete, so processing that
    finishes meanwhile cannot slip in between; otherwise StaleVersionError, nothing deleted.
    """
    if expected_version is not None:
        locked = Photo.objects.select_for_update().filter(pk=photo.pk, version=expected_version)
        if not locked.values_list("pk", flat=True):
            current = Photo.objects.filter(pk=photo.pk).values_list("version", flat=True).first()
            if current is None:
                raise PhotoNotFoundError(photo.pk)  # Deleted by a concurrent request.
            raise StaleVersionError(current)
    photo.delete()
