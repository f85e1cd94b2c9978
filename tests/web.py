"""HTTP calls to the live servers tests start: httpx with a generous timeout, not its 5 s."""

from __future__ import annotations

from typing import Any

import httpx

# Only a hung server runs into this; a busy machine answers slowly, never this slowly.
TIMEOUT = httpx.Timeout(120.0)


def request(method: str, url: str, **kwargs: Any) -> httpx.Response:
    kwargs.setdefault("timeout", TIMEOUT)
    return httpx.request(method, url, **kwargs)


def get(url: str, **kwargs: Any) -> httpx.Response:
    return request("GET", url, **kwargs)


def post(url: str, **kwargs: Any) -> httpx.Response:
    return request("POST", url, **kwargs)


def put(url: str, **kwargs: Any) -> httpx.Response:
    return request("PUT", url, **kwargs)


def patch(url: str, **kwargs: Any) -> httpx.Response:
    return request("PATCH", url, **kwargs)


def delete(url: str, **kwargs: Any) -> httpx.Response:
    return request("DELETE", url, **kwargs)


def options(url: str, **kwargs: Any) -> httpx.Response:
    return request("OPTIONS", url, **kwargs)
