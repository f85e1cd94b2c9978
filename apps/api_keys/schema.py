"""OpenAPI: the `x-api-key` header as an apiKey security scheme, and GET /v1/usage (loaded
with the generator, apps.common.schema.SchemaGenerator, not at start-up)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema

from apps.api_keys.serializers import UsageSerializer
from apps.api_keys.views import UsageView
from apps.common.schema import document_view


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


document_view(
    UsageView,
    get=extend_schema(
        operation_id="getUsage",
        tags=["usage"],
        summary="Your key's (or your user's) plan and usage",
        description=(
            "The plan of the key in `x-api-key`, or of the token's user (the plan staff "
            "assigned, else the default plan): its throttle (token bucket) and its quota "
            "for the current UTC period. This request is metered like any other, so `used` "
            "includes it."
        ),
        responses={200: UsageSerializer},
    ),
)
