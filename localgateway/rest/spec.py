"""What the local gateway needs from a template's REST API: stage, methods, keys, validators,
mock integrations, gateway responses, binary media types and throttling.

Three ways a SAM template describes them, read alike: the OpenAPI body of an
`AWS::Serverless::Api` (`DefinitionBody`) or `AWS::ApiGateway::RestApi` (`Body`) with API
Gateway's extensions; `Api` events of functions (`RestApiId`, `Auth.ApiKeyRequired`,
`RequestModel`, `RequestParameters`) with the API's `Auth`, `Models` and `GatewayResponses`;
and `AWS::ApiGateway::Resource`/`Method`/`RequestValidator`/`Model`/`GatewayResponse`/`Stage`
resources (localgateway.rest.resources).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from localgateway.intrinsics import Resolver, load_template
from localgateway.rest import openapi, resources, sam
from localgateway.rest.model import GatewayResponse, MethodSetting, RestMethod, RestSpec
from localgateway.spec import TemplateError

REST_TYPES = ("AWS::Serverless::Api", "AWS::ApiGateway::RestApi")
HTTP_TYPES = ("AWS::Serverless::HttpApi",)


def active(resource: dict[str, Any], resolver: Resolver) -> bool:
    condition = resource.get("Condition")
    return condition is None or resolver.condition(condition)


def front_door(path: Path, *, api: str | None, parameters: dict[str, str]) -> str:
    """`rest` when `api` names a REST API, or when the template (with these parameters)
    deploys a REST API and no reachable HTTP API; `http` otherwise."""
    try:
        template = load_template(path.read_text())
    except (OSError, ValueError) as exc:
        raise TemplateError(f"cannot read {path}: {exc}") from exc
    found = template.get("Resources") or {}
    if api is not None:
        return "rest" if (found.get(api) or {}).get("Type") in REST_TYPES else "http"
    resolver = Resolver(template, parameters)
    kinds = {
        res.get("Type")
        for res in found.values()
        if isinstance(res, dict) and active(res, resolver) and _reachable(res, resolver)
    }
    return "rest" if kinds & set(REST_TYPES) and not kinds & set(HTTP_TYPES) else "http"


def _reachable(resource: dict[str, Any], resolver: Resolver) -> bool:
    """False for an API whose execute-api endpoint the template turns off: the HTTP API a
    REST front door keeps only because SAM cannot attach events to a conditional API."""
    props = resource.get("Properties") or {}
    disabled = resolver.resolve(props.get("DisableExecuteApiEndpoint", False))
    return str(disabled).lower() != "true"


def load_rest_spec(
    path: Path,
    *,
    api: str | None = None,
    stage: str | None = None,
    parameters: dict[str, str] | None = None,
) -> RestSpec:
    try:
        template = load_template(path.read_text())
    except (OSError, ValueError) as exc:
        raise TemplateError(f"cannot read {path}: {exc}") from exc
    try:
        return _read(template, path, api, stage, parameters or {})
    except TemplateError:
        raise
    except (AttributeError, IndexError, KeyError, TypeError, ValueError) as exc:
        raise TemplateError(f"cannot use {path}: {type(exc).__name__}: {exc}") from exc


def _read(
    template: dict[str, Any],
    path: Path,
    api: str | None,
    stage: str | None,
    parameters: dict[str, str],
) -> RestSpec:
    found = template.get("Resources") or {}
    resolver = Resolver(template, parameters)
    name = _rest_api(found, resolver, api, path)
    kind = found[name]["Type"]
    props = resolver.resolve(found[name].get("Properties") or {})
    body = props.get("DefinitionBody" if kind == "AWS::Serverless::Api" else "Body")
    methods: dict[str, RestMethod] = {}
    responses: dict[str, GatewayResponse] = {}
    api_key_source = str(props.get("ApiKeySourceType") or "HEADER").upper()
    binary = [str(t).replace("~1", "/") for t in props.get("BinaryMediaTypes") or []]
    context = openapi.Context(found, resolver, _globals_timeout(template, resolver))
    if isinstance(body, dict):
        methods |= {m.key: m for m in openapi.methods(body, context)}
        responses |= openapi.gateway_responses(body)
        binary += [str(t) for t in body.get("x-amazon-apigateway-binary-media-types") or []]
        api_key_source = str(body.get("x-amazon-apigateway-api-key-source", api_key_source))
    if kind == "AWS::Serverless::Api":
        for method in sam.event_methods(name, props, context):
            methods.setdefault(method.key, method)
        responses |= sam.gateway_responses(props.get("GatewayResponses"))
    methods |= {m.key: m for m in resources.methods(name, context)}
    responses |= resources.gateway_responses(name, context)
    if not methods:
        raise TemplateError(f"no methods are attached to the REST API {name} in {path}")
    if api_key_source != "HEADER":
        raise TemplateError(
            f"{name} takes API keys from its authorizer (ApiKeySourceType {api_key_source}); "
            "the local gateway reads them from the x-api-key header only"
        )
    stage_props = resources.stage(name, context) if kind != "AWS::Serverless::Api" else props
    log = stage_props.get("AccessLogSetting") or {}
    return RestSpec(
        name=name,
        stage=stage or str(stage_props.get("StageName") or "prod"),
        methods=tuple(methods.values()),
        binary_media_types=tuple(binary),
        gateway_responses=responses,
        api_key_source=api_key_source,
        method_settings=_method_settings(stage_props.get("MethodSettings")),
        cache_cluster=str(stage_props.get("CacheClusterEnabled", "")).lower() == "true",
        access_log_format=log.get("Format") if isinstance(log, dict) else None,
        stage_variables={k: str(v) for k, v in (stage_props.get("Variables") or {}).items()},
    )


def _rest_api(found: dict[str, Any], resolver: Resolver, api: str | None, path: Path) -> str:
    candidates = [
        name
        for name, res in found.items()
        if isinstance(res, dict) and res.get("Type") in REST_TYPES
    ]
    if api is not None:
        if api not in candidates:
            raise TemplateError(f"{api} is not a REST API (AWS::Serverless::Api) in {path}")
        return api
    deployed = [name for name in candidates if active(found[name], resolver)]
    if len(deployed) != 1:
        raise TemplateError(f"expected one REST API in {path}, found {deployed or candidates}")
    return deployed[0]


def _globals_timeout(template: dict[str, Any], resolver: Resolver) -> Any:
    return resolver.resolve((template.get("Globals") or {}).get("Function") or {}).get("Timeout")


def _method_settings(settings: Any) -> tuple[MethodSetting, ...]:
    """The stage's `MethodSettings`: `ResourcePath` with `~1` for `/`, as CloudFormation
    spells it (`/~1v1~1docs` is `/v1/docs`), or `/*` for every method."""
    found = []
    for entry in settings if isinstance(settings, list) else []:
        path = str(entry.get("ResourcePath", "/*"))
        found.append(
            MethodSetting(
                # "/" then the resource path: /~1v1~1docs is /v1/docs.
                path=path if path == "/*" else path[1:].replace("~1", "/"),
                method=str(entry.get("HttpMethod", "*")).upper(),
                throttle_rate=_number(entry.get("ThrottlingRateLimit"), float),
                throttle_burst=_number(entry.get("ThrottlingBurstLimit"), int),
                caching=_flag(entry.get("CachingEnabled")),
                cache_ttl=_number(entry.get("CacheTtlInSeconds"), int),
                cache_control_needs_authorization=_flag(
                    entry.get("RequireAuthorizationForCacheControl")
                ),
            )
        )
    return tuple(found)


def _number(value: Any, kind: Any) -> Any:
    return None if value is None else kind(float(value))


def _flag(value: Any) -> bool | None:
    return None if value is None else str(value).lower() == "true"
