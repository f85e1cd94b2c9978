"""The processing core shared by every upload path: measure, render, store, record.

Storage writes happen before the row changes and are deleted again if anything after them
fails; storage deletes happen after the commit. So a failure leaves neither an orphan object
nor a row that points at a missing or wrong file.
"""

from __future__ import annotations

import datetime
import enum
import logging
import threading
import time
import uuid
from collections.abc import Iterable
from contextvars import Token
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import F, Q, QuerySet

from apps.common import metrics, tracing
from apps.common.events import publish
from apps.common.exceptions import BackendUnavailableError
from apps.common.logging import request_context
from apps.photos import events, storage
from apps.photos.conf import DISPLAY_SIZE, THUMBNAIL_SIZE, photo_settings
from apps.photos.exceptions import too_large
from apps.photos.formats import EXTENSIONS, ImageRejectedError
from apps.photos.models import REASON_MAX_LENGTH, Photo, PhotoStatus
from apps.photos.storage import Original

if TYPE_CHECKING:
    from apps.photos.imaging import Rendition

logger = logging.getLogger(__name__)

SIZES = (DISPLAY_SIZE, THUMBNAIL_SIZE)


class Outcome(enum.StrEnum):
    """What one processing attempt did."""

    READY = "ready"
    FAILED = "failed"
    SKIPPED = "skipped"  # Not claimable: already settled (ready or failed), or not pending.
    BUSY = "busy"  # Another worker is processing it now; try again later.
    GONE = "gone"  # The photo does not exist (any more); whatever was stored was deleted.
    REJECTED = "rejected"  # Reprocessing: the original no longer renders; the photo is kept.
    ERROR = "error"  # Unexpected: handed back for a retry (the photo function raises).


class Attempt:
    """One processing attempt, measured: a metrics line when it ends (PhotosProcessed,
    PhotoProcessingTime and PhotoBytes by Outcome, apps.common.metrics.PHOTOS), and the
    trace id of the upload that created the photo (`uploadTraceId`) on every log line
    written meanwhile. `outcome` stays ERROR unless the caller sets it.
    """

    def __init__(self, photo: Photo | None, *, size: int = 0) -> None:
        self.photo = photo
        self.bytes = size
        self.outcome: str = Outcome.ERROR
        self._started = 0.0
        self._token: Token[dict[str, Any] | None] | None = None
        self._span: Any = None

    def __enter__(self) -> Attempt:
        context = dict(request_context.get() or {})
        if self.photo is not None and self.photo.trace_id:
            context["uploadTraceId"] = self.photo.trace_id
        self._token = request_context.set(context)
        self._span = tracing.span("photos.process")
        self._span.__enter__()
        self._started = time.perf_counter()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        elapsed_ms = round((time.perf_counter() - self._started) * 1000, 3)
        try:
            self._span.__exit__(exc_type, exc, tb)
            metrics.emit(
                "photo processed",
                metrics.PHOTOS,
                {"PhotosProcessed": 1, "PhotoProcessingTime": elapsed_ms, "PhotoBytes": self.bytes},
                {"Outcome": str(self.outcome)},
                photoId=str(self.photo.pk) if self.photo is not None else "",
            )
        finally:
            if self._token is not None:
                request_context.reset(self._token)


def claim(photo_id: uuid.UUID, *, statuses: Iterable[str], now: datetime.datetime) -> Photo | None:
    """Move the photo to `processing` if it is in one of `statuses`; the claimed row, or None.

    One conditional UPDATE, so a replayed S3 event or a second worker can never process a
    photo twice. A photo left in `processing` longer than PHOTOS_PROCESSING_TIMEOUT was
    abandoned (the worker died) and may be claimed again. The claim bumps `version`, which
    fences every later write: a worker whose claim was taken over can no longer record.
    """
    abandoned = Q(
        status=PhotoStatus.PROCESSING, updated_at__lt=now - photo_settings().processing_timeout
    )
    updated = (
        Photo.objects.filter(pk=photo_id)
        .filter(Q(status__in=list(statuses)) | abandoned)
        .update(status=PhotoStatus.PROCESSING, updated_at=now, version=F("version") + 1)
    )
    if not updated:
        return None
    return Photo.objects.filter(pk=photo_id).first()  # None if deleted since the UPDATE.


