"""REST methods from SAM's own syntax: functions' `Api` events and the API's `Auth`,
`Models` and `GatewayResponses` properties.

https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-property-function-api.html
"""

from __future__ import annotations

from typing import Any

from localgateway.rest.model import REST_MAX_TIMEOUT_MS, GatewayResponse, RestMethod
from localgateway.rest.openapi import ANY_METHOD, Context, first_template
from localgateway.rest.validation import check_schema


def gateway_responses(config: Any) -> dict[str, GatewayResponse]:
    """SAM's `GatewayResponses` property of an `AWS::Serverless::Api`."""
    responses = {}
    for kind, value in (config or {}).items():
        headers = ((value.get("ResponseParameters") or {}).get("Headers")) or {}
        responses[str(kind)] = GatewayResponse(
            status=int(value["StatusCode"]) if value.get("StatusCode") else None,
            headers=tuple((str(n), str(v)) for n, v in headers.items()),
            template=first_template(value.get("ResponseTemplates") or {}),
        )
    return responses


def event_methods(api: str, props: dict[str, Any], context: Context) -> list[RestMethod]:
    """Methods from functions' `Api` events on `api` (SAM's `RestApiId`)."""
    auth = props.get("Auth") or {}
    models = props.get("Models") or {}
    found = []
    for name, resource in context.resources.items():
        if not isinstance(resource, dict) or resource.get("Type") != "AWS::Serverless::Function":
            continue
        if "Condition" in resource and not context.resolver.condition(resource["Condition"]):
            continue
        function = context.resolver.resolve(resource.get("Properties") or {})
        for event in (function.get("Events") or {}).values():
            event_props = event.get("Properties") or {}
            if event.get("Type") != "Api" or event_props.get("RestApiId") not in (
                {"Ref": api},
                api,
            ):
                continue
            found.append(_event_method(name, event_props, auth, models, context))
    return found


def _event_method(
    function: str,
    props: dict[str, Any],
    auth: dict[str, Any],
    models: dict[str, Any],
    context: Context,
) -> RestMethod:
    handler, function_ms = context.function_named(function)
    method = str(props.get("Method", "ANY")).upper()
    event_auth = props.get("Auth") or {}
    model = props.get("RequestModel") or {}
    schemas = {}
    if model.get("Model") in models:
        schemas["application/json"] = models[model["Model"]]
        check_schema(schemas["application/json"])
    required = []
    for parameter in props.get("RequestParameters") or []:
        name, options = (
            (parameter, {}) if isinstance(parameter, str) else next(iter(parameter.items()))
        )
        _, _, location, key = str(name).split(".", 3)
        if str(options.get("Required", "")).lower() == "true":
            required.append((location, key))
    return RestMethod(
        path=str(props["Path"]),
        method="ANY" if method == ANY_METHOD.upper() else method,
        integration="lambda",
        handler=handler,
        function_timeout_ms=function_ms,
        integration_timeout_ms=min(
            int(props.get("TimeoutInMillis", REST_MAX_TIMEOUT_MS)), REST_MAX_TIMEOUT_MS
        ),
        api_key_required=bool(event_auth.get("ApiKeyRequired", auth.get("ApiKeyRequired", False))),
        validate_body=bool(model.get("ValidateBody", model.get("Required", False)))
        and bool(schemas),
        validate_parameters=bool(model.get("ValidateParameters", True)) and bool(required),
        required_parameters=tuple(required),
        body_schemas=schemas,
    )
