"""REST methods from `AWS::ApiGateway::Resource`/`Method` resources and their validators,
models, gateway responses and stage.

https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-apigateway-method.html
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from localgateway.rest.model import (
    REST_MAX_TIMEOUT_MS,
    GatewayResponse,
    IntegrationResponse,
    MockIntegration,
    RestMethod,
)
from localgateway.rest.validation import check_schema
from localgateway.spec import TemplateError

if TYPE_CHECKING:
    from localgateway.rest.openapi import Context

_LOCATIONS = ("querystring", "header", "path")


def _of(resource: Any, kind: str, api: str, context: Context) -> dict[str, Any] | None:
    """The resolved properties of an active `kind` resource that belongs to `api`."""
    if not isinstance(resource, dict) or resource.get("Type") != kind:
        return None
    if "Condition" in resource and not context.resolver.condition(resource["Condition"]):
        return None
    props: dict[str, Any] = context.resolver.resolve(resource.get("Properties") or {})
    return props if props.get("RestApiId") in ({"Ref": api}, api) else None


def _named(ref: Any) -> str | None:
    return ref["Ref"] if isinstance(ref, dict) and isinstance(ref.get("Ref"), str) else None


def _path_of(resource_id: Any, context: Context, depth: int = 0) -> str:
    name = _named(resource_id)
    if name is None:  # !GetAtt Api.RootResourceId
        return "/"
    props = (context.resources.get(name) or {}).get("Properties") or {}
    if depth > 64 or "PathPart" not in props:
        raise TemplateError(f"{name} is not an AWS::ApiGateway::Resource with a PathPart")
    parent = _path_of(context.resolver.resolve(props.get("ParentId")), context, depth + 1)
    return parent.rstrip("/") + "/" + str(context.resolver.resolve(props["PathPart"]))


def methods(api: str, context: Context) -> list[RestMethod]:
    found = []
    for resource in context.resources.values():
        props = _of(resource, "AWS::ApiGateway::Method", api, context)
        if props is not None:
            found.append(_method(props, context))
    return found


def _method(props: dict[str, Any], context: Context) -> RestMethod:
    path = _path_of(props.get("ResourceId"), context)
    verb = str(props.get("HttpMethod", "ANY")).upper()
    integration = props.get("Integration") or {}
    kind = str(integration.get("Type", "")).upper()
    validator = _resource_props(props.get("RequestValidatorId"), context)
    required = tuple(
        (location, key)
        for name, needed in (props.get("RequestParameters") or {}).items()
        if str(needed).lower() == "true"
        for _, _, location, key in [str(name).split(".", 3)]
        if location in _LOCATIONS
    )
    schemas = {}
    for media, model in (props.get("RequestModels") or {}).items():
        schema = _resource_props(model, context).get("Schema")
        if isinstance(schema, dict):
            check_schema(schema)
            schemas[str(media).lower()] = schema
    common: dict[str, Any] = {
        "path": path,
        "method": verb,
        "api_key_required": str(props.get("ApiKeyRequired", "")).lower() == "true",
        "validate_body": str(validator.get("ValidateRequestBody", "")).lower() == "true",
        "validate_parameters": str(validator.get("ValidateRequestParameters", "")).lower()
        == "true",
        "required_parameters": required,
        "body_schemas": schemas,
        "integration_timeout_ms": min(
            int(integration.get("TimeoutInMillis", REST_MAX_TIMEOUT_MS)), REST_MAX_TIMEOUT_MS
        ),
        "cache_key_parameters": tuple(str(k) for k in integration.get("CacheKeyParameters") or []),
    }
    if kind == "AWS_PROXY":
        handler, function_ms = context.function(integration.get("Uri"))
        return RestMethod(
            integration="lambda", handler=handler, function_timeout_ms=function_ms, **common
        )
    if kind == "MOCK":
        return RestMethod(integration="mock", mock=_mock(integration), **common)
    raise TemplateError(f"{verb} {path}: integration type {kind!r}; AWS_PROXY and MOCK are served")


def _resource_props(ref: Any, context: Context) -> dict[str, Any]:
    name = _named(ref)
    if name is None:
        return {}
    resource = context.resources.get(name) or {}
    return dict(context.resolver.resolve(resource.get("Properties") or {}))


def _mock(integration: dict[str, Any]) -> MockIntegration:
    templates = integration.get("RequestTemplates") or {}
    request = templates.get("application/json") or next(iter(templates.values()), None)
    responses = []
    for response in integration.get("IntegrationResponses") or []:
        response_templates = response.get("ResponseTemplates") or {}
        responses.append(
            IntegrationResponse(
                status=int(response.get("StatusCode", 200)),
                pattern=response.get("SelectionPattern") or None,
                headers=tuple(
                    (str(n).removeprefix("method.response.header."), str(v))
                    for n, v in (response.get("ResponseParameters") or {}).items()
                    if str(n).startswith("method.response.header.")
                ),
                template=str(next(iter(response_templates.values()), "") or ""),
            )
        )
    return MockIntegration(str(request or '{"statusCode": 200}'), tuple(responses))


def gateway_responses(api: str, context: Context) -> dict[str, GatewayResponse]:
    found = {}
    for resource in context.resources.values():
        props = _of(resource, "AWS::ApiGateway::GatewayResponse", api, context)
        if props is None:
            continue
        templates = props.get("ResponseTemplates") or {}
        found[str(props["ResponseType"])] = GatewayResponse(
            status=int(props["StatusCode"]) if props.get("StatusCode") else None,
            headers=tuple(
                (str(n).removeprefix("gatewayresponse.header."), str(v))
                for n, v in (props.get("ResponseParameters") or {}).items()
                if str(n).startswith("gatewayresponse.header.")
            ),
            template=(
                str(templates.get("application/json", next(iter(templates.values()))))
                if templates
                else None
            ),
        )
    return found


def stage(api: str, context: Context) -> dict[str, Any]:
    """The properties of the API's `AWS::ApiGateway::Stage` (none: a bare StageName)."""
    for resource in context.resources.values():
        props = _of(resource, "AWS::ApiGateway::Stage", api, context)
        if props is not None:
            return props
    return {}
