"""The image formats photos accept, and the error for bytes that are not one (no Pillow here).

Kept apart from imaging.py so that importing the app (URLconf, admin, serializers) does not
import Pillow: only processing a photo does.
"""

from __future__ import annotations

# Pillow format name -> the content type we record and serve. Pillow opens a JPEG carrying
# several pictures (phones' and cameras' depth or preview frames) as "MPO"; it is a JPEG
# whose first frame is the photo, and every JPEG decoder reads it so.
CONTENT_TYPES = {
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
}
# What Image.open may try: MPO has no opener of its own (the JPEG one returns it).
OPEN_FORMATS = ("JPEG", "PNG", "WEBP")
# Formats Pillow can decode at a reduced scale with draft() (DCT scaling).
DRAFTABLE = frozenset({"JPEG", "MPO"})
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


class ImageRejectedError(Exception):
    """The bytes are not an image we accept; `reason` is safe to show to the client."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