def unclaimed(photo_id: uuid.UUID) -> Outcome:
    """Why a claim failed: BUSY while another worker holds it, GONE, or SKIPPED."""
    status = Photo.objects.filter(pk=photo_id).values_list("status", flat=True).first()
    if status is None:
        return Outcome.GONE
    return Outcome.BUSY if status == PhotoStatus.PROCESSING else Outcome.SKIPPED


def _ours(photo: Photo) -> QuerySet[Photo]:
    """The claimed row, only while our claim holds (same version, still processing)."""
    return Photo.objects.filter(pk=photo.pk, status=PhotoStatus.PROCESSING, version=photo.version)


def read_stored(name: str) -> Original:
    """The stored original, size-checked before and while reading it."""
    store = storage.storage()
    max_bytes = photo_settings().MAX_BYTES
    try:
        if storage.size(name) > max_bytes:
            raise ImageRejectedError(too_large(max_bytes))
        with store.open(name, "rb") as fp:
            original = storage.read_original(fp, max_bytes=max_bytes)
    except FileNotFoundError:
        raise ImageRejectedError("The uploaded file was not found.") from None
    if original is None:
        raise ImageRejectedError(too_large(max_bytes))
    if original.size == 0:
        original.file.close()
        raise ImageRejectedError("The file is empty.")
    return original


class ProcessingBusyError(BackendUnavailableError):
    """Every decode slot of this process stayed taken for PHOTOS["DECODE_WAIT"] seconds."""


_slots: tuple[int, threading.BoundedSemaphore] | None = None
_slots_lock = threading.Lock()


def _decode_slots(size: int) -> threading.BoundedSemaphore:
    """The process's PHOTOS["MAX_CONCURRENT_DECODES"] slots (made anew if the setting changed)."""
    global _slots
    with _slots_lock:
        if _slots is None or _slots[0] != size:
            _slots = (size, threading.BoundedSemaphore(size))
        return _slots[1]


def render(original: Original) -> Rendition:
    """The derived images, made in one of the process's decode slots: each image may take up
    to PHOTOS["MEMORY_BUDGET"], so the slots bound what a process takes for images."""
    # Pillow is imported here, by the first photo processed, not when the app loads.
    from apps.photos import imaging

    config = photo_settings()
    limits = imaging.Limits(
        max_pixels=config.MAX_PIXELS,
        memory_budget=config.MEMORY_BUDGET,
        max_frames=config.MAX_FRAMES,
        max_expansion=config.MAX_EXPANSION,
    )
    slots = _decode_slots(config.MAX_CONCURRENT_DECODES)
    if not slots.acquire(timeout=config.DECODE_WAIT):
        raise ProcessingBusyError("Every photo decode slot is busy.")
    try:
        original.file.seek(0)
        with tracing.span("photos.render", bytes=original.size):
            return imaging.render(
                original.file, sizes=SIZES, max_pixels=config.MAX_PIXELS, limits=limits
            )
    finally:
        slots.release()


