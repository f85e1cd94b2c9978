"""What photo services raise; the views or the error handler map each to the error shape."""

from __future__ import annotations

from apps.common.exceptions import NotFoundError
from apps.photos.formats import ImageRejectedError


def too_large(max_bytes: int) -> str:
    return f"The file is larger than {max_bytes} bytes."


class PhotoNotFoundError(NotFoundError):
    """The photo is gone (deleted by a concurrent request since it was read): 404."""


class PhotoTooLargeError(Exception):
    """More bytes than the path allows; the API answers 413."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(too_large(max_bytes))
        self.max_bytes = max_bytes


class PolicyError(Exception):
    """A local form post that its policy does not allow; `reason` mirrors S3's wording (403)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UploadSizeError(Exception):
    """A local form post whose file is outside the policy's size range; S3 answers 400."""


class ReprocessRejectedError(ImageRejectedError):
    """The stored original no longer renders; the photo was left `ready` as it was."""
