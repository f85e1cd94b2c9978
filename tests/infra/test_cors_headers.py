"""Both HTTP APIs let browsers send the precondition and Idempotency-Key headers, and read
the headers the API answers with (ETag, Idempotent-Replayed, Retry-After, X-RateLimit-*)."""

from __future__ import annotations

from typing import Any

import pytest

from apps.common.idempotency import HEADER, REPLAYED_HEADER
from tests.infra.cfn import TEMPLATE, load, properties

API_RESOURCES = ("HttpApi", "ContainerHttpApi")
REQUEST_HEADERS = {"if-match", "if-none-match", HEADER.lower(), "x-api-key", "authorization"}
RESPONSE_HEADERS = {
    "etag",
    "location",
    "retry-after",
    REPLAYED_HEADER.lower(),
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "x-request-id",
}


def cors(resource: str) -> dict[str, Any]:
    template = load(TEMPLATE.read_text())
    configuration = properties(template["Resources"][resource])["CorsConfiguration"]
    # `!If [HasCorsOrigins, {...}, !Ref AWS::NoValue]`: the configuration when origins are set.
    condition, when_set, _otherwise = configuration["Fn::If"]
    assert condition == "HasCorsOrigins"
    return dict(when_set)


@pytest.mark.parametrize("resource", API_RESOURCES)
def test_browsers_may_send_the_request_headers(resource: str) -> None:
    allowed = {name.lower() for name in cors(resource)["AllowHeaders"]}

    assert allowed >= REQUEST_HEADERS


@pytest.mark.parametrize("resource", API_RESOURCES)
def test_browsers_may_read_the_response_headers(resource: str) -> None:
    exposed = {name.lower() for name in cors(resource)["ExposeHeaders"]}

    assert exposed >= RESPONSE_HEADERS
