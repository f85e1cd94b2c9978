"""Typed photo settings, read from django.conf.settings at each access (never at import)."""

from __future__ import annotations

import datetime

from django.conf import settings

MIB = 1024 * 1024

# Lambda's synchronous payload limit is 6 MB and binary bodies arrive base64-encoded
# (4/3 larger), so about 4.5 MB of raw bytes is the most one request can carry:
# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
DEFAULT_DIRECT_MAX_BYTES = 4 * MIB
DEFAULT_MAX_BYTES = 25 * MIB
DEFAULT_MAX_PIXELS = 40_000_000
DEFAULT_UPLOAD_EXPIRES = 600
DEFAULT_URL_EXPIRES = 300
DEFAULT_UPLOAD_PREFIX = "uploads/"
# Stored originals and derived images live here, outside the upload prefix, so writing
# them never triggers the S3 ObjectCreated notification again.
PHOTOS_PREFIX = "photos/"
THUMBNAIL_SIZE = 256
DISPLAY_SIZE = 1280
# Lambda's longest timeout: a photo stuck in `processing` longer than this was abandoned
# (its worker died), whichever function (timeout) processed it.
DEFAULT_PROCESSING_TIMEOUT = 900


class PhotoSettings:
    """`conf.photos.DIRECT_MAX_BYTES` etc.; override_settings works because nothing is cached."""

    @property
    def DIRECT_MAX_BYTES(self) -> int:  # noqa: N802 (settings are upper case)
        return int(getattr(settings, "PHOTOS_DIRECT_MAX_BYTES", DEFAULT_DIRECT_MAX_BYTES))

    @property
    def MAX_BYTES(self) -> int:  # noqa: N802
        return int(getattr(settings, "PHOTOS_MAX_BYTES", DEFAULT_MAX_BYTES))

    @property
    def MAX_PIXELS(self) -> int:  # noqa: N802
        return int(getattr(settings, "PHOTOS_MAX_PIXELS", DEFAULT_MAX_PIXELS))

    @property
    def UPLOAD_EXPIRES(self) -> int:  # noqa: N802
        """Seconds a presigned upload stays valid."""
        return int(getattr(settings, "PHOTOS_UPLOAD_EXPIRES", DEFAULT_UPLOAD_EXPIRES))

    @property
    def URL_EXPIRES(self) -> int:  # noqa: N802
        """Seconds a presigned read URL stays valid (S3 storage)."""
        return int(getattr(settings, "PHOTOS_URL_EXPIRES", DEFAULT_URL_EXPIRES))

    @property
    def PROCESSING_TIMEOUT(self) -> datetime.timedelta:  # noqa: N802
        """How long a claim lasts before another worker may take the photo over."""
        seconds = getattr(settings, "PHOTOS_PROCESSING_TIMEOUT", DEFAULT_PROCESSING_TIMEOUT)
        return datetime.timedelta(seconds=int(seconds))

    @property
    def UPLOAD_PREFIX(self) -> str:  # noqa: N802
        return str(getattr(settings, "PHOTOS_UPLOAD_PREFIX", DEFAULT_UPLOAD_PREFIX))


photos = PhotoSettings()
