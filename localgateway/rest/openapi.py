"""REST methods from an OpenAPI body with API Gateway's extensions, and from SAM `Api` events.

https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions.html
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from localgateway.intrinsics import Resolver
from localgateway.rest.model import (
    REST_MAX_TIMEOUT_MS,
    GatewayResponse,
    IntegrationResponse,
    MockIntegration,
    RestMethod,
)
from localgateway.rest.validation import check_schema
from localgateway.spec import DEFAULT_FUNCTION_TIMEOUT_S, TemplateError

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
ANY_METHOD = "x-amazon-apigateway-any-method"
_FUNCTION = re.compile(r"\$\{(\w+?)(?:\.Arn|\.Alias)?\}")
_FUNCTION_NAME = re.compile(r":function:([A-Za-z0-9_-]+)")
_LOCATIONS = {"query": "querystring", "header": "header", "path": "path"}


@dataclass(frozen=True)
class Context:
    """The template's resources, for the functions integrations name."""

    resources: dict[str, Any]
    resolver: Resolver
    globals_timeout: Any = None

    def function(self, uri: Any) -> tuple[str, int]:
        """(handler, timeout in ms) of the function a Lambda integration URI invokes."""
        text = uri if isinstance(uri, str) else _text(uri)
        for name in _FUNCTION.findall(text):
            resource = self.resources.get(name)
            if isinstance(resource, dict) and resource.get("Type") == "AWS::Serverless::Function":
                return self.function_named(name)
        # An ARN built from the function's name (`function:${AWS::StackName}-api:${alias}`).
        for function_name in _FUNCTION_NAME.findall(text):
            for name, resource in self.resources.items():
                if not isinstance(resource, dict):
                    continue
                if resource.get("Type") != "AWS::Serverless::Function":
                    continue
                props = resource.get("Properties") or {}
                if self.resolver.resolve(props.get("FunctionName")) == function_name:
                    return self.function_named(name)
        raise TemplateError(f"cannot tell which function the integration URI {uri!r} invokes")

    def function_named(self, name: str) -> tuple[str, int]:
        props = self.resolver.resolve(self.resources[name].get("Properties") or {})
        timeout = props.get("Timeout", self.globals_timeout or DEFAULT_FUNCTION_TIMEOUT_S)
        return str(props.get("Handler", "")), int(float(timeout) * 1000)


def _text(value: Any) -> str:
    if isinstance(value, dict) and len(value) == 1:
        ((_, arg),) = value.items()
        return _text(arg[0] if isinstance(arg, list) and arg else arg)
    return str(value)


def methods(body: dict[str, Any], context: Context) -> list[RestMethod]:
    validators = body.get("x-amazon-apigateway-request-validators") or {}
    default_validator = body.get("x-amazon-apigateway-request-validator")
    key_schemes = _api_key_schemes(body)
    found = []
    for path, item in (body.get("paths") or {}).items():
        shared = (item or {}).get("parameters") or []
        for verb, operation in (item or {}).items():
            if verb not in (*HTTP_METHODS, ANY_METHOD) or not isinstance(operation, dict):
                continue
            integration = operation.get("x-amazon-apigateway-integration")
            if not isinstance(integration, dict):
                continue  # nothing to run: API Gateway refuses to deploy such a method
            name = operation.get("x-amazon-apigateway-request-validator", default_validator)
            validator = (validators.get(name) if name else None) or {}
            found.append(
                _method(
                    path,
                    "ANY" if verb == ANY_METHOD else verb.upper(),
                    integration,
                    context,
                    api_key_required=_needs_key(operation, body, key_schemes),
                    validate_body=bool(validator.get("validateRequestBody")),
                    validate_parameters=bool(validator.get("validateRequestParameters")),
                    required_parameters=_required(shared + (operation.get("parameters") or [])),
                    body_schemas=_body_schemas(operation, body),
                    # Unsaid, a body is validated even when empty (the stricter reading).
                    body_required=bool((operation.get("requestBody") or {}).get("required", True)),
                )
            )
    return found


def _method(
    path: str, verb: str, integration: dict[str, Any], context: Context, **fields: Any
) -> RestMethod:
    """The method; `fields` are RestMethod's request-side fields (key, validator, ...)."""
    kind = str(integration.get("type", "")).lower()
    timeout = min(int(integration.get("timeoutInMillis", REST_MAX_TIMEOUT_MS)), REST_MAX_TIMEOUT_MS)
    common = {
        "path": path,
        "method": verb,
        "integration_timeout_ms": timeout,
        "cache_key_parameters": tuple(str(k) for k in integration.get("cacheKeyParameters") or []),
        **fields,
    }
    if kind == "aws_proxy":
        handler, function_ms = context.function(integration.get("uri"))
        return RestMethod(
            integration="lambda", handler=handler, function_timeout_ms=function_ms, **common
        )
    if kind == "mock":
        return RestMethod(integration="mock", mock=mock_from_openapi(integration), **common)
    raise TemplateError(f"{verb} {path}: integration type {kind!r}; aws_proxy and mock are served")


