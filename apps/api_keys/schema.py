"""OpenAPI: the `x-api-key` header as an apiKey security scheme (loaded by AppConfig.ready)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class APIKeyScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "apps.api_keys.authentication.APIKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "x-api-key",
            "description": (
                "An API key, `<prefix>.<secret>`, from an administrator or "
                "`manage.py create_api_key`. A missing, unknown, revoked or expired key "
                'is a 403 {"message": "Forbidden"}.'
            ),
        }
