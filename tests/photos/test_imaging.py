"""The Pillow pipeline: sniffing, bombs, orientation, metadata stripping, sizes, odd modes."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image, JpegImagePlugin

from apps.photos import imaging
from apps.photos.formats import ImageRejectedError
from tests.photos import images

SIZES = (1280, 256)
MAX_PIXELS = 40_000_000


def render(data: bytes, max_pixels: int = MAX_PIXELS) -> imaging.Rendition:
    return imaging.render(io.BytesIO(data), sizes=SIZES, max_pixels=max_pixels)


def reject_reason(data: bytes, max_pixels: int = MAX_PIXELS) -> str:
    with pytest.raises(ImageRejectedError) as caught:
        render(data, max_pixels)
    return caught.value.reason


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (images.jpeg(), "image/jpeg"),
        (images.png(), "image/png"),
        (images.webp(), "image/webp"),
    ],
)
def test_accepted_formats_are_sniffed(data: bytes, content_type: str) -> None:
    assert render(data).content_type == content_type


@pytest.mark.parametrize(
    "data",
    [
        b"hello, I am a text file named cat.jpg",
        b"",
        b"GIF89a" + b"\x00" * 100,
        images.encode(Image.new("RGB", (10, 10)), "GIF"),
        images.encode(Image.new("RGB", (10, 10)), "BMP"),
        images.encode(Image.new("RGB", (10, 10)), "TIFF"),
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
    ],
    ids=["text", "empty", "fake-gif", "gif", "bmp", "tiff", "svg"],
)
def test_anything_but_jpeg_png_webp_is_rejected(data: bytes) -> None:
    assert reject_reason(data) == "The file is not a JPEG, PNG or WebP image."


def test_truncated_jpeg_is_rejected() -> None:
    assert "damaged" in reject_reason(images.truncated_jpeg())


def test_png_with_a_bad_checksum_is_rejected() -> None:
    data = bytearray(images.png())
    data[45] ^= 0xFF  # Inside the IDAT data: verify() catches the CRC mismatch.
    assert "damaged" in reject_reason(bytes(data))


def test_pixel_limit_is_checked_from_the_header() -> None:
    assert reject_reason(images.bomb_png(7000, 7000)) == (
        "The image has more than 40000000 pixels."
    )


@pytest.mark.parametrize(
    ("width", "height"),
    [(10_000, 10_000), (100_000, 100_000), (2**31 - 1, 2**31 - 1)],
    ids=["over-pillow-warning", "over-pillow-error", "max-int"],
)
def test_decompression_bombs_are_refused_before_decoding(width: int, height: int) -> None:
    bomb = images.bomb_png(width, height)
    assert len(bomb) < 100_000

    assert "pixels" in reject_reason(bomb)


def test_pixel_limit_boundary() -> None:
    assert render(images.png((100, 100)), max_pixels=10_000).width == 100
    assert "pixels" in reject_reason(images.png((101, 100)), max_pixels=10_000)


def test_derived_sizes_fit_and_keep_the_aspect_ratio() -> None:
    result = render(images.jpeg((4000, 3000)))

    assert (result.width, result.height) == (4000, 3000)
    assert images.decode(result.derived[1280]).size == (1280, 960)
    assert images.decode(result.derived[256]).size == (256, 192)


def test_small_images_are_not_enlarged() -> None:
    result = render(images.png((100, 40)))

    assert images.decode(result.derived[1280]).size == (100, 40)
    assert images.decode(result.derived[256]).size == (100, 40)


def test_jpeg_is_decoded_at_reduced_scale_through_draft(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    original_draft = JpegImagePlugin.JpegImageFile.draft

    def spy(self: Any, mode: Any, size: Any) -> Any:
        result = original_draft(self, mode, size)
        calls.append((size, self.size))
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)

    render(images.jpeg((4000, 3000)))

    # Asked for the display size; Pillow picked 1/2 scale, the smallest that covers it.
    assert calls == [((1280, 960), (2000, 1500))]


def test_mpo_is_a_jpeg_drawn_from_its_first_picture(monkeypatch: pytest.MonkeyPatch) -> None:
    data = images.mpo((4000, 3000))
    opened = Image.open(io.BytesIO(data))
    assert (opened.format, getattr(opened, "n_frames", 1)) == ("MPO", 2)
    calls: list[Any] = []
    original_draft = JpegImagePlugin.JpegImageFile.draft

    def spy(self: Any, mode: Any, size: Any) -> Any:
        calls.append(size)
        return original_draft(self, mode, size)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)

    result = render(data)

    assert (result.content_type, result.width, result.height) == ("image/jpeg", 4000, 3000)
    assert calls == [(1280, 960)]  # Decoded at reduced scale like any JPEG.
    display = images.decode(result.derived[1280])
    assert display.format == "JPEG"
    red = display.getpixel((10, 10))
    assert isinstance(red, tuple)
    assert red[0] > 240
    assert red[2] < 20  # The first picture, not the second (blue) one.


def test_truncated_mpo_is_rejected() -> None:
    data = images.mpo()

    assert reject_reason(data[: len(data) // 3]).startswith("The image is damaged")


def test_every_derived_image_is_stripped_of_metadata() -> None:
    result = render(images.with_metadata())

    for data in result.derived.values():
        derived = images.decode(data)
        assert dict(derived.getexif()) == {}
        assert not {"exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "comment"} & set(
            derived.info
        )
        assert b"SecretCam" not in data
        assert b"secret" not in data


@pytest.mark.parametrize(
    ("orientation", "size", "top_color"),
    [(1, (200, 100), None), (6, (100, 200), images.RED), (8, (100, 200), images.BLUE)],
)
def test_exif_orientation_is_applied(
    orientation: int, size: tuple[int, int], top_color: tuple[int, int, int] | None
) -> None:
    result = render(images.oriented(orientation))

    assert (result.width, result.height) == size
    display = images.decode(result.derived[1280]).convert("RGB")
    assert display.size == size
    if top_color:
        top = display.getpixel((size[0] // 2, 5))
        assert isinstance(top, tuple)
        assert all(abs(a - b) < 40 for a, b in zip(top, top_color, strict=True)), top
        assert "exif" not in images.decode(result.derived[1280]).info


def test_large_rotated_jpeg_drafts_in_stored_orientation() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6
    data = images.encode(Image.new("RGB", (4000, 3000)), "JPEG", exif=exif)

    result = render(data)

    assert (result.width, result.height) == (3000, 4000)
    assert images.decode(result.derived[1280]).size == (960, 1280)


def test_cmyk_jpeg_becomes_rgb() -> None:
    result = render(images.cmyk_jpeg())

    display = images.decode(result.derived[1280])
    assert result.content_type == "image/jpeg"
    assert display.mode == "RGB"
    red, green, blue = display.getpixel((10, 10))  # type: ignore[misc]
    assert red > 200
    assert green < 60
    assert blue < 60


def test_16_bit_png_is_scaled_not_clipped() -> None:
    result = render(images.png16(value=32768))

    display = images.decode(result.derived[1280])
    assert display.mode == "L"
    assert 120 <= display.getpixel((5, 5)) <= 136  # type: ignore[operator]


def test_alpha_is_flattened_onto_white_in_a_jpeg() -> None:
    result = render(images.transparent_png())

    display = images.decode(result.derived[1280])
    assert result.content_type == "image/png"
    assert display.format == "JPEG"
    assert display.mode == "RGB"
    assert display.getpixel((90, 25)) == (255, 255, 255)
    red = display.getpixel((10, 25))
    assert isinstance(red, tuple)
    assert red[0] > 240
    assert red[1] < 20


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_animated_images_use_their_first_frame(fmt: str) -> None:
    data = images.animated(fmt)
    assert getattr(Image.open(io.BytesIO(data)), "n_frames", 1) == 3

    result = render(data)

    display = images.decode(result.derived[1280]).convert("RGB")
    red = display.getpixel((30, 20))
    assert isinstance(red, tuple)
    assert red[0] > 200
    assert red[2] < 60


def test_palette_and_greyscale_images_render() -> None:
    palette = images.encode(Image.new("RGB", (30, 30), images.BLUE).convert("P"), "PNG")
    grey = images.encode(Image.new("L", (30, 30), 128), "JPEG")

    assert render(palette).content_type == "image/png"
    assert images.decode(render(grey).derived[256]).mode == "L"


def test_an_unusable_icc_profile_is_ignored() -> None:
    data = images.encode(Image.new("RGB", (50, 50), images.RED), "JPEG", icc_profile=b"junk")

    result = render(data)

    assert "icc_profile" not in images.decode(result.derived[1280]).info
