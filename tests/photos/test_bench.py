"""The photo benchmark measures what it says: the same file, 256 px thumbnails, draft() or not."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
from PIL import Image

from tests.photos import images
from tests.scripts import load_script


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_script("benchmarks/bench_photos.py")


def test_every_method_makes_a_thumbnail_of_the_same_photo(
    bench: ModuleType, tmp_path: Path
) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(images.encode(images.halves((1600, 1200)), "JPEG"))

    sizes = {name: images.decode(method(path)).size for name, method in bench.METHODS.items()}

    assert set(sizes.values()) == {(256, 192)}


def test_the_generated_photo_is_12_megapixels_and_photo_sized(
    bench: ModuleType, tmp_path: Path
) -> None:
    path = tmp_path / "photo.jpg"

    bench.make_photo(path)

    with Image.open(path) as image:  # Closed: the photos tests run with ResourceWarning errors.
        assert image.size == (4000, 3000)
    assert 3_000_000 < path.stat().st_size < 8_000_000
