"""Presigned uploads: an S3 POST policy, or the same form against a signed local endpoint.

Both give the client `url`, `method`, `fields` and `expires_at`; the client posts the fields
plus `file` as multipart/form-data and never learns which one it talked to.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any, NamedTuple

from django.core import signing
from django.urls import reverse

from apps.photos import storage
from apps.photos.exceptions import PolicyError

_SALT = "apps.photos.uploads.local"


class PresignedUpload(NamedTuple):
    url: str
    method: str
    fields: dict[str, str]
    expires_at: datetime.datetime


class LocalPolicy(NamedTuple):
    """What a local upload form was signed for."""

    photo_id: uuid.UUID
    key: str
    content_type: str
    max_bytes: int
    expires_at: datetime.datetime


def presign(
    *,
    photo_id: uuid.UUID,
    content_type: str,
    max_bytes: int,
    expires_in: int,
    now: datetime.datetime,
) -> PresignedUpload:
    """A POST policy for exactly one key, one content type and 1..max_bytes bytes."""
    key = storage.upload_key(photo_id)
    expires_at = now + datetime.timedelta(seconds=expires_in)
    if storage.is_s3():
        return _presign_s3(key, content_type, max_bytes, expires_in, expires_at)
    policy = {
        "photo": str(photo_id),
        "key": key,
        "content_type": content_type,
        "max_bytes": max_bytes,
        "expires_at": int(expires_at.timestamp()),
    }
    fields = {
        "key": key,
        "Content-Type": content_type,
        "policy": signing.dumps(policy, salt=_SALT, compress=True),
    }
    return PresignedUpload(reverse("photos:upload-local"), "POST", fields, expires_at)


def _presign_s3(
    key: str, content_type: str, max_bytes: int, expires_in: int, expires_at: datetime.datetime
) -> PresignedUpload:
    # https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html
    store: Any = storage.storage()
    client = store.connection.meta.client
    post = client.generate_presigned_post(
        Bucket=store.bucket_name,
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
        ExpiresIn=expires_in,
    )
    fields = {str(name): str(value) for name, value in post["fields"].items()}
    return PresignedUpload(str(post["url"]), "POST", fields, expires_at)


def verify_local(*, fields: dict[str, str], now: datetime.datetime) -> LocalPolicy:
    """Check a local form post against its signed policy, the way S3 checks a POST policy."""
    try:
        raw = signing.loads(fields.get("policy", ""), salt=_SALT)
        policy = LocalPolicy(
            photo_id=uuid.UUID(raw["photo"]),
            key=str(raw["key"]),
            content_type=str(raw["content_type"]),
            max_bytes=int(raw["max_bytes"]),
            expires_at=datetime.datetime.fromtimestamp(int(raw["expires_at"]), datetime.UTC),
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise PolicyError("Invalid according to Policy: the signature does not match.") from None
    if now >= policy.expires_at:
        raise PolicyError("Invalid according to Policy: Policy expired.")
    if fields.get("key") != policy.key:
        raise PolicyError('Invalid according to Policy: Policy Condition failed: ["eq", "$key"]')
    if fields.get("Content-Type") != policy.content_type:
        raise PolicyError(
            'Invalid according to Policy: Policy Condition failed: ["eq", "$Content-Type"]'
        )
    return policy
