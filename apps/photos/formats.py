"""The image formats photos accept, and the error for bytes that are not one (no Pillow here).

Kept apart from imaging.py so that importing the app (URLconf, admin, serializers) does not
import Pillow: only processing a photo does.
"""

from __future__ import annotations

# Pillow format name -> the content type we record and serve.
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


class ImageRejectedError(Exception):
    """The bytes are not an image we accept; `reason` is safe to show to the client."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
