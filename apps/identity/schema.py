"""OpenAPI: the bearer token API Gateway verifies, as an http/bearer security scheme (loaded
with the generator, not at start-up)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class GatewayJWTScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "apps.identity.authentication.GatewayJWTAuthentication"
    name = "BearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": (
                "An access token from the API's issuer (a Cognito user pool or another OIDC "
                "provider), verified by API Gateway's JWT authorizer where one is deployed. "
                "Reads need the `pets/read` scope, writes `pets/write`; a missing scope is a "
                '403 {"message": "Forbidden"}. With a token, `x-api-key` is not read.'
            ),
        }
