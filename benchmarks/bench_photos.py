"""Photo processing benchmark: draft() thumbnails against Pillow's thumbnail(), and peak memory.

    make bench-photos            # or: .venv/bin/python benchmarks/bench_photos.py [--rounds N]

Makes a 12 MP (4000x3000) JPEG with photo-like content (gradients, shapes, sensor noise),
then, in one run with the methods interleaved round by round (so machine noise hits all
of them alike), times a 256 px JPEG thumbnail made three ways from the same file:

- ours:      apps.photos.imaging.render(sizes=(256,)), the production code (sniff, verify,
             draft() to the target, orient, sRGB, LANCZOS, strip, encode);
- thumbnail: Pillow's plain `Image.thumbnail((256, 256))` + the same JPEG encode (note that
             thumbnail() itself calls draft() with reducing_gap=2.0, so it decodes at 1/4);
- full:      the same thumbnail() after `load()`, i.e. with no draft(): a full 12 MP decode;
- ours+disp: for reference, what processing a photo costs: display (1280 px) and thumbnail.

Peak memory is measured in a fresh subprocess per method as the growth of the resident set
(Linux VmHWM, reset through /proc/self/clear_refs just before the work, minus VmRSS at
that moment). That counts Pillow's pixel buffers, which live outside Python's allocator
and which tracemalloc therefore cannot see (its number is printed too, to show the gap).
The processing measured is the production one: display (1280 px) and thumbnail (256 px)
from the file on disk, as photo_process reads a stored original.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image, ImageDraw, ImageFilter  # noqa: E402

from apps.photos import imaging  # noqa: E402

SIZE = (4000, 3000)
MEGAPIXELS = SIZE[0] * SIZE[1] / 1e6
THUMB = 256
DISPLAY = (1280, 960)
MAX_PIXELS = 40_000_000


def make_photo(path: Path, *, noise: bool = True) -> None:
    """A 12 MP JPEG that compresses like a photo: smooth areas, edges, and sensor noise.

    Without noise the same scene compresses about ten times smaller (a clean, flat shot);
    decoding cost grows with the compressed size, so both are reported.
    """
    small = Image.radial_gradient("L").resize((1000, 750))
    base = Image.merge(
        "RGB",
        (
            small,
            small.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
            Image.linear_gradient("L").resize((1000, 750)),
        ),
    )
    draw = ImageDraw.Draw(base)
    for i in range(40):
        x, y = (i * 97) % 1000, (i * 53) % 750
        draw.ellipse(
            (x, y, x + 60 + i * 3, y + 40 + i * 2),
            fill=((i * 40) % 256, (i * 90) % 256, (i * 150) % 256),
        )
    photo = base.resize(SIZE, Image.Resampling.BICUBIC).filter(ImageFilter.GaussianBlur(2))
    # Luma noise about as strong as a phone sensor's at moderate ISO: the file comes out near
    # 4.5 MB, like a real 12 MP photo at quality 90 (smooth synthetic images compress to ~1 MB
    # and would flatter every decoder).
    if noise:
        grain = Image.effect_noise(SIZE, 36).convert("RGB")
        photo = Image.blend(photo, grain, 0.28)
    photo.save(path, "JPEG", quality=90)


def ours(path: Path) -> bytes:
    with path.open("rb") as fp:
        return imaging.render(fp, sizes=(THUMB,), max_pixels=MAX_PIXELS).derived[THUMB]


def pillow_thumbnail(path: Path) -> bytes:
    with Image.open(path) as image:
        image.thumbnail((THUMB, THUMB))
        return _jpeg(image)


def pillow_full_decode(path: Path) -> bytes:
    with Image.open(path) as image:
        image.load()  # Decoded in full first, so thumbnail() can no longer draft().
        image.thumbnail((THUMB, THUMB))
        return _jpeg(image)


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=imaging.JPEG_QUALITY)
    return out.getvalue()


def ours_both(path: Path) -> bytes:
    """What photo processing really does: display and thumbnail from one decode."""
    with path.open("rb") as fp:
        return imaging.render(fp, sizes=(DISPLAY[0], THUMB), max_pixels=MAX_PIXELS).derived[THUMB]


METHODS: dict[str, Callable[[Path], bytes]] = {
    "ours": ours,
    "thumbnail": pillow_thumbnail,
    "full": pillow_full_decode,
    "ours+disp": ours_both,
}


def time_interleaved(path: Path, rounds: int) -> dict[str, list[float]]:
    for method in METHODS.values():
        method(path)  # Warm-up: imports, file cache, Pillow's allocator.
    times: dict[str, list[float]] = {name: [] for name in METHODS}
    for _ in range(rounds):
        for name, method in METHODS.items():
            started = time.perf_counter()
            method(path)
            times[name].append(time.perf_counter() - started)
    return times


# --- Peak memory (child process) -------------------------------------------------------


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def process_full(path: Path) -> None:
    """Production processing: display and thumbnail, from a file on disk."""
    ours_both(path)


def process_without_draft(path: Path) -> None:
    with Image.open(path) as image:
        image.load()
        display = image.resize(DISPLAY, Image.Resampling.LANCZOS)
        _jpeg(display)
        display.thumbnail((THUMB, THUMB))
        _jpeg(display)


def child_peak(method: str, path: Path) -> dict[str, float]:
    work = {
        "ours": process_full,
        "full": process_without_draft,
        "case-ours": case_ours,
        "case-thumbnail": case_thumbnail,
    }[method]
    warm = Path(tempfile.mkdtemp()) / "warm.jpg"
    Image.new("RGB", (64, 48)).save(warm, "JPEG")
    work(warm)  # Imports and first-use allocations happen before the measurement.
    baseline = _status_kib("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # Reset VmHWM to the current RSS.
    tracemalloc.start()
    work(path)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "rss_peak_mib": (_status_kib("VmHWM") - baseline) / 1024,
        "tracemalloc_peak_mib": traced_peak / 2**20,
    }


def peak(method: str, path: Path) -> dict[str, float]:
    result = subprocess.run(  # noqa: S603
        [sys.executable, __file__, "--child", method, str(path)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return dict(json.loads(result.stdout))


# --- Report ------------------------------------------------------------------------------


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import PIL

    return (
        f"{cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}, Pillow "
        f"{PIL.__version__}, {platform.system()} {platform.release()}"
    )


def report_times(label: str, path: Path, rounds: int) -> None:
    size = path.stat().st_size / 1e6
    print(f"\n{label}: {SIZE[0]}x{SIZE[1]} JPEG ({MEGAPIXELS:.0f} MP, {size:.1f} MB)")
    times = time_interleaved(path, rounds)
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"  {THUMB} px JPEG thumbnail, median of {rounds} interleaved rounds:")
    for name, median in medians.items():
        per_mp = median / MEGAPIXELS * 1000
        print(
            f"  {name:<10} {median * 1000:8.1f} ms   {per_mp:6.2f} ms/MP   "
            f"(min {min(times[name]) * 1000:.1f} ms)"
        )
    versus_thumbnail = medians["thumbnail"] / medians["ours"]
    versus_full = medians["full"] / medians["ours"]
    print(f"  ours vs Pillow thumbnail():          {versus_thumbnail:.1f}x faster")
    print(f"  ours vs thumbnail() after full load: {versus_full:.1f}x faster")


def report_peak(path: Path) -> None:
    display_rgb = DISPLAY[0] * DISPLAY[1] * 3 / 2**20
    display_pillow = DISPLAY[0] * DISPLAY[1] * 4 / 2**20
    full_rgb = SIZE[0] * SIZE[1] * 3 / 2**20
    print("\npeak memory of processing it (display 1280 px + thumbnail), fresh process each:")
    print(
        f"  decoded display bitmap: {display_rgb:.1f} MiB as 3-byte RGB "
        f"({display_pillow:.1f} MiB in Pillow, which stores RGB in 4 bytes)"
    )
    print(f"  decoded full 12 MP bitmap: {full_rgb:.1f} MiB as 3-byte RGB")
    for method, label in (("ours", "ours (draft)"), ("full", "no draft")):
        measured = peak(method, path)
        rss = measured["rss_peak_mib"]
        print(
            f"  {label:<13} RSS growth {rss:6.1f} MiB = {rss / display_rgb:4.1f}x display "
            f"(tracemalloc sees only {measured['tracemalloc_peak_mib']:.1f} MiB)"
        )


# --- Per format: ours against Pillow's thumbnail(), time and peak memory ------------------

BUDGET_MIB = 128  # PHOTOS["MEMORY_BUDGET"]'s default
MAX_FRAMES = 100  # PHOTOS["MAX_FRAMES"]'s default


def case_ours(path: Path) -> str:
    """Production processing (display and thumbnail) with the default limits; a refusal
    (over the memory budget) is an outcome, not an error."""
    from apps.photos.formats import ImageRejectedError

    try:
        ours_both(path)
    except ImageRejectedError:
        return "refused"
    return "ready"


def case_thumbnail(path: Path) -> str:
    """The same two JPEGs the plain Pillow way: thumbnail() to 1280, then to 256."""
    with Image.open(path) as image:
        image.thumbnail((DISPLAY[0], DISPLAY[0]))
        _jpeg(image.convert("RGB"))
        image.thumbnail((THUMB, THUMB))
        _jpeg(image.convert("RGB"))
    return "ready"


def make_cases(directory: Path) -> dict[str, Path]:
    """The issue's formats: a 12 MP photo, the 6300x6300 flood PNG (39.7 MP, about 150 KB),
    the largest RGBA flood the budget accepts, and an animated WebP at the frame limit."""
    cases = {"JPEG 12 MP": directory / "photo-12mp.jpg"}
    make_photo(cases["JPEG 12 MP"])
    for label, side in (("PNG flood 6300x6300 RGBA", 6300), ("PNG flood 3500x3500 RGBA", 3500)):
        cases[label] = directory / f"flood-{side}.png"
        Image.new("RGBA", (side, side), (200, 30, 30, 255)).save(cases[label])
    frames = [
        Image.effect_noise((1000, 1000), 40 + n % 20).convert("RGB") for n in range(MAX_FRAMES)
    ]
    cases[f"WebP animated, {MAX_FRAMES} frames 1000x1000"] = directory / "animated.webp"
    frames[0].save(directory / "animated.webp", save_all=True, append_images=frames[1:], quality=50)
    return cases


def report_cases(directory: Path, rounds: int) -> None:
    cases = make_cases(directory)
    methods = {"ours": case_ours, "thumbnail": case_thumbnail}
    print(
        f"\nper format, ours vs Pillow's thumbnail() (display 1280 + thumbnail 256), median of "
        f"{rounds} interleaved rounds; peak = RSS growth in a fresh process; budget "
        f"{BUDGET_MIB} MiB"
    )
    print(
        f"  {'case':<36} {'ours':>9} {'thumb()':>9} {'speed':>6} "
        f"{'ours peak':>10} {'thumb() peak':>12}  outcome, budget"
    )
    for label, path in cases.items():
        times: dict[str, list[float]] = {name: [] for name in methods}
        outcome = case_ours(path)
        case_thumbnail(path)  # warm-up
        for _ in range(rounds):
            for name, method in methods.items():
                started = time.perf_counter()
                method(path)
                times[name].append(time.perf_counter() - started)
        ours, thumb = (statistics.median(times[name]) for name in methods)
        peaks = {name: peak(f"case-{name}", path)["rss_peak_mib"] for name in methods}
        verdict = "within" if peaks["ours"] <= BUDGET_MIB else "OVER"
        print(
            f"  {label:<36} {ours * 1000:7.0f} ms {thumb * 1000:6.0f} ms {thumb / ours:5.1f}x "
            f"{peaks['ours']:7.1f} MiB {peaks['thumbnail']:9.1f} MiB  {outcome}, {verdict}"
        )


def report(directory: Path, rounds: int) -> None:
    print(f"machine: {machine()}")
    typical, smooth = directory / "photo-12mp.jpg", directory / "smooth-12mp.jpg"
    make_photo(typical)
    make_photo(smooth, noise=False)
    report_times("typical photo", typical, rounds)
    report_times("smooth photo", smooth, rounds)
    report_peak(typical)
    report_cases(directory, max(3, rounds // 2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--child", nargs=2, metavar=("METHOD", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gatewayproject.settings.test")
        print(json.dumps(child_peak(args.child[0], Path(args.child[1]))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        report(Path(tmp), args.rounds)


if __name__ == "__main__":
    main()
