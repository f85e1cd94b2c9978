"""Exceptions apps raise for the project's error handling to answer (apps.common.errors).

Kept apart from errors.py so that raising one imports nothing of DRF (the photo function).
"""

from __future__ import annotations


class NotFoundError(Exception):
    """What a service was asked to read or change does not exist (any more): 404.

    Apps subclass it (apps/pets/exceptions.py, apps/photos/exceptions.py); services raise
    those, never Django's Http404, which belongs to the HTTP layer.
    """


class BackendUnavailableError(Exception):
    """A service a request needs (file storage, S3, a cache) failed: 503 with Retry-After.

    Apps raise subclasses from their storage or client code, after undoing what they wrote.
    """
