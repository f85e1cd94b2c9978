"""What pet services raise; the error handler maps each to the API's error shape."""

from __future__ import annotations

from apps.common.exceptions import NotFoundError


class PetNotFoundError(NotFoundError):
    """The pet is gone (deleted by a concurrent request since it was read): 404."""
