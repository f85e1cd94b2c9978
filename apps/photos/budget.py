"""The memory a photo would take to process, judged from its header before any pixel is
decoded, and the refusal of one that would take more than PHOTOS["MEMORY_BUDGET"].

Pillow decodes a PNG or WebP whole (only JPEG shrinks on load, draft()), so what a file
costs depends on its pixel count, its mode's bytes per pixel, the full-size working copies
the pipeline makes for that mode (imaging.py), and, for a progressive JPEG, libjpeg's
buffer of every DCT coefficient at full resolution. A 154 KB 6300x6300 RGBA PNG is 159 MB
decoded and grew a worker by 560 MiB; it is refused here at no cost. Measured against real
peaks by `make bench-photos` (docs/hardening.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image, JpegImagePlugin

from apps.photos.formats import ImageRejectedError

MIB = 1024 * 1024
# Pillow's storage per pixel: RGB is padded to 4 bytes, LA too.
BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2}
# Display- and thumbnail-sized buffers, the encoder, the resize bands, the interpreter's
# allocations while processing: measured under 20 MiB for every mode.
OVERHEAD = 24 * MIB
# Samples per pixel libjpeg keeps as 2-byte coefficients for a progressive JPEG, by
# Pillow's chroma subsampling code (0: 4:4:4, 1: 4:2:2, 2: 4:2:0; -1: grey, CMYK...).
_COEFFICIENT_SAMPLES = {0: 3.0, 1: 2.0, 2: 1.5}


@dataclass(frozen=True)
class Cost:
    decoded: int  # bytes of the decoded image (after draft())
    working: int  # the most processing holds at once, in bytes

    @property
    def working_mib(self) -> int:
        return -(-self.working // MIB)


def full_size_copies(mode: str, has_icc: bool) -> int:
    """Full-size 4-byte working copies imaging.py makes on the way to a small RGB image."""
    if mode in ("RGB", "L"):
        return 1 if has_icc and mode == "RGB" else 0
    if mode in ("RGBA", "LA", "CMYK"):
        return 1  # premultiplied alpha for the resize; CMYK -> RGB
    return 2  # palette, bilevel, 16-bit, float: converted, then converted again


def cost(image: Image.Image, full_size: tuple[int, int]) -> Cost:
    """What processing `image` (opened, draft() applied, not loaded) would take."""
    width, height = image.size
    pixels = width * height
    decoded = pixels * BYTES_PER_PIXEL.get(image.mode, 4)
    has_icc = bool(image.info.get("icc_profile"))
    working = decoded + full_size_copies(image.mode, has_icc) * 4 * pixels + OVERHEAD
    if image.format in ("JPEG", "MPO") and image.info.get("progressive"):
        sampling = JpegImagePlugin.get_sampling(image)
        samples = _COEFFICIENT_SAMPLES.get(sampling, float(len(image.getbands())))
        working += int(full_size[0] * full_size[1] * samples * 2)
    return Cost(decoded, working)


def check(
    image: Image.Image,
    *,
    full_size: tuple[int, int],
    file_size: int,
    budget: int,
    max_expansion: int,
) -> Cost:
    """The cost, or ImageRejectedError when it is over `budget` bytes or the file expands
    more than `max_expansion` times (a file crafted to be tiny and huge at once)."""
    estimate = cost(image, full_size)
    if estimate.working > budget:
        raise ImageRejectedError(
            f"The image would need about {estimate.working_mib} MiB to process, more than the "
            f"{budget // MIB} MiB allowed ({full_size[0]}x{full_size[1]} {image.mode}); "
            "send fewer pixels, or a JPEG."
        )
    if file_size and estimate.decoded > 16 * MIB and estimate.decoded > max_expansion * file_size:
        raise ImageRejectedError(
            f"The image expands to more than {max_expansion} times its file size."
        )
    return estimate


def check_frames(image: Image.Image, max_frames: int) -> None:
    """Refuse an animation with more than `max_frames` frames (only the first is used, but
    reading and verifying the file walks them all)."""
    frames = getattr(image, "n_frames", 1)
    if isinstance(frames, int) and frames > max_frames:
        raise ImageRejectedError(f"The image has more than {max_frames} frames.")
