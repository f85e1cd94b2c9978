"""OpenAPI generation: the error shape on every operation, and stage-aware server URLs."""

from __future__ import annotations

from typing import Any

from django.urls import get_script_prefix
from drf_spectacular.generators import SchemaGenerator as BaseSchemaGenerator
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import permissions, serializers
from rest_framework.request import Request


class ErrorSerializer(serializers.Serializer[Any]):
    """The body of every 4xx/5xx response."""

    message = serializers.CharField(help_text="What went wrong, for a human.")
    # DRF moves declared fields off the class, so this does not shadow Serializer.errors.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text='Validation errors by field: {"field": ["message", ...]}.',
    )

    class Meta:
        ref_name = "Error"


# DRF's CharField refuses NUL characters, and (trimming whitespace) a blank value unless
# allow_blank; these patterns say so in the document, so generated clients and fuzzers
# agree with the server. Python's \s is what str.strip() removes.
NO_NUL_PATTERN = r"^[^\x00]*$"
NOT_BLANK_PATTERN = r"^[^\x00]*[^\s\x00][^\x00]*$"


def _header(description: str, kind: str = "string") -> dict[str, Any]:
    return {"description": description, "schema": {"type": kind}}


RATE_LIMIT_HEADERS = {
    "X-RateLimit-Limit": _header("The key's quota for the period, or `unlimited`."),
    "X-RateLimit-Remaining": _header("Requests left in the period, or `unlimited`."),
    "X-RateLimit-Reset": _header("Seconds until the quota period resets."),
}


class AutoSchema(BaseAutoSchema):
    """Adds the error responses each operation can really return, all in the Error shape."""

    def _insert_field_validators(self, field: Any, schema: dict[str, Any]) -> None:
        super()._insert_field_validators(field, schema)  # type: ignore[no-untyped-call]
        plain_string = schema.get("type") == "string" and not {"format", "pattern", "enum"} & set(
            schema
        )
        if isinstance(field, serializers.CharField) and not field.read_only and plain_string:
            blank_ok = field.allow_blank or not field.trim_whitespace
            schema["pattern"] = NO_NUL_PATTERN if blank_ok else NOT_BLANK_PATTERN

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        for code, description in self.error_responses().items():
            responses.setdefault(
                str(code),
                self._get_response_for_code(  # type: ignore[no-untyped-call]
                    OpenApiResponse(ErrorSerializer, description),
                    str(code),
                    media_types=["application/json"],
                    direction=direction,
                ),
            )
        self._add_headers(responses)
        return responses

    def _add_headers(self, responses: dict[str, Any]) -> None:
        """Document the headers the responses carry (none is required: a request refused
        before its key was read has no X-RateLimit-* headers)."""
        metered = bool(self.view.get_throttles())
        for code, response in responses.items():
            headers = dict(RATE_LIMIT_HEADERS) if metered else {}
            if code == "429":
                headers["Retry-After"] = _header("Seconds to wait before retrying.", "integer")
            if code == "201":
                headers["Location"] = _header("Absolute URL of the created resource.")
            if headers:
                response.setdefault("headers", {}).update(headers)

    def error_responses(self) -> dict[int, str]:
        """Status codes this operation can answer with, and why."""
        codes: dict[int, str] = {}
        has_body = self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer()
        if has_body or self._is_list_view() or self.get_filter_backends():
            codes[400] = "Invalid input: `errors` names each bad field or parameter."
        if not self._allows_anonymous():
            if any(auth.authenticate_header(None) for auth in self.view.get_authenticators()):  # type: ignore[arg-type]
                codes[401] = "Missing or wrong credentials."
            codes[403] = "Forbidden."
        if self._has_path_parameters() or self._is_list_view():
            codes[404] = (
                "Not Found (including objects owned by someone else, and pages past the end)."
            )
        if has_body:
            codes[413] = "Request Too Long: the body is over the size limit."
            codes[415] = "Unsupported media type for the request body."
        if self.view.get_throttles():
            codes[429] = "Too Many Requests or Limit Exceeded; see Retry-After."
        return codes

    def _allows_anonymous(self) -> bool:
        perms = [type(p) for p in self.view.get_permissions()]
        return permissions.AllowAny in perms or not perms

    def _has_path_parameters(self) -> bool:
        return "{" in self.path


class SchemaGenerator(BaseSchemaGenerator):
    """Paths as the contract spells them (no trailing slash), and the server the document
    was fetched from, stage prefix included."""

    def get_schema(self, request: Request | None = None, public: bool = False) -> dict[str, Any]:
        schema: dict[str, Any] = super().get_schema(request, public)  # type: ignore[no-untyped-call]
        # Routes accept an optional trailing slash ("/?"); document the canonical form.
        schema["paths"] = {
            (path.rstrip("/") or "/"): item for path, item in schema["paths"].items()
        }
        if request is not None:
            root = request.build_absolute_uri(get_script_prefix()).rstrip("/")
            schema["servers"] = [{"url": root, "description": "This deployment"}]
        return schema
