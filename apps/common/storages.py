"""File storages whose URLs carry each request's path prefix (the API Gateway stage).

Django prefixes a relative `STATIC_URL` or `MEDIA_URL` with the script prefix, but only
once: `settings.STATIC_URL` is cached at its first read, at start-up, before any request
(WhiteNoise and the URLconf read it), and file storages keep their base URL for their
whole life. Behind an HTTP API stage the prefix arrives per request (`SCRIPT_NAME` `/prod`,
see lambda_runtime/stage.py), so the Swagger UI's assets, the admin's CSS and local
photo URLs pointed at `/static/...` and `/media/...`, outside the stage, where API Gateway
answers 404. These storages join their relative base URL to the prefix of the request
being served, at every `url()` call; outside a request the prefix is `/` (or
`DJANGO_SCRIPT_NAME`, which `django.setup()` installs).

Give them the relative URL as the `base_url` option (the settings do: `STATIC_URL` and
`MEDIA_URL` as written, before Django's caching prefixes them); without it they fall back
to the cached setting and behave like Django's own storages.
"""

from __future__ import annotations

from django.contrib.staticfiles.storage import StaticFilesStorage
from django.core.files.storage import FileSystemStorage
from django.urls import get_script_prefix
from whitenoise.storage import CompressedManifestStaticFilesStorage


def under_script_prefix(base_url: str) -> str:
    """`base_url` under the current script prefix, if it is relative ("static/")."""
    if base_url.startswith("/") or "://" in base_url:
        return base_url  # Site-absolute or another host (a CDN): leave it alone.
    return f"{get_script_prefix()}{base_url}"


class ScriptPrefixedURLsMixin:
    """`base_url` is the configured relative URL under the current request's prefix."""

    # Set by FileSystemStorage.__init__ from the `base_url` option.
    _base_url: str | None

    @property
    def base_url(self) -> str | None:
        if self._base_url is None:
            return None
        return under_script_prefix(self._base_url)


# The property replaces Django's cached_property of the same name on purpose ([misc]).
class StageAwareFileSystemStorage(ScriptPrefixedURLsMixin, FileSystemStorage):  # type: ignore[misc]
    """The local media storage (photos without a bucket)."""


class StageAwareStaticFilesStorage(ScriptPrefixedURLsMixin, StaticFilesStorage):  # type: ignore[misc]
    """Static files found in the app directories (local settings)."""


class StageAwareManifestStaticFilesStorage(
    ScriptPrefixedURLsMixin, CompressedManifestStaticFilesStorage
):
    """WhiteNoise's hashed, compressed static files (production)."""
