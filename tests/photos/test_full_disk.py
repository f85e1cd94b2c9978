"""A full disk under local media: a direct upload that fails leaves no file and no row, the
client gets a JSON 503 with Retry-After, and once space is back the same upload works.

MEDIA_ROOT is a tmpfs of its own for each test (tests.faults.SmallDisk), so writes fail
with a real ENOSPC midway through a file, as on a full disk.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from rest_framework.test import APIClient

from apps.photos.models import Photo
from tests.faults import SmallDisk

# Fault suite (docs/hardening.md): runs on SQLite and in the PostgreSQL leg.
pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]

UNAVAILABLE = {"message": "Service Unavailable"}


@pytest.fixture
def disk(tmp_path: Path, settings: Any) -> Iterator[SmallDisk]:
    with SmallDisk(tmp_path / "small-media", size=4 * 1024 * 1024) as small:
        if not small.real:
            pytest.skip("mounting a tmpfs (a disk that fills up) needs root")
        settings.MEDIA_ROOT = str(small.path)
        yield small


def noisy_png(side: int = 300) -> bytes:
    """Random pixels: a PNG that does not compress (about side * side * 3 bytes)."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "PNG")
    return out.getvalue()


def upload(api: APIClient, data: bytes) -> Any:
    return api.post("/v1/photos", data, content_type="image/png")


def test_a_direct_upload_on_a_full_disk_leaves_no_file_and_no_row(
    api: APIClient, disk: SmallDisk
) -> None:
    image = noisy_png()
    disk.fill(leave=64 * 1024)  # Less than the original: its write fails midway.

    response = upload(api, image)

    assert disk.files() == set()  # No truncated original.
    assert not Photo.objects.exists()
    assert response.status_code == 503
    assert response.json() == UNAVAILABLE
    assert response["Retry-After"] == "5"


def test_a_failure_on_a_later_file_deletes_the_earlier_ones(
    api: APIClient, disk: SmallDisk
) -> None:
    image = noisy_png()
    disk.fill(leave=len(image) + 16 * 1024)  # The original fits, the display image does not.

    response = upload(api, image)

    assert response.status_code == 503
    assert disk.files() == set()
    assert not Photo.objects.exists()


def test_uploads_work_again_once_there_is_space(api: APIClient, disk: SmallDisk) -> None:
    image = noisy_png()
    disk.fill(leave=64 * 1024)
    assert upload(api, image).status_code == 503

    disk.free_up()
    response = upload(api, image)

    assert response.status_code == 201, response.content
    photo = Photo.objects.get()
    assert {photo.original.name, photo.display.name, photo.thumbnail.name} == disk.files()
    assert (disk.path / photo.original.name).read_bytes() == image