def store_files(
    photo_id: uuid.UUID,
    *,
    original: Original | None,
    rendition: Rendition,
    tag: int,
    saved: list[str],
) -> dict[str, str]:
    """Write the original (when given) and the derived images; names by field.

    Every name carries `tag` (the claim's version), so a retry, a reprocess or a worker
    that took over an abandoned claim writes new keys: bytes a row points to are never
    overwritten, and deleting one attempt's files never deletes another's.
    """
    names: dict[str, str] = {}
    if original is not None:
        extension = EXTENSIONS[rendition.content_type]
        original.file.seek(0)
        key = storage.stored_key(photo_id, f"{storage.ORIGINAL}-{tag}", extension)
        names["original"] = storage.save(key, original.file, saved=saved)
    for field, limit in (("display", DISPLAY_SIZE), ("thumbnail", THUMBNAIL_SIZE)):
        key = storage.stored_key(photo_id, f"{field}-{tag}", "jpg")
        names[field] = storage.save(key, rendition.derived[limit], saved=saved)
    return names


def facts(
    *, names: dict[str, str], original: Original | None, rendition: Rendition
) -> dict[str, object]:
    """The fields a processed photo gets: what was measured, and where the files are."""
    values: dict[str, object] = {
        "status": PhotoStatus.READY,
        "failure_reason": "",
        "width": rendition.width,
        "height": rendition.height,
        "content_type": rendition.content_type,
        **names,
    }
    if original is not None:
        values |= {"size": original.size, "checksum": original.checksum}
    return values


def mark_ready(
    photo: Photo,
    *,
    names: dict[str, str],
    original: Original | None,
    rendition: Rendition,
    now: datetime.datetime,
) -> bool:
    """Record the result if our claim still holds; False if the photo vanished or was taken.

    Every name the row had and no longer has (the upload key, older derived images) is
    deleted after the commit.
    """
    values = facts(names=names, original=original, rendition=rendition)
    values |= {"processed_at": now, "updated_at": now, "version": F("version") + 1}
    kept = set(names.values()) | ({photo.original.name} if original is None else set())
    obsolete = [name for name in photo.stored_names() if name not in kept]
    with transaction.atomic():
        updated = _ours(photo).update(**values)
        if updated:
            transaction.on_commit(partial(storage.delete_quietly, obsolete))
            _publish(events.READY, photo.pk)
    return updated == 1


def mark_failed(photo: Photo, *, reason: str, now: datetime.datetime) -> bool:
    """`failed` with a reason, and every stored byte of the photo deleted after the commit."""
    logger.info("Photo rejected", extra={"photoId": str(photo.pk), "reason": reason})
    doomed = [*photo.stored_names(), storage.upload_key(photo.pk)]
    with transaction.atomic():
        updated = _ours(photo).update(
            status=PhotoStatus.FAILED,
            failure_reason=reason[:REASON_MAX_LENGTH],
            original="",
            display="",
            thumbnail="",
            processed_at=now,
            updated_at=now,
            version=F("version") + 1,
        )
        if updated:
            transaction.on_commit(partial(storage.delete_quietly, doomed))
            _publish(events.FAILED, photo.pk)
    return updated == 1


def _publish(event_type: str, photo_id: uuid.UUID) -> None:
    """Publish the photo as this transaction wrote it (read back under the row lock the
    UPDATE holds), delivered when it commits."""
    publish(events.photo_event(event_type, Photo.objects.get(pk=photo_id)))


def release(photo: Photo, *, status: str) -> None:
    """Hand a claimed photo back (to `status`, with its files untouched), if still ours."""
    _ours(photo).update(status=status)


def finish(
    photo: Photo,
    *,
    original: Original | None,
    rendition: Rendition,
    now: datetime.datetime,
) -> bool:
    """Store the files and record them; on any failure delete what was stored and re-raise.

    False when the photo was deleted (or taken over) meanwhile: what we stored belongs to
    nobody and is deleted at once, so a deleted photo is never resurrected or left with files.
    """
    saved: list[str] = []
    try:
        names = store_files(
            photo.pk, original=original, rendition=rendition, tag=photo.version, saved=saved
        )
        done = mark_ready(photo, names=names, original=original, rendition=rendition, now=now)
    except BaseException:
        storage.delete_quietly(saved)
        raise
    if not done:
        storage.delete_quietly(saved)
    return done
