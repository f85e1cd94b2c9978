"""System checks for photo settings, and the S3 switch in settings."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from apps.photos.checks import check_photo_settings
from apps.photos.conf import DEFAULTS, PhotoSettings, photo_settings
from tests.subprocesses import run_python

ROOT = Path(__file__).resolve().parents[2]


def ids(settings: Any) -> list[str]:
    return [message.id for message in check_photo_settings()]


def test_defaults_pass(settings: Any) -> None:
    assert ids(settings) == []


@pytest.mark.parametrize(
    "name",
    [
        "DIRECT_MAX_BYTES",
        "MAX_BYTES",
        "MAX_PIXELS",
        "UPLOAD_EXPIRES",
        "URL_EXPIRES",
        "PROCESSING_TIMEOUT",
    ],
)
@pytest.mark.parametrize("value", [0, -1, "10", True, None, 1.5])
def test_limits_must_be_positive_integers(settings: Any, name: str, value: object) -> None:
    settings.PHOTOS = {**settings.PHOTOS, name: value}

    assert "photos.E001" in ids(settings)


def test_unknown_keys_are_an_error_and_ignored_at_run_time(settings: Any) -> None:
    settings.PHOTOS = {"MAX_BYTE": 5, "MAX_BYTES": 5_000_000}

    messages = check_photo_settings()

    assert [message.id for message in messages] == ["photos.E005"]
    assert "MAX_BYTE" in messages[0].msg
    assert photo_settings() == PhotoSettings(MAX_BYTES=5_000_000)


@pytest.mark.parametrize("value", ["MAX_BYTES=5", ["MAX_BYTES"], 5])
def test_a_namespace_that_is_not_a_dict_is_an_error(settings: Any, value: object) -> None:
    settings.PHOTOS = value

    assert ids(settings) == ["photos.E005"]
    assert photo_settings() == PhotoSettings()


def test_settings_are_read_at_each_access(settings: Any) -> None:
    settings.PHOTOS = {"UPLOAD_PREFIX": "in/", "PROCESSING_TIMEOUT": 60}
    assert photo_settings().UPLOAD_PREFIX == "in/"
    assert photo_settings().processing_timeout == datetime.timedelta(minutes=1)

    settings.PHOTOS = {}

    assert photo_settings() == PhotoSettings()
    assert photo_settings().UPLOAD_PREFIX == "uploads/"


def test_direct_limit_above_the_presigned_limit_is_an_error(settings: Any) -> None:
    settings.PHOTOS = {**settings.PHOTOS, "DIRECT_MAX_BYTES": 10}
    settings.PHOTOS = {**settings.PHOTOS, "MAX_BYTES": 5}

    assert ids(settings) == ["photos.E002"]


def test_direct_limit_too_big_for_lambda_is_a_warning(settings: Any) -> None:
    settings.PHOTOS = {**settings.PHOTOS, "DIRECT_MAX_BYTES": 5 * 1024 * 1024}

    assert ids(settings) == ["photos.W001"]


def test_expiry_beyond_sigv4s_seven_days_is_an_error(settings: Any) -> None:
    settings.PHOTOS = {**settings.PHOTOS, "UPLOAD_EXPIRES": 8 * 24 * 3600}

    assert ids(settings) == ["photos.E004"]


@pytest.mark.parametrize("prefix", ["", "/", "uploads", "/uploads/", "photos/", "photos/in/", 5])
def test_bad_upload_prefixes_are_errors(settings: Any, prefix: object) -> None:
    settings.PHOTOS = {**settings.PHOTOS, "UPLOAD_PREFIX": prefix}

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
    }

    result = run_python(script, env=env)

    assert result.returncode == 0, result.stderr
    default = json.loads(result.stdout)
    assert default["BACKEND"] == "storages.backends.s3.S3Storage"
    options = default["OPTIONS"]
    assert options["bucket_name"] == "my-photos"
    # The expiry is PHOTOS["URL_EXPIRES"], given at each url() (tests/photos/test_s3.py).
    assert options["querystring_auth"] is True
    assert options["default_acl"] is None
    assert not {"access_key", "secret_key", "security_token"} & set(options)


def test_the_environment_sets_only_the_keys_it_names() -> None:
    """PHOTOS_<KEY> variables become PHOTOS[<KEY>], cast; unset ones keep conf.py's default."""
    script = (
        "from django.conf import settings as s; import json;"
        "from apps.photos.conf import photo_settings;"
        "print(json.dumps([s.PHOTOS, s.API_KEYS, photo_settings().MAX_BYTES]))"
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PHOTOS_", "REDIS_", "API_KEYS_"))
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": "gatewayproject.settings.local",
        "PHOTOS_URL_EXPIRES": "120",
        "PHOTOS_UPLOAD_PREFIX": "incoming/",
        "API_KEYS_REDIS_KEY_PREFIX": "mine",
    }

    result = run_python(script, env=env)

    assert result.returncode == 0, result.stderr
    photos, api_keys, max_bytes = json.loads(result.stdout)
    assert photos == {"URL_EXPIRES": 120, "UPLOAD_PREFIX": "incoming/"}
    assert api_keys == {"REDIS_KEY_PREFIX": "mine"}
    assert max_bytes == DEFAULTS.MAX_BYTES == 25 * 1024 * 1024


def test_a_variable_that_is_not_a_number_stops_start_up() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "gatewayproject.settings.local"}
    env["PHOTOS_MAX_BYTES"] = "25MB"

    result = run_python("import django; django.setup()", env=env)

    assert result.returncode != 0
    assert "25MB" in result.stderr
