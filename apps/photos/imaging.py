"""Pillow pipeline: sniff JPEG/PNG/WebP, refuse bombs, orient, strip metadata, downscale.

Pure functions over a binary file object: no Django, no storage. Every derived image is a
fresh baseline JPEG in sRGB with no EXIF (GPS included), XMP, ICC profile or comment.
"""

from __future__ import annotations

import io
import logging
import warnings
from dataclasses import dataclass
from typing import IO

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from apps.photos import budget
from apps.photos.formats import CONTENT_TYPES, DRAFTABLE, OPEN_FORMATS, ImageRejectedError

logger = logging.getLogger(__name__)

JPEG_QUALITY = 85
# Results above this many pixels are resized in bands of BAND_ROWS rows (see _resize).
BAND_THRESHOLD_PIXELS = 512 * 512
BAND_ROWS = 64
# Everything a decoder can throw at hostile bytes; anything else is a bug and propagates.
DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, KeyError)
_BOMB = (Image.DecompressionBombError, Image.DecompressionBombWarning)


@dataclass(frozen=True)
class Rendition:
    """What processing learned and made: facts about the original and the derived JPEGs."""

    content_type: str
    width: int
    height: int
    derived: dict[int, bytes]  # long-side limit -> JPEG bytes


def fit(size: tuple[int, int], limit: int) -> tuple[int, int]:
    """`size` scaled down (never up) so its long side is at most `limit`."""
    width, height = size
    scale = min(1.0, limit / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


@dataclass(frozen=True)
class Limits:
    """What an image may be: pixels, the memory processing it takes, frames, expansion."""

    max_pixels: int
    memory_budget: int = 128 * budget.MIB
    max_frames: int = 100
    max_expansion: int = 4096


def open_image(fp: IO[bytes], *, max_pixels: int, max_frames: int = 100) -> Image.Image:
    """Open and check the header only: format, integrity, pixel count and frames."""
    try:
        with warnings.catch_warnings():
            # Pillow warns (and past twice its limit raises) about bombs; both mean "refuse".
            # The filter is process-wide while this runs; another thread seeing it can only
            # have a bomb refused a step earlier, and our own pixel check below decides anyway.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(fp, formats=list(OPEN_FORMATS))
    except _BOMB:
        raise ImageRejectedError(too_many_pixels(max_pixels)) from None
    except UnidentifiedImageError:
        raise ImageRejectedError("The file is not a JPEG, PNG or WebP image.") from None
    except DECODE_ERRORS:
        raise ImageRejectedError("The image is damaged and cannot be read.") from None
    width, height = image.size
    if width < 1 or height < 1:
        raise ImageRejectedError("The image has no pixels.")
    if width * height > max_pixels:
        raise ImageRejectedError(too_many_pixels(max_pixels))
    budget.check_frames(image, max_frames)
    return image


def too_many_pixels(max_pixels: int) -> str:
    return f"The image has more than {max_pixels} pixels."


def inspect(
    fp: IO[bytes], *, max_pixels: int, max_frames: int = 100
) -> tuple[str, tuple[int, int]]:
    """The sniffed content type and stored size, after Pillow's structural `verify()`."""
    image = open_image(fp, max_pixels=max_pixels, max_frames=max_frames)
    content_type = CONTENT_TYPES[str(image.format)]
    try:
        image.verify()  # CRCs and chunk structure for PNG; a no-op for JPEG.
    except DECODE_ERRORS:
        raise ImageRejectedError("The image is damaged and cannot be read.") from None
    return content_type, image.size


def render(
    fp: IO[bytes],
    *,
    sizes: tuple[int, ...],
    max_pixels: int,
    limits: Limits | None = None,
) -> Rendition:
    """Sniff, verify, check the cost and decode once, then make one JPEG per long-side
    limit in `sizes`. Refuses (ImageRejectedError) what would take more than the memory
    budget, before decoding a pixel."""
    limits = limits or Limits(max_pixels=max_pixels)
    content_type, stored_size = inspect(fp, max_pixels=max_pixels, max_frames=limits.max_frames)
    file_size = fp.seek(0, io.SEEK_END)
    fp.seek(0)
    # verify() leaves the image unusable: open it again.
    image = open_image(fp, max_pixels=max_pixels, max_frames=limits.max_frames)

    def check_cost() -> None:
        budget.check(
            image,
            full_size=stored_size,
            file_size=file_size,
            budget=limits.memory_budget,
            max_expansion=limits.max_expansion,
        )

    try:
        if image.format not in DRAFTABLE:
            check_cost()  # Before getexif(), which decodes a whole PNG to find its EXIF.
        orientation = _orientation(image)
        swap = orientation in (5, 6, 7, 8)  # These orientations swap width and height.
        width, height = (stored_size[1], stored_size[0]) if swap else stored_size
        target = fit((width, height), max(sizes))
        if image.format in DRAFTABLE:
            _draft(image, target, orientation)
            check_cost()  # At the scale draft() chose.
        current = _decode(image, target, orientation)
    except _BOMB:
        raise ImageRejectedError(too_many_pixels(max_pixels)) from None
    except DECODE_ERRORS:
        raise ImageRejectedError("The image is damaged or truncated.") from None
    derived: dict[int, bytes] = {}
    for limit in sorted(sizes, reverse=True):
        current = _resize(current, fit((width, height), limit))
        derived[limit] = _encode(current)
    return Rendition(content_type, width, height, derived)


def _stored(target: tuple[int, int], orientation: int) -> tuple[int, int]:
    """`target` (display orientation) in the orientation the decoder works in."""
    return (target[1], target[0]) if orientation in (5, 6, 7, 8) else target


def _draft(image: Image.Image, target: tuple[int, int], orientation: int) -> None:
    if image.format in DRAFTABLE:
        # JPEG can be decoded at 1/2, 1/4 or 1/8 scale (DCT scaling): draft() picks the
        # smallest scale that still covers the target, so a 12 MP photo never exists in full.
        image.draft(None, _stored(target, orientation))


def _decode(image: Image.Image, target: tuple[int, int], orientation: int) -> Image.Image:
    """Decode (draft() applied), shrink to `target`, then orient and convert to sRGB.

    `target` is in display orientation; the decoder works in stored orientation.
    """
    stored_target = _stored(target, orientation)
    image.seek(0)  # Only the first frame of an animated PNG or WebP, or of an MPO, is used.
    image.load()
    icc = image.info.get("icc_profile")
    if image.mode in ("RGBA", "LA"):
        # Shrink first, then composite on white: flattening first would take two more
        # full-size copies (the image and its background); the resize premultiplies alpha,
        # so the result is the same.
        frame = _to_srgb(_flatten(_resize(image, stored_target)), icc)
    else:
        frame = _resize(_to_srgb(_flatten(image), icc), stored_target)
    if orientation != 1:
        # exif_transpose reads the tag from the image it is given; the frame is a new image.
        frame.info["exif"] = image.getexif().tobytes()
        frame = ImageOps.exif_transpose(frame) or frame
    frame.info.clear()
    return frame


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(0x0112, 1)  # 0x0112 is the EXIF Orientation tag.
    except DECODE_ERRORS:
        return 1  # Unreadable EXIF is ignored, like a missing one.
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _flatten(image: Image.Image) -> Image.Image:
    """8-bit L, RGB or CMYK; alpha composited on white; 16-bit samples scaled, not clipped."""
    if image.mode in ("L", "RGB", "CMYK"):
        return image
    if image.mode.startswith("I"):
        # 16-bit greyscale: map 0..65535 to 0..255 (a plain convert("L") clips at 255).
        scaled = image.convert("I").point(lambda value: value * (1 / 256))
        return scaled.convert("L")
    if image.mode == "F":
        return image.convert("L")
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info
    )
    if not has_alpha:
        return image.convert("RGB")
    rgba = image.convert("RGBA")
    background = Image.new("RGB", rgba.size, (255, 255, 255))
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def _to_srgb(image: Image.Image, icc_profile: object) -> Image.Image:
    """Convert through the embedded ICC profile to sRGB, so dropping the profile keeps colour."""
    if isinstance(icc_profile, bytes) and icc_profile and image.mode in ("RGB", "CMYK"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
            converted = ImageCms.profileToProfile(
                image, source, ImageCms.createProfile("sRGB"), outputMode="RGB"
            )
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            logger.info("Ignoring an unusable ICC profile")
        else:
            if converted is not None:
                return converted
    return image if image.mode in ("L", "RGB") else image.convert("RGB")


def _resize(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """LANCZOS, in bands of output rows when the result is large.

    A one-shot resize holds the source, a full-width intermediate of the horizontal pass and
    the result at once. Bands keep the intermediate small (a band's rows); the source box of
    each band still reads the filter's support beyond it, so there are no seams.
    """
    if image.size == size:
        return image
    width, height = size
    if width * height <= BAND_THRESHOLD_PIXELS:
        return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    if image.mode in _PREMULTIPLIED:
        # Pillow premultiplies an RGBA image for every resize() call, the whole image each
        # time: once per band, twenty full-size copies. Premultiply once instead.
        mode = image.mode
        return _resize(image.convert(_PREMULTIPLIED[mode]), size).convert(mode)
    out = Image.new(image.mode, size)
    scale = image.height / height
    for top in range(0, height, BAND_ROWS):
        bottom = min(top + BAND_ROWS, height)
        box = (0.0, top * scale, float(image.width), bottom * scale)
        band = image.resize((width, bottom - top), Image.Resampling.LANCZOS, box=box)
        out.paste(band, (0, top))
    return out


_PREMULTIPLIED = {"RGBA": "RGBa", "LA": "La"}


def _encode(image: Image.Image) -> bytes:
    """A baseline JPEG with nothing but pixels: no EXIF, XMP, ICC, comment or DPI."""
    clean = image if image.mode in ("L", "RGB") else image.convert("RGB")
    clean.info.clear()
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=False)
    return out.getvalue()
