"""Size limits on direct uploads: Content-Length up front, and bytes counted while reading."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.test import RequestFactory
from rest_framework.request import Request
from rest_framework.test import APIClient

from apps.photos.models import Photo
from apps.photos.parsers import (
    MULTIPART_OVERHEAD,
    JPEGParser,
    LimitedMultiPartParser,
    PhotoTooLarge,
)
from tests.photos import images

pytestmark = pytest.mark.django_db

SIX_MB = 6 * 1000 * 1000
HINT = (
    "Request Too Long: the file is larger than 4194304 bytes. "
    "Upload larger photos with POST /v1/photos/uploads."
)


def multipart(client: APIClient, data: bytes) -> Any:
    file = io.BytesIO(data)
    file.name = "big.jpg"
    return client.post("/v1/photos", {"file": file}, format="multipart")


def test_six_megabytes_multipart_is_413_with_a_hint(
    api: APIClient, media_files: Callable[[], set[str]]
) -> None:
    response = multipart(api, b"\xff" * SIX_MB)

    assert response.status_code == 413
    assert response.json() == {"message": HINT}
    assert not Photo.objects.exists()
    assert media_files() == set()


def test_six_megabytes_raw_is_413_with_a_hint(api: APIClient) -> None:
    response = api.post("/v1/photos", b"\xff" * SIX_MB, content_type="image/jpeg")

    assert response.status_code == 413
    assert response.json() == {"message": HINT}


def test_file_just_over_the_limit_is_caught_while_reading(api: APIClient, settings: Any) -> None:
    """Content-Length passes the early check (it allows for form framing); the handler doesn't."""
    settings.PHOTOS = {**settings.PHOTOS, "DIRECT_MAX_BYTES": 100_000}

    response = multipart(api, b"\xff" * (100_000 + 1000))

    assert response.status_code == 413
    assert "larger than 100000 bytes" in response.json()["message"]


def test_file_exactly_at_the_limit_is_accepted(api: APIClient, settings: Any) -> None:
    data = images.noisy_jpeg((120, 120))
    settings.PHOTOS = {**settings.PHOTOS, "DIRECT_MAX_BYTES": len(data)}

    assert multipart(api, data).status_code == 201
    assert api.post("/v1/photos", data, content_type="image/jpeg").status_code == 201

    settings.PHOTOS = {**settings.PHOTOS, "DIRECT_MAX_BYTES": len(data) - 1}
    assert multipart(api, data).status_code == 413
    assert api.post("/v1/photos", data, content_type="image/jpeg").status_code == 413


def test_limit_follows_the_setting(api: APIClient, settings: Any) -> None:
    settings.PHOTOS = {**settings.PHOTOS, "DIRECT_MAX_BYTES": 8 * 1024 * 1024}

    response = multipart(api, images.noisy_jpeg((1500, 1200)))  # About 5 MB.

    assert response.status_code == 201, response.json()


def _drf_request(body: bytes, content_type: str, length: str | None) -> Request:
    django_request = RequestFactory().post("/v1/photos", body, content_type=content_type)
    if length is None:
        del django_request.META["CONTENT_LENGTH"]
    else:
        django_request.META["CONTENT_LENGTH"] = length
    return Request(django_request)


@pytest.mark.parametrize("length", [None, "10", "not-a-number"])
def test_raw_parser_counts_bytes_when_the_length_is_missing_or_false(length: str | None) -> None:
    body = b"\xff" * (4 * 1024 * 1024 + 10)
    request = _drf_request(body, "image/jpeg", length)

    with pytest.raises(PhotoTooLarge):
        JPEGParser().parse(io.BytesIO(body), "image/jpeg", {"request": request})


def test_raw_parser_refuses_a_declared_length_before_reading() -> None:
    request = _drf_request(b"", "image/jpeg", str(SIX_MB))
    stream = io.BytesIO(b"")  # Nothing to read: the refusal must come from the header alone.

    with pytest.raises(PhotoTooLarge):
        JPEGParser().parse(stream, "image/jpeg", {"request": request})


def test_multipart_parser_refuses_a_declared_length_before_reading() -> None:
    declared = 4 * 1024 * 1024 + MULTIPART_OVERHEAD + 1
    request = _drf_request(b"", "multipart/form-data; boundary=x", str(declared))

    with pytest.raises(PhotoTooLarge):
        LimitedMultiPartParser().parse(io.BytesIO(b""), "multipart/form-data", {"request": request})
