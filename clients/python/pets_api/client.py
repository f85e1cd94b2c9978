"""One configured client: the key header set once, typed errors, safe retries."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import httpx

from pets_api.errors import error_for
from pets_api.retry import RetryTransport
from pets_api_client import AuthenticatedClient
from pets_api_client.models import Error
from pets_api_client.types import Response

T = TypeVar("T")

API_KEY_HEADER = "x-api-key"


def connect(
    base_url: str,
    *,
    api_key: str | None = None,
    token: str | None = None,
    retries: int = 3,
    max_wait: float = 60.0,
    timeout: float = 30.0,
    headers: Mapping[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> AuthenticatedClient:
    """A client for the API at `base_url` (stage included: `https://.../prod`).

    Give an API key (sent as `x-api-key`, as is) or a JWT (sent as `Authorization: Bearer`).
    Every answer of 400 or more raises a `pets_api.errors.ApiError` subclass; 429s, and 503s
    of requests that may run twice, are retried after Retry-After (at most `max_wait` s).
    """
    if (api_key is None) == (token is None):
        raise ValueError("Give api_key or token (one of them).")
    secret = str(api_key if api_key is not None else token)
    _check_header_value(secret, "api_key" if api_key is not None else "token")
    retrying = RetryTransport(transport, retries=retries, max_wait=max_wait, sleep=sleep)
    return AuthenticatedClient(
        base_url=base_url.rstrip("/"),
        token=secret,
        prefix="" if api_key is not None else "Bearer",
        auth_header_name=API_KEY_HEADER if api_key is not None else "Authorization",
        headers=dict(headers or {}),
        timeout=httpx.Timeout(timeout),
        raise_on_unexpected_status=True,
        httpx_args={"transport": retrying, "event_hooks": {"response": [raise_for_error]}},
    )


def raise_for_error(response: httpx.Response) -> None:
    """httpx response hook: a typed error before the generated parser sees the body (it
    would fail on a proxy's HTML page)."""
    if response.status_code >= 400:
        response.read()
        raise error_for(response)


def ok(parsed: T | Error | None) -> T:
    """The parsed body of a successful call, typed without its error variants:
    `pet = ok(get_pet.sync(client=api, id=1))`."""
    if parsed is None or isinstance(parsed, Error):
        # Only reachable with a client that connect() did not make: it raises first.
        raise TypeError(f"Not a successful answer: {parsed!r}")
    return parsed


def etag(response: Response[Any]) -> str:
    """The ETag of a `sync_detailed` answer, for `if_match=` on the next write."""
    value = response.headers.get("etag")
    if not value:
        raise KeyError("The answer has no ETag header.")
    return str(value)


def new_idempotency_key() -> str:
    """A fresh Idempotency-Key: send the same one with each retry of one operation."""
    return str(uuid.uuid4())


def _check_header_value(value: str, name: str) -> None:
    # Sent as is: `.` and other printable characters need no escaping, but a line break
    # would split the header and surrounding blanks would be trimmed by the server.
    if not value or value != value.strip() or not all(" " <= ch <= "~" for ch in value):
        raise ValueError(f"{name} must be printable ASCII without surrounding blanks.")
