"""WhiteNoise's middleware, indexing the static files only when first asked for one in a
Lambda initialised on demand."""

from __future__ import annotations

import os
import threading
from typing import Any

from django.http import HttpRequest, HttpResponseBase
from whitenoise.middleware import WhiteNoiseMiddleware as BaseWhiteNoiseMiddleware

# Set by Lambda for the init phase: "on-demand", "provisioned-concurrency" or "snap-start".
INITIALIZATION_TYPE = "AWS_LAMBDA_INITIALIZATION_TYPE"


class WhiteNoiseMiddleware(BaseWhiteNoiseMiddleware):  # type: ignore[misc]  # untyped
    """WhiteNoise, as configured by its settings; in a Lambda initialised on demand its index
    of the static files (a stat, headers and compressed alternatives for each file: ~5% of
    the instructions of a cold start to the first API response) is built by the first
    request under a static prefix instead of at init, which API requests never need.

    Anywhere else the index is built at start, as WhiteNoise does: a SnapStart snapshot or
    provisioned concurrency initialises before any request, and a server once per process.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._deferred: list[tuple[str, str | None]] = []
        self._defer = os.environ.get(INITIALIZATION_TYPE) == "on-demand"
        self._index_lock = threading.Lock()
        super().__init__(*args, **kwargs)  # calls add_files for each root
        self._defer = False

    def add_files(self, root: str, prefix: str | None = None) -> None:
        if self._defer and not self.autorefresh:
            self._deferred.append((root, prefix))
        else:
            super().add_files(root, prefix)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if self._deferred and any(
            request.path_info.startswith(prefix or "/") for _, prefix in self._deferred
        ):
            with self._index_lock:  # the first such request indexes; others wait for it
                for root, prefix in self._deferred:
                    super().add_files(root, prefix)
                self._deferred = []
        response: HttpResponseBase = super().__call__(request)
        return response
