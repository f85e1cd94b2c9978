"""Run in a fresh interpreter: process one image file as production does and print, as JSON,
the outcome and the growth of the resident set (Linux VmHWM, reset just before, minus the
VmRSS then): Pillow's pixel buffers live outside Python's allocator, so only RSS sees them.

    python -m tests.photos.memory_probe PATH
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from PIL import Image

from apps.photos import imaging
from apps.photos.formats import ImageRejectedError

SIZES = (1280, 256)


def _kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(field)


def process(path: Path) -> str:
    with path.open("rb") as fp:
        try:
            imaging.render(fp, sizes=SIZES, max_pixels=40_000_000)
        except ImageRejectedError as exc:
            return f"rejected: {exc.reason}"
    return "ready"


def main() -> None:
    path = Path(sys.argv[1])
    warm = path.with_suffix(".warm.png")
    Image.new("RGBA", (64, 48)).save(warm)
    process(warm)  # Imports and first allocations before the measurement.
    idle = _kib("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")
    outcome = process(path)
    print(json.dumps({"outcome": outcome, "growth_mib": (_kib("VmHWM") - idle) / 1024}))


if __name__ == "__main__":
    main()
