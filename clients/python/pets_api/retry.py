"""Retries that are safe: a 429 (the request was refused before it ran), and for requests that
may run twice (GET, PUT, DELETE, or any request with an Idempotency-Key) a 502/503/504, a
network error, or a 409 saying the first request with that key still runs."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from pets_api.errors import retry_after

# Methods that mean the same when sent twice (RFC 9110, section 9.2.2).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
IDEMPOTENCY_KEY = "idempotency-key"
# The gateway's and the app's "try again": a Lambda timeout, the database unavailable.
TRANSIENT = frozenset({502, 503, 504})


class RetryTransport(httpx.BaseTransport):
    """Wraps a transport: waits what Retry-After says (or backs off), then sends again.

    Gives up (returning the last answer, or raising the last network error) after `retries`
    retries, or at once when the server asks for a wait longer than `max_wait` seconds (a
    used-up daily quota).
    """

    def __init__(
        self,
        transport: httpx.BaseTransport | None = None,
        *,
        retries: int = 3,
        max_wait: float = 60.0,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.transport = transport or httpx.HTTPTransport()
        self.retries = retries
        self.max_wait = max_wait
        self.backoff = backoff
        self.sleep = sleep

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = self.transport.handle_request(request)
            except httpx.TransportError:
                if attempt >= self.retries or not repeatable(request):
                    raise
                self.sleep(self.backoff * 2**attempt)
                attempt += 1
                continue
            wait = self.wait(request, response, attempt)
            if wait is None:
                return response
            response.read()
            response.close()
            self.sleep(wait)
            attempt += 1

    def wait(self, request: httpx.Request, response: httpx.Response, attempt: int) -> float | None:
        """Seconds to wait before sending `request` again, or None to give up."""
        if attempt >= self.retries or not retryable(request, response):
            return None
        asked = retry_after(response.headers)
        wait = self.backoff * 2**attempt if asked is None else asked
        return wait if wait <= self.max_wait else None

    def close(self) -> None:
        self.transport.close()


def repeatable(request: httpx.Request) -> bool:
    """Whether the request means the same when it runs twice."""
    return request.method in IDEMPOTENT_METHODS or IDEMPOTENCY_KEY in request.headers


def retryable(request: httpx.Request, response: httpx.Response) -> bool:
    """Whether sending `request` again is safe, and may help, after `response`."""
    if response.status_code == 429:
        return True
    if response.status_code in TRANSIENT:
        return repeatable(request)
    # The first request with this Idempotency-Key still runs: a retry gets its answer.
    return (
        response.status_code == 409
        and IDEMPOTENCY_KEY in request.headers
        and "retry-after" in response.headers
    )
