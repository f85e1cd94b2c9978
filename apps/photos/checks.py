"""System checks: photo settings that would fail at the first upload fail at start-up instead.

Registered at ready() (apps.photos.apps); apps.photos.conf is imported when the check runs,
so a process that runs no checks and no photos code (a Lambda cold start serving a pets
request) does not load it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from apps.common.conf import check_namespace

# Base64 makes a body 4/3 larger and Lambda accepts 6 MB synchronously, so 4.5 MB of raw
# bytes is the ceiling; leave room for multipart framing.
# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
LAMBDA_SAFE_DIRECT_BYTES = 4_500_000
# SigV4 presigned requests live at most 7 days.
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-presigned-url.html
SIGV4_MAX_EXPIRES = 7 * 24 * 3600

_POSITIVE = (
    "DIRECT_MAX_BYTES",
    "MAX_BYTES",
    "MAX_PIXELS",
    "UPLOAD_EXPIRES",
    "URL_EXPIRES",
    "PROCESSING_TIMEOUT",
    "MEMORY_BUDGET",
    "MAX_CONCURRENT_DECODES",
    "DECODE_WAIT",
    "MAX_FRAMES",
    "MAX_EXPANSION",
)


@checks.register()
def check_photo_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from apps.photos import conf

    errors = check_namespace("PHOTOS", conf.DEFAULTS, id="photos.E005")
    # Read raw, not through conf.photo_settings(): the values are not trusted yet.
    configured = getattr(settings, "PHOTOS", None)
    given = configured if isinstance(configured, dict) else {}
    values: dict[str, int] = {}
    for name in _POSITIVE:
        value = given.get(name, getattr(conf.DEFAULTS, name))
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            errors.append(
                checks.Error(
                    f"PHOTOS[{name!r}] must be a positive integer, not {value!r}.",
                    id="photos.E001",
                )
            )
        else:
            values[name] = value
    errors += _check_limits(values)
    errors += _check_prefix(given.get("UPLOAD_PREFIX", conf.DEFAULTS.UPLOAD_PREFIX))
    return errors


def _check_limits(values: dict[str, int]) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    direct, largest = values.get("DIRECT_MAX_BYTES"), values.get("MAX_BYTES")
    if direct and largest and direct > largest:
        errors.append(
            checks.Error(
                "PHOTOS['DIRECT_MAX_BYTES'] is larger than PHOTOS['MAX_BYTES'].",
                hint="Direct uploads are the small path; make it at most MAX_BYTES.",
                id="photos.E002",
            )
        )
    if direct and direct > LAMBDA_SAFE_DIRECT_BYTES:
        errors.append(
            checks.Warning(
                f"PHOTOS['DIRECT_MAX_BYTES'] ({direct}) cannot pass through AWS Lambda.",
                hint="Lambda's 6 MB payload includes base64, about 4.5 MB of raw bytes.",
                id="photos.W001",
            )
        )
    for name in ("UPLOAD_EXPIRES", "URL_EXPIRES"):
        if values.get(name, 0) > SIGV4_MAX_EXPIRES:
            errors.append(
                checks.Error(f"PHOTOS[{name!r}] is longer than SigV4's 7 days.", id="photos.E004")
            )
    return errors


def _check_prefix(prefix: object) -> list[checks.CheckMessage]:
    from apps.photos import conf

    valid = (
        isinstance(prefix, str)
        and prefix.endswith("/")
        and not prefix.startswith("/")
        and prefix.strip("/") != ""
        and not prefix.startswith(conf.PHOTOS_PREFIX)
        and not conf.PHOTOS_PREFIX.startswith(prefix)
    )
    if valid:
        return []
    return [
        checks.Error(
            f"PHOTOS['UPLOAD_PREFIX'] {prefix!r} is not a usable key prefix.",
            hint=f'Use a relative prefix ending in "/" that does not overlap '
            f"{conf.PHOTOS_PREFIX!r}, such as {conf.DEFAULTS.UPLOAD_PREFIX!r}.",
            id="photos.E003",
        )
    ]
