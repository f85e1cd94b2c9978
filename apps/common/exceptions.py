"""Exceptions apps raise for the project's error handling to answer (apps.common.errors).

Kept apart from errors.py so that raising one imports nothing of DRF (the photo function).
"""

from __future__ import annotations


class BackendUnavailableError(Exception):
    """A service a request needs (file storage, S3, a cache) failed: 503 with Retry-After.

    Apps raise subclasses from their storage or client code, after undoing what they wrote.
    """
