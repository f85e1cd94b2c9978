"""OpenAPI for the photo views: every upload body is required, whatever its media type."""

from __future__ import annotations

from typing import Any

from apps.common.schema import AutoSchema


class UploadSchema(AutoSchema):
    """drf-spectacular marks a body of a raw binary type optional; an upload needs its bytes."""

    def _get_request_body(self, direction: str = "request") -> dict[str, Any] | None:
        body: dict[str, Any] | None = super()._get_request_body(direction)  # type: ignore[no-untyped-call]
        if body is not None:
            body["required"] = True
        return body
