"""Typed photo settings: `settings.PHOTOS` over the defaults below, read at each access."""

from __future__ import annotations

import datetime
from typing import NamedTuple

from apps.common.conf import app_settings

MIB = 1024 * 1024

# Stored originals and derived images live here, outside the upload prefix, so writing
# them never triggers the S3 ObjectCreated notification again. Fixed, not a setting.
PHOTOS_PREFIX = "photos/"
THUMBNAIL_SIZE = 256
DISPLAY_SIZE = 1280


class PhotoSettings(NamedTuple):
    """`settings.PHOTOS` keys and their defaults (the environment sets them as PHOTOS_<KEY>)."""

    # Lambda's synchronous payload limit is 6 MB and binary bodies arrive base64-encoded
    # (4/3 larger), so about 4.5 MB of raw bytes is the most one request can carry:
    # https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
    DIRECT_MAX_BYTES: int = 4 * MIB
    # The largest presigned upload.
    MAX_BYTES: int = 25 * MIB
    # The largest image (width x height), judged from its header before decoding.
    MAX_PIXELS: int = 40_000_000
    # Seconds a presigned upload stays valid.
    UPLOAD_EXPIRES: int = 600
    # Seconds a presigned read URL stays valid (S3 storage).
    URL_EXPIRES: int = 300
    # Where presigned uploads land: the S3 notification's filter in infra/template.yaml.
    UPLOAD_PREFIX: str = "uploads/"
    # Lambda's longest timeout: a photo stuck in `processing` longer than this (seconds) was
    # abandoned (its worker died), whichever function (timeout) processed it.
    PROCESSING_TIMEOUT: int = 900
    # The most memory (bytes) processing one image may take above the process's idle size;
    # an image that would take more is refused before decoding (apps/photos/budget.py).
    MEMORY_BUDGET: int = 128 * MIB
    # Images processed at once per process; more wait up to DECODE_WAIT seconds, then 503.
    # Two per gunicorn worker keeps two workers under the task's 1 GiB (docs/hardening.md).
    MAX_CONCURRENT_DECODES: int = 2
    DECODE_WAIT: int = 10
    # Frames an animated PNG or WebP may have (only the first is used).
    MAX_FRAMES: int = 100
    # How many times its file size an image may expand to when decoded (beyond 16 MiB).
    MAX_EXPANSION: int = 4096

    @property
    def processing_timeout(self) -> datetime.timedelta:
        """How long a claim lasts before another worker may take the photo over."""
        return datetime.timedelta(seconds=self.PROCESSING_TIMEOUT)


DEFAULTS = PhotoSettings()


def photo_settings() -> PhotoSettings:
    """The current photo settings (override_settings works: nothing is cached)."""
    return app_settings("PHOTOS", DEFAULTS)
