"""System checks for photo settings, and the S3 switch in settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from apps.photos.checks import check_photo_settings

ROOT = Path(__file__).resolve().parents[2]


def ids(settings: Any) -> list[str]:
    return [message.id for message in check_photo_settings()]


def test_defaults_pass(settings: Any) -> None:
    assert ids(settings) == []


@pytest.mark.parametrize(
    "name",
    [
        "PHOTOS_DIRECT_MAX_BYTES",
        "PHOTOS_MAX_BYTES",
        "PHOTOS_MAX_PIXELS",
        "PHOTOS_UPLOAD_EXPIRES",
        "PHOTOS_URL_EXPIRES",
        "PHOTOS_PROCESSING_TIMEOUT",
    ],
)
@pytest.mark.parametrize("value", [0, -1, "10", True, None])
def test_limits_must_be_positive_integers(settings: Any, name: str, value: object) -> None:
    setattr(settings, name, value)

    assert "photos.E001" in ids(settings)


def test_direct_limit_above_the_presigned_limit_is_an_error(settings: Any) -> None:
    settings.PHOTOS_DIRECT_MAX_BYTES = 10
    settings.PHOTOS_MAX_BYTES = 5

    assert ids(settings) == ["photos.E002"]


def test_direct_limit_too_big_for_lambda_is_a_warning(settings: Any) -> None:
    settings.PHOTOS_DIRECT_MAX_BYTES = 5 * 1024 * 1024

    assert ids(settings) == ["photos.W001"]


def test_expiry_beyond_sigv4s_seven_days_is_an_error(settings: Any) -> None:
    settings.PHOTOS_UPLOAD_EXPIRES = 8 * 24 * 3600

    assert ids(settings) == ["photos.E004"]


@pytest.mark.parametrize("prefix", ["", "/", "uploads", "/uploads/", "photos/", "photos/in/", 5])
def test_bad_upload_prefixes_are_errors(settings: Any, prefix: object) -> None:
    settings.PHOTOS_UPLOAD_PREFIX = prefix

    assert ids(settings) == ["photos.E003"]


def test_manage_py_check_reports_misconfiguration() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "gatewayproject.settings.test"}
    env["PHOTOS_MAX_BYTES"] = "100"

    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode != 0
    assert "photos.E002" in result.stderr


def test_a_bucket_name_switches_default_storage_to_private_s3() -> None:
    script = (
        "from django.conf import settings as s; import json;"
        "print(json.dumps(s.STORAGES['default']))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gatewayproject.settings.local",
        "AWS_STORAGE_BUCKET_NAME": "my-photos",
        "PHOTOS_URL_EXPIRES": "120",
    }

    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    import json

    default = json.loads(result.stdout)
    assert default["BACKEND"] == "storages.backends.s3.S3Storage"
    options = default["OPTIONS"]
    assert options["bucket_name"] == "my-photos"
    assert (options["querystring_auth"], options["querystring_expire"]) == (True, 120)
    assert options["default_acl"] is None
    assert not {"access_key", "secret_key", "security_token"} & set(options)