def mock_from_openapi(integration: dict[str, Any]) -> MockIntegration:
    templates = integration.get("requestTemplates") or {}
    request = templates.get("application/json") or next(iter(templates.values()), None)
    responses = []
    for pattern, response in (integration.get("responses") or {}).items():
        response_templates = response.get("responseTemplates") or {}
        responses.append(
            IntegrationResponse(
                status=int(response.get("statusCode", 200)),
                pattern=None if pattern == "default" else str(pattern),
                headers=_header_parameters(response.get("responseParameters")),
                template=str(next(iter(response_templates.values()), "") or ""),
            )
        )
    return MockIntegration(
        request_template=str(request or '{"statusCode": 200}'), responses=tuple(responses)
    )


def _header_parameters(
    parameters: Any, prefix: str = "method.response.header."
) -> tuple[tuple[str, str], ...]:
    return tuple(
        (str(name).removeprefix(prefix), str(value))
        for name, value in (parameters or {}).items()
        if str(name).startswith(prefix)
    )


def _api_key_schemes(body: dict[str, Any]) -> set[str]:
    schemes = (
        (body.get("components") or {}).get("securitySchemes")
        or body.get("securityDefinitions")
        or {}
    )
    return {
        name
        for name, scheme in schemes.items()
        if isinstance(scheme, dict)
        and scheme.get("type") == "apiKey"
        and str(scheme.get("name", "")).lower() == "x-api-key"
        and "x-amazon-apigateway-authtype" not in scheme
    }


def _needs_key(operation: dict[str, Any], body: dict[str, Any], schemes: set[str]) -> bool:
    security = operation.get("security", body.get("security")) or []
    return any(name in schemes for requirement in security for name in (requirement or {}))


def _required(parameters: list[Any]) -> tuple[tuple[str, str], ...]:
    return tuple(
        (_LOCATIONS[p["in"]], str(p["name"]))
        for p in parameters
        if isinstance(p, dict) and p.get("required") and p.get("in") in _LOCATIONS
    )


def _body_schemas(operation: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    schemas = {}
    content = (operation.get("requestBody") or {}).get("content") or {}
    for media, value in content.items():
        if isinstance(value, dict) and "schema" in value:
            schemas[str(media).lower()] = inline_refs(value["schema"], body)
    for parameter in operation.get("parameters") or []:  # Swagger 2: a body parameter
        if isinstance(parameter, dict) and parameter.get("in") == "body" and "schema" in parameter:
            for media in operation.get("consumes") or body.get("consumes") or ["application/json"]:
                schemas[str(media).lower()] = inline_refs(parameter["schema"], body)
    for schema in schemas.values():
        check_schema(schema)
    return schemas


def inline_refs(schema: Any, body: dict[str, Any], depth: int = 0) -> Any:
    """The schema with `#/components/schemas/X` (or `#/definitions/X`) references inlined."""
    if depth > 32:
        raise TemplateError("model references nest too deep (a cycle?)")
    if isinstance(schema, list):
        return [inline_refs(item, body, depth + 1) for item in schema]
    if not isinstance(schema, dict):
        return schema
    ref = schema.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        models = (body.get("components") or {}).get("schemas") or body.get("definitions") or {}
        if name not in models:
            raise TemplateError(f"model {ref} is not defined")
        return inline_refs(models[name], body, depth + 1)
    return {key: inline_refs(value, body, depth + 1) for key, value in schema.items()}


def gateway_responses(body: dict[str, Any]) -> dict[str, GatewayResponse]:
    responses = {}
    for kind, config in (body.get("x-amazon-apigateway-gateway-responses") or {}).items():
        templates = config.get("responseTemplates") or {}
        responses[str(kind)] = GatewayResponse(
            status=int(config["statusCode"]) if config.get("statusCode") else None,
            headers=_header_parameters(config.get("responseParameters"), "gatewayresponse.header."),
            template=first_template(templates),
        )
    return responses


def first_template(templates: dict[str, Any]) -> str | None:
    if not templates:
        return None
    return str(templates.get("application/json", next(iter(templates.values()))))
