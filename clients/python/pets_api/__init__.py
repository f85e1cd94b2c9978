"""The hand-written layer over the generated `pets_api_client`: `connect()` (key header,
typed errors, retries), page iteration, presigned uploads, Idempotency-Key and If-Match."""

from pets_api.client import connect, etag, new_idempotency_key, ok
from pets_api.errors import ApiError
from pets_api.pages import Pages, pages
from pets_api.retry import RetryTransport
from pets_api.uploads import send_upload

__all__ = [
    "ApiError",
    "Pages",
    "RetryTransport",
    "connect",
    "etag",
    "new_idempotency_key",
    "ok",
    "pages",
    "send_upload",
]
