"""WhiteNoise's middleware; in a Lambda initialised on demand, WhiteNoise itself is imported,
configured and indexes the static files only when first asked for one."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

# Set by Lambda for the init phase: "on-demand", "provisioned-concurrency" or "snap-start".
INITIALIZATION_TYPE = "AWS_LAMBDA_INITIALIZATION_TYPE"


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def deferrable_prefixes() -> tuple[str, ...] | None:
    """The URL prefixes WhiteNoise would serve from, when building it can wait for the first
    request under one: an init on demand serving STATIC_ROOT (and no WHITENOISE_ROOT, which
    is served at "/") from its index. None: WhiteNoise is built at start.

    The prefix is WhiteNoise's own (whitenoise.middleware): WHITENOISE_STATIC_PREFIX, else
    STATIC_URL's path without FORCE_SCRIPT_NAME, with a leading and a trailing slash.
    """
    if os.environ.get(INITIALIZATION_TYPE) != "on-demand":
        return None
    if _setting("WHITENOISE_AUTOREFRESH", settings.DEBUG):
        return None  # looks each request's path up on disk: nothing to defer
    if _setting("WHITENOISE_USE_FINDERS", settings.DEBUG) or _setting("WHITENOISE_ROOT", None):
        return None
    if not settings.STATIC_ROOT:
        return ()  # WhiteNoise would serve nothing
    prefix = _setting("WHITENOISE_STATIC_PREFIX", None)
    if prefix is None:
        prefix = urlparse(settings.STATIC_URL or "").path
        if settings.FORCE_SCRIPT_NAME:
            script_name = settings.FORCE_SCRIPT_NAME.rstrip("/")
            if prefix.startswith(script_name):
                prefix = prefix[len(script_name) :]
    prefix = (prefix or "").strip("/")
    return (f"/{prefix}/" if prefix else "/",)


class WhiteNoiseMiddleware:
    """WhiteNoise (whitenoise.middleware.WhiteNoiseMiddleware), as configured by its settings;
    in a Lambda initialised on demand it is imported and built (its index of the static
    files: a stat, headers and compressed alternatives for each file) by the first request
    under its static prefix instead of at init: API requests, which never need it, pass
    straight through (importing WhiteNoise and Django's static files storage and building
    the index were ~6% of the instructions of a cold start to the first API response).

    Anywhere else WhiteNoise is built at start, as Django builds middleware: a SnapStart
    snapshot or provisioned concurrency initialises before any request, and a server once
    per process.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self._lock = threading.Lock()
        self._prefixes = deferrable_prefixes()
        self.whitenoise: Callable[[HttpRequest], HttpResponseBase] | None = None
        if self._prefixes is None:
            self.whitenoise = self._build()

    def _build(self) -> Callable[[HttpRequest], HttpResponseBase]:
        from whitenoise.middleware import WhiteNoiseMiddleware as BaseWhiteNoiseMiddleware

        built: Callable[[HttpRequest], HttpResponseBase] = BaseWhiteNoiseMiddleware(
            self.get_response
        )
        return built

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        whitenoise = self.whitenoise
        if whitenoise is None:
            if not request.path_info.startswith(self._prefixes or ()):
                return self.get_response(request)
            with self._lock:  # the first such request builds it; others wait for it
                if self.whitenoise is None:
                    self.whitenoise = self._build()
                whitenoise = self.whitenoise
        return whitenoise(request)
