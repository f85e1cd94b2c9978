"""S3 ObjectCreated notifications: process each uploaded photo a notification names.

Reached through `apps.photos.triggers.dispatch` from the photo function's Lambda entry
point (`lambda_runtime.handler.process_photos`); Django must already be set up. Records
that are not ours (another bucket, another event, a key outside the upload prefix) are
skipped and logged; a replayed event finds its photo already claimed and does nothing.
Format: https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import unquote_plus

from django.db import close_old_connections, connections

from apps.photos import services, storage
from apps.photos.models import Photo
from apps.photos.processing import Outcome

logger = logging.getLogger(__name__)


class RecordError(Exception):
    """One or more records failed unexpectedly; raised after all were tried, so Lambda retries."""


def handle_notification(event: dict[str, Any], context: object | None = None) -> dict[str, Any]:
    """Process every record; return {"records": [{"key", "outcome", "reason"?}, ...]}."""
    close_stale_connections()
    results: list[dict[str, str]] = []
    failures = busy = 0
    try:
        for record in event.get("Records") or []:
            try:
                result = _handle_record(record)
            except Exception:
                failures += 1
                logger.exception("Processing an S3 record failed", extra={"record": _where(record)})
                result = {**_where(record), "outcome": "error"}
            busy += result["outcome"] == Outcome.BUSY
            results.append(result)
    finally:
        close_stale_connections()
    if failures or busy:
        # Lambda retries an asynchronous invocation that raised; records already done are
        # skipped by the retry because their photos are no longer pending, and a busy one
        # is then done (skipped) or, if its worker died, claimed again once abandoned.
        raise RecordError(
            f"Of {len(results)} S3 records, {failures} failed and {busy} are being processed "
            "by another worker; see the log."
        )
    return {"records": results}


def close_stale_connections() -> None:
    """Drop stale connections, as Django does around each HTTP request.

    A warm Lambda container keeps its connection between events. Never inside a caller's
    transaction (a test, or a script that wraps the call): closing it would lose the work.
    """
    if not any(conn.in_atomic_block for conn in connections.all(initialized_only=True)):
        close_old_connections()


def _where(record: Any) -> dict[str, str]:
    s3 = record.get("s3") if isinstance(record, dict) else None
    if not isinstance(s3, dict):
        return {"key": ""}
    return {
        "bucket": str((s3.get("bucket") or {}).get("name", "")),
        "key": unquote_plus(str((s3.get("object") or {}).get("key", ""))),
    }


def _skip(where: dict[str, str], reason: str) -> dict[str, str]:
    logger.warning("Ignoring an S3 record", extra={**where, "reason": reason})
    return {**where, "outcome": "ignored", "reason": reason}


def _handle_record(record: Any) -> dict[str, str]:
    where = _where(record)
    if not isinstance(record, dict) or record.get("eventSource") != "aws:s3":
        return _skip(where, "not an S3 record")
    if not str(record.get("eventName", "")).startswith("ObjectCreated:"):
        return _skip(where, f"event {record.get('eventName')!r} is not ObjectCreated")
    if where["bucket"] != storage.bucket_name():
        return _skip(where, "another bucket")
    # Keys arrive URL-encoded, with "+" for spaces (a key "a b" arrives as "a+b").
    photo_id = storage.photo_id_from_upload_key(where["key"])
    if photo_id is None:
        return _skip(where, "not an upload key")
    if not Photo.objects.filter(pk=photo_id).exists():
        # Nobody can upload to this key without a policy we issued for a photo, so the photo
        # was deleted before its bytes arrived: the object would be an orphan.
        storage.delete_quietly([where["key"]])
        return {**where, "outcome": "deleted", "reason": "no such photo"}
    outcome = services.photo_process(photo_id=photo_id)
    if outcome in (Outcome.SKIPPED, Outcome.GONE):
        # The photo is settled or deleted and never reads its upload key again: this object
        # came from a presigned form posted once more before it expired, an orphan.
        storage.delete_quietly([where["key"]])
    logger.info("Processed an S3 upload", extra={**where, "outcome": str(outcome)})
    return {**where, "outcome": str(outcome)}
