"""Storage keys and file operations for photos, on whatever STORAGES["default"] is.

Nothing here imports boto3: on S3 the storage object does, the first time a photo needs it.
"""

from __future__ import annotations

import hashlib
import logging
import re
import tempfile
import uuid
from collections.abc import Iterable
from typing import IO, Any

from django.core.files.base import ContentFile, File
from django.core.files.storage import Storage, storages
from django.db import DatabaseError
from django.db.models import F

from apps.common.exceptions import BackendUnavailableError
from apps.photos.conf import PHOTOS_PREFIX, photo_settings
from apps.photos.models import REASON_MAX_LENGTH, OrphanedFile

logger = logging.getLogger(__name__)

ORIGINAL = "original"
CHUNK = 1024 * 1024
_UPLOAD_KEY = re.compile(
    r"^(?P<id>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/original$"
)


def storage() -> Storage:
    """STORAGES["default"] itself (not the lazy `default_storage` proxy), so its type is real."""
    return storages["default"]


def is_s3(store: Storage | None = None) -> bool:
    """Whether the storage is django-storages' S3 backend, checked without importing it."""
    store = store or storage()
    return any(cls.__module__ == "storages.backends.s3" for cls in type(store).__mro__)


def bucket_name() -> str | None:
    return getattr(storage(), "bucket_name", None) if is_s3() else None


def url(name: str) -> str:
    """Where to read a stored file: on S3 a URL presigned for PHOTOS["URL_EXPIRES"] seconds."""
    store: Any = storage()
    if is_s3(store):
        return str(store.url(name, expire=photo_settings().URL_EXPIRES))
    return str(store.url(name))


def upload_key(photo_id: uuid.UUID) -> str:
    """Where a presigned upload puts the original: under the prefix that triggers processing."""
    return f"{photo_settings().UPLOAD_PREFIX}{photo_id}/{ORIGINAL}"


def photo_id_from_upload_key(key: str) -> uuid.UUID | None:
    """The photo id in an upload key, or None for any key we did not hand out."""
    prefix = photo_settings().UPLOAD_PREFIX
    if not key.startswith(prefix):
        return None
    match = _UPLOAD_KEY.match(key[len(prefix) :])
    return uuid.UUID(match["id"]) if match else None


def stored_key(photo_id: uuid.UUID, kind: str, extension: str) -> str:
    """Where processed files live: outside the upload prefix, so writing them triggers nothing."""
    return f"{PHOTOS_PREFIX}{photo_id}/{kind}.{extension}"


def size(name: str) -> int:
    """The stored object's size; FileNotFoundError when there is none.

    On S3 this lists the key instead of a HEAD: without s3:ListBucket a HEAD of a missing key
    is a 403 (not a 404), so a never-uploaded photo would look like a permission error. The
    photo function may list only under its own prefixes (an s3:prefix condition).
    """
    store: Any = storage()
    if not is_s3(store):
        return int(store.size(name))
    client = store.connection.meta.client
    listing = client.list_objects_v2(Bucket=store.bucket_name, Prefix=name, MaxKeys=1)
    for item in listing.get("Contents", []):
        if item["Key"] == name:
            return int(item["Size"])
    raise FileNotFoundError(name)


class Original:
    """The original's bytes in a seekable file (memory or disk), measured as they were read."""

    # A plain class, not a dataclass: a dataclass compiles its methods when the module is
    # imported, at every Lambda cold start (nothing compares or prints these).
    __slots__ = ("checksum", "file", "size")

    def __init__(self, file: IO[bytes], size: int, checksum: str) -> None:
        self.file = file
        self.size = size
        self.checksum = checksum

    # A spooled file past its memory limit is a real temporary file: always close it.
    def __enter__(self) -> Original:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.file.close()


def read_original(fp: IO[bytes], *, max_bytes: int) -> Original | None:
    """Copy `fp` into a spooled temporary file while hashing; None when over `max_bytes`.

    Reading stops one chunk past the limit, so a client that lies about its size (or an
    object replaced after a HEAD) never makes us hold more than that.
    """
    digest = hashlib.sha256()
    size = 0
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=8 * CHUNK)  # noqa: SIM115
    while chunk := fp.read(CHUNK):
        size += len(chunk)
        if size > max_bytes:
            spool.close()
            return None
        digest.update(chunk)
        spool.write(chunk)
    spool.seek(0)
    return Original(file=spool, size=size, checksum=digest.hexdigest())


class StorageUnavailableError(BackendUnavailableError):
    """A write to photo storage failed (a full disk, an S3 error); nothing of it is left."""


def is_storage_failure(exc: BaseException) -> bool:
    """An error of the storage itself (the filesystem, or boto's S3 client), not a bug."""
    return isinstance(exc, OSError) or type(exc).__module__.startswith(("botocore.", "boto3."))


def save(name: str, content: bytes | IO[bytes], *, saved: list[str]) -> str:
    """Save under exactly `name` (or what the storage chose); record it in `saved` for undo.

    A write that fails midway on a filesystem (a full disk) leaves part of a file behind:
    it is deleted before the error is raised, as StorageUnavailableError when the storage
    itself failed. An S3 PUT is atomic (a failed multipart upload is aborted): nothing to undo.
    """
    store = storage()
    data: File[Any] = ContentFile(content) if isinstance(content, bytes) else File(content)
    # The name the storage will write to: free now, so whatever is there after a failure
    # is ours (keys are unique per photo and attempt).
    target = store.get_available_name(name)
    try:
        stored = store.save(target, data)
    except Exception as exc:
        if not is_s3(store):
            delete_quietly([target])
        if is_storage_failure(exc):
            raise StorageUnavailableError(f"Could not store {name}: {exc}") from exc
        raise
    saved.append(stored)
    return stored


def delete_quietly(names: Iterable[str]) -> None:
    """Delete each name; log and go on when one fails, so one error leaves the fewest orphans.

    A name that could not be deleted is remembered (OrphanedFile): the scheduled sweep
    (apps.photos.orphans) deletes it once storage works again.
    """
    store = storage()
    for name in names:
        if not name:
            continue
        try:
            store.delete(name)
        except Exception as exc:  # Storage backends raise their own types (botocore, OSError).
            logger.exception("Could not delete a stored photo file", extra={"key": name})
            remember_orphan(name, exc)


def remember_orphan(name: str, error: BaseException) -> None:
    """Record `name` for the sweep; never raises (the database may be failing too)."""
    reason = f"{type(error).__name__}: {error}"[:REASON_MAX_LENGTH]
    try:
        updated = OrphanedFile.objects.filter(name=name).update(
            attempts=F("attempts") + 1, last_error=reason
        )
        if not updated:
            OrphanedFile.objects.get_or_create(name=name, defaults={"last_error": reason})
    except DatabaseError:
        logger.exception("Could not record a file left in storage", extra={"key": name})
