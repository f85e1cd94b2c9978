"""Fixtures for the gateway tests: the template fixture and an in-process ASGI client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from localgateway.integrations import ThreadInvoker
from localgateway.server import GatewayApp
from localgateway.spec import ApiSpec, load_spec

TEMPLATE = Path(__file__).parent / "fixtures" / "template.yaml"


@pytest.fixture
def spec() -> ApiSpec:
    return load_spec(TEMPLATE)


@pytest.fixture
def make_client() -> Callable[..., httpx.AsyncClient]:
    """An httpx client talking to a GatewayApp in-process (no sockets)."""

    def make(
        handler: str = "tests.localgateway.handlers.echo",
        *,
        stage: str | None = None,
        timeout: float | None = None,
        **spec_changes: Any,
    ) -> httpx.AsyncClient:
        loaded = load_spec(TEMPLATE, stage=stage)
        if spec_changes:
            loaded = ApiSpec(**{**loaded.__dict__, **spec_changes})
        app = GatewayApp(loaded, invoker=ThreadInvoker(handler, 4), timeout_override=timeout)
        transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 50000))
        return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:3000")

    return make


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def client(make_client: Callable[..., httpx.AsyncClient]) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client() as c:
        yield c
