"""Request validators: required parameters present, and the body against its model (draft 4).

https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-request-validation.html
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

# jsonschema (a runtime dependency through drf-spectacular) ships no type information.
from jsonschema import Draft4Validator  # type: ignore[import-untyped]
from jsonschema.exceptions import SchemaError  # type: ignore[import-untyped]

from localgateway.rest.events import media_type
from localgateway.rest.model import RestMethod
from localgateway.rest.responses import Refusal
from localgateway.spec import TemplateError


def validate(
    method: RestMethod,
    *,
    headers: Mapping[str, str],
    query: Mapping[str, str],
    path_parameters: Mapping[str, str],
    body: bytes,
) -> Refusal | None:
    """API Gateway's 400 for the first check that fails, or None. `headers`: lower-case names."""
    if method.validate_parameters and (
        missing := _missing(method, headers, query, path_parameters)
    ):
        return Refusal(
            "BAD_REQUEST_PARAMETERS",
            f"Missing required request parameters: [{', '.join(missing)}]",
        )
    if method.validate_body and (body or method.body_required):
        return _body_refusal(method, headers.get("content-type"), body)
    return None


def _missing(
    method: RestMethod,
    headers: Mapping[str, str],
    query: Mapping[str, str],
    path_parameters: Mapping[str, str],
) -> list[str]:
    missing = []
    for location, name in method.required_parameters:
        if location == "header":
            value = headers.get(name.lower())
        elif location == "querystring":
            value = query.get(name)
        else:
            value = path_parameters.get(name)
        # `?q=` counts as missing, as on AWS.
        if value is None or not value.strip():
            missing.append(name)
    return missing


def _body_refusal(method: RestMethod, content_type: str | None, body: bytes) -> Refusal | None:
    schemas = method.body_schemas
    schema = schemas.get(media_type(content_type) or "application/json", schemas.get("$default"))
    if schema is None:
        return None  # no model for this content type: nothing to validate against
    try:
        document: Any = json.loads(body or b"null")
    except (UnicodeDecodeError, ValueError):
        return Refusal("BAD_REQUEST_BODY", "Invalid request body", validation_error="Invalid JSON")
    try:
        errors = sorted(Draft4Validator(schema).iter_errors(document), key=lambda e: e.path)
    except SchemaError as exc:  # pragma: no cover - a template error, reported at start
        return Refusal("API_CONFIGURATION_ERROR", "Internal server error", reason=str(exc))
    if not errors:
        return None
    detail = "[" + ", ".join(_describe(error) for error in errors) + "]"
    return Refusal("BAD_REQUEST_BODY", "Invalid request body", validation_error=detail)


def _describe(error: Any) -> str:
    where = "/" + "/".join(str(part) for part in error.absolute_path)
    return f"{error.message} (at {where})" if error.absolute_path else error.message


def check_schema(schema: Any) -> None:
    """Refuse a model that is not a draft-4 schema at start-up, as API Gateway refuses it
    at deployment."""
    try:
        Draft4Validator.check_schema(schema)
    except SchemaError as exc:
        raise TemplateError(
            f"a request model is not a JSON schema (draft 4): {exc.message}"
        ) from exc
