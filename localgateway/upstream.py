"""The private-integration mode: proxy to an HTTP server as a VPC link to an ALB would."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from localgateway.events import Request, trace_id
from localgateway.results import HttpResponse

# Hop-by-hop headers (RFC 9110 section 7.6.1) are never forwarded.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
        "host",
    }
)


class UpstreamError(Exception):
    """The upstream could not be reached or did not answer in time."""


class HttpUpstream:
    """Forwards requests with `x-forwarded-*` added; the Host becomes the upstream's."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"--upstream needs an http(s) URL, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.client = httpx.AsyncClient(follow_redirects=False)

    async def forward(
        self,
        request: Request,
        path: str,
        timeout: float,
        mappings: tuple[tuple[str, str, str], ...] = (),
        context: dict[str, str] | None = None,
    ) -> HttpResponse:
        headers = [(n, v) for n, v in request.headers if n.lower() not in HOP_BY_HOP]
        forwarded = [v for n, v in request.headers if n.lower() == "x-forwarded-for"]
        headers = [(n, v) for n, v in headers if not n.lower().startswith("x-forwarded-")]
        chain = ", ".join([*forwarded, request.source_ip])
        headers += [
            ("x-forwarded-for", chain),
            ("x-forwarded-proto", request.scheme),
            ("x-forwarded-port", str(request.port)),
            ("x-amzn-trace-id", trace_id(request.epoch_ms)),
        ]
        headers = apply_header_mappings(headers, mappings, request, context)
        url = self.base_url + path + (f"?{request.raw_query}" if request.raw_query else "")
        try:
            response = await self.client.request(
                request.method, url, headers=headers, content=request.body, timeout=timeout
            )
        except httpx.TimeoutException as exc:
            raise UpstreamError(f"upstream timed out: {exc}") from exc
        except httpx.HTTPError as exc:
            raise UpstreamError(f"upstream unreachable: {exc}") from exc
        pairs = [(n, v) for n, v in response.headers.multi_items() if n.lower() not in HOP_BY_HOP]
        # httpx decodes compressed bodies; the encoding header no longer applies.
        pairs = [(n, v) for n, v in pairs if n.lower() != "content-encoding"]
        return HttpResponse(response.status_code, pairs, response.content)

    async def aclose(self) -> None:
        await self.client.aclose()


def apply_header_mappings(
    headers: list[tuple[str, str]],
    mappings: tuple[tuple[str, str, str], ...],
    request: Request,
    context: dict[str, str] | None = None,
) -> list[tuple[str, str]]:
    """The integration's parameter mappings, as API Gateway applies them before forwarding.

    Values are static, `$request.header.NAME` (the client's header) or `$context.NAME`
    (`context`: the authorizer's claims or context; empty when there are none). An
    overwrite always removes the client's header; an empty value adds nothing. See
    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-parameter-mapping.html
    """
    for action, name, value in mappings:
        if value.startswith("$request.header."):
            wanted = value.removeprefix("$request.header.").lower()
            value = next((v for n, v in request.headers if n.lower() == wanted), "")
        elif value.startswith("$context."):
            value = (context or {}).get(value.removeprefix("$context."), "")
        if action in ("overwrite", "remove"):
            headers = [(n, v) for n, v in headers if n.lower() != name]
        if action in ("overwrite", "append") and value:
            headers.append((name, value))
    return headers
