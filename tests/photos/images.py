"""Image bytes for tests: ordinary photos, and every kind of hostile file the API must refuse."""

from __future__ import annotations

import io
import os
import struct
import zlib
from typing import Any

from PIL import Image, ImageCms

RED = (255, 0, 0)
BLUE = (0, 0, 255)


def encode(image: Image.Image, fmt: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def jpeg(
    size: tuple[int, int] = (640, 480), color: tuple[int, int, int] = RED, **opts: Any
) -> bytes:
    return encode(Image.new("RGB", size, color), "JPEG", **opts)


def png(size: tuple[int, int] = (64, 48), color: Any = RED, mode: str = "RGB") -> bytes:
    return encode(Image.new(mode, size, color), "PNG")


def webp(size: tuple[int, int] = (64, 48)) -> bytes:
    return encode(Image.new("RGB", size, BLUE), "WEBP")


def halves(size: tuple[int, int] = (200, 100)) -> Image.Image:
    """Left half red, right half blue: shows which way an image was turned."""
    image = Image.new("RGB", size, RED)
    image.paste(BLUE, (size[0] // 2, 0, size[0], size[1]))
    return image


def with_metadata() -> bytes:
    """A JPEG carrying GPS coordinates, a camera model, XMP, an ICC profile and a comment."""
    exif = Image.Exif()
    exif[0x0110] = "SecretCam 3000"  # Model
    exif[0x8825] = {1: "N", 2: (52.0, 22.0, 1.5), 3: "E", 4: (4.0, 53.0, 2.0)}  # GPSInfo
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/>secret-xmp</x:xmpmeta>'
    return encode(
        Image.new("RGB", (800, 600), RED),
        "JPEG",
        exif=exif,
        icc_profile=icc,
        xmp=xmp,
        comment=b"secret comment",
    )


def oriented(orientation: int, size: tuple[int, int] = (200, 100)) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(halves(size), "JPEG", exif=exif, quality=95)


def cmyk_jpeg() -> bytes:
    return encode(Image.new("CMYK", (120, 80), (0, 255, 255, 0)), "JPEG")  # Red in CMYK.


def png16(size: tuple[int, int] = (64, 64), value: int = 32768) -> bytes:
    """16-bit greyscale at `value`/65535 (mid-grey by default)."""
    return encode(Image.new("I;16", size, value), "PNG")


def transparent_png() -> bytes:
    """Left half opaque red, right half fully transparent."""
    image = Image.new("RGBA", (100, 50), (0, 0, 0, 0))
    image.paste((255, 0, 0, 255), (0, 0, 50, 50))
    return encode(image, "PNG")


def animated(fmt: str = "PNG", frames: int = 3) -> bytes:
    colors = [RED, BLUE, (0, 255, 0)]
    images = [Image.new("RGB", (60, 40), colors[i % 3]) for i in range(frames)]
    return encode(images[0], fmt, save_all=True, append_images=images[1:], duration=100, loop=0)


def mpo(size: tuple[int, int] = (640, 480)) -> bytes:
    """A multi-picture JPEG as phones and 3D cameras write it: the photo (red), then a
    second picture (blue). Pillow opens it as format "MPO"."""
    frames = [Image.new("RGB", size, RED), Image.new("RGB", size, BLUE)]
    return encode(frames[0], "MPO", save_all=True, append_images=frames[1:])


def truncated_jpeg() -> bytes:
    data = encode(Image.effect_noise((400, 300), 50).convert("RGB"), "JPEG")
    return data[: len(data) // 2]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width: int, height: int) -> bytes:
    """A valid PNG header declaring `width` x `height` greyscale pixels, in a few hundred bytes.

    The pixel data is a short run of zeros; a decoder would allocate width x height bytes
    for it before noticing it ends early.
    """
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * 64 * 1024, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", rows)
        + _chunk(b"IEND", b"")
    )


def noisy_jpeg(size: tuple[int, int], quality: int = 95) -> bytes:
    """Random pixels: compresses like nothing else, so a few megapixels make a big file."""
    raw = os.urandom(size[0] * size[1] * 3)
    return encode(Image.frombytes("RGB", size, raw), "JPEG", quality=quality)


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image
