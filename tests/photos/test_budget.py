"""Image memory is bounded by a budget, not by pixel count: what would take more than
PHOTOS["MEMORY_BUDGET"] is refused before decoding, animations have a frame limit, and a
process decodes at most PHOTOS["MAX_CONCURRENT_DECODES"] images at once."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from rest_framework.test import APIClient

from apps.photos import budget, imaging, processing
from apps.photos.formats import ImageRejectedError
from apps.photos.models import Photo
from tests.photos.images import encode
from tests.subprocesses import ROOT

BUDGET_MIB = 128


def flood_png(side: int, mode: str = "RGBA") -> bytes:
    """One colour, so it compresses to almost nothing: the issue's 154 KB 6300x6300 PNG."""
    return encode(Image.new(mode, (side, side), (200, 30, 30, 255)[: len(mode)]), "PNG")


def animated_png(frames: int) -> bytes:
    images = [Image.new("RGB", (16, 16), (n, 0, 0)) for n in range(frames)]
    return encode(images[0], "PNG", save_all=True, append_images=images[1:])


def render(data: bytes) -> imaging.Rendition:
    return imaging.render(io.BytesIO(data), sizes=(1280, 256), max_pixels=40_000_000)


def test_the_flood_png_is_refused_before_decoding_with_a_clear_reason() -> None:
    data = flood_png(6300)
    assert len(data) < 200_000  # 39.7 MP in about 150 KB

    with pytest.raises(ImageRejectedError, match=r"about \d+ MiB to process, more than the 128"):
        render(data)


def test_an_rgba_png_within_the_budget_is_processed() -> None:
    rendition = render(flood_png(3500))

    assert (rendition.width, rendition.height) == (3500, 3500)


@pytest.mark.parametrize(
    ("mode", "copies"),
    [("RGB", 0), ("L", 0), ("RGBA", 1), ("LA", 1), ("CMYK", 1), ("P", 2), ("I;16", 2)],
)
def test_each_mode_counts_its_bytes_and_working_copies(mode: str, copies: int) -> None:
    image = Image.new(mode, (1000, 1000))

    cost = budget.cost(image, (1000, 1000))

    per_pixel = budget.BYTES_PER_PIXEL.get(mode, 4)
    assert cost.decoded == 1_000_000 * per_pixel
    assert cost.working == cost.decoded + copies * 4_000_000 + budget.OVERHEAD


def test_a_progressive_jpeg_counts_libjpegs_coefficient_buffer() -> None:
    baseline = Image.open(io.BytesIO(encode(Image.new("RGB", (800, 600)), "JPEG")))
    progressive = Image.open(
        io.BytesIO(encode(Image.new("RGB", (800, 600)), "JPEG", progressive=True, subsampling=2))
    )

    extra = budget.cost(progressive, (800, 600)).working - budget.cost(baseline, (800, 600)).working

    assert extra == int(800 * 600 * 1.5 * 2)  # 4:2:0: 1.5 samples a pixel, 2 bytes each


def test_an_animation_over_the_frame_limit_is_refused() -> None:
    render(animated_png(100))

    with pytest.raises(ImageRejectedError, match="more than 100 frames"):
        render(animated_png(101))


def test_a_tiny_file_that_expands_past_the_limit_is_refused() -> None:
    data = flood_png(3000, mode="RGB")  # 36 MB decoded from a few KB

    with pytest.raises(ImageRejectedError, match="times its file size"):
        imaging.render(
            io.BytesIO(data),
            sizes=(256,),
            max_pixels=40_000_000,
            limits=imaging.Limits(max_pixels=40_000_000, max_expansion=100),
        )


def _peak(tmp_path: Path, data: bytes) -> dict[str, Any]:
    path = tmp_path / "image.png"
    path.write_bytes(data)
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "tests.photos.memory_probe", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return dict(json.loads(result.stdout))


@pytest.mark.parametrize(
    ("side", "outcome"), [(6300, "rejected"), (3500, "ready")], ids=["flood", "largest-rgba"]
)
def test_processing_stays_within_the_budget(tmp_path: Path, side: int, outcome: str) -> None:
    """Resident memory, measured in a fresh interpreter (the issue's PNG grew a worker by
    about 560 MiB before)."""
    measured = _peak(tmp_path, flood_png(side))

    assert measured["outcome"].startswith(outcome)
    assert measured["growth_mib"] <= BUDGET_MIB


@pytest.mark.django_db
def test_an_image_over_the_budget_is_a_400_and_nothing_is_stored(
    api: APIClient, media_files: Any
) -> None:
    response = api.post("/v1/photos", flood_png(6300), content_type="image/png")

    assert response.status_code == 400
    assert "MiB to process" in response.json()["errors"]["file"][0]
    assert not Photo.objects.exists()
    assert media_files() == set()


@pytest.mark.django_db
def test_a_process_decodes_only_so_many_images_at_once(api: APIClient, settings: Any) -> None:
    settings.PHOTOS = {**settings.PHOTOS, "MAX_CONCURRENT_DECODES": 1, "DECODE_WAIT": 1}
    slots = processing._decode_slots(1)
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with slots:
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(30)
    try:
        busy = api.post("/v1/photos", flood_png(64, "RGB"), content_type="image/png")
    finally:
        release.set()
        holder.join(30)
    free = api.post("/v1/photos", flood_png(64, "RGB"), content_type="image/png")

    assert busy.status_code == 503
    assert busy["Retry-After"] == "5"
    assert free.status_code == 201
