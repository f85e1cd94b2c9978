"""What the local gateway needs from infra/template.yaml: stage, routes, CORS, limits, logs."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from localgateway.authorizers import RouteAuth, openapi_authorizers, route_authorizers
from localgateway.intrinsics import Resolver, load_template

# Hard HTTP API quotas (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html)
HTTP_API_MAX_TIMEOUT_MS = 30_000
HTTP_API_MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
HTTP_API_MAX_REQUEST_LINE_AND_HEADERS = 10_240
# Lambda's synchronous invoke payload limit (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html)
LAMBDA_MAX_EVENT_BYTES = 6_291_556
DEFAULT_FUNCTION_TIMEOUT_S = 3  # Lambda's own default when a function sets none


@dataclass(frozen=True)
class Cors:
    allow_origins: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ()
    allow_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age: int | None = None
    allow_credentials: bool = False


@dataclass(frozen=True)
class Route:
    """One route: `ANY /{proxy+}`, `GET /v1/pets`, or `$default`."""

    key: str
    integration: str  # "lambda" or "http"
    handler: str = ""  # dotted path of the Lambda handler
    function_timeout_ms: int = DEFAULT_FUNCTION_TIMEOUT_S * 1000
    integration_timeout_ms: int = HTTP_API_MAX_TIMEOUT_MS
    payload_format: str = "2.0"
    overwrite_path: bool = False  # parameter mapping `overwrite:path = $request.path`
    # Other request parameter mappings of an HTTP_PROXY integration: (action, header, value)
    # with action overwrite/append/remove, as in `overwrite:header.x-foo: value`.
    header_mappings: tuple[tuple[str, str, str], ...] = ()

    @property
    def method(self) -> str:
        return "ANY" if self.key == "$default" else self.key.split(" ", 1)[0]

    @property
    def path(self) -> str:
        return "" if self.key == "$default" else self.key.split(" ", 1)[1]


@dataclass(frozen=True)
class ApiSpec:
    """The emulated HTTP API."""

    name: str
    stage: str
    routes: tuple[Route, ...]
    cors: Cors | None = None
    throttle_rate: float | None = None
    throttle_burst: int | None = None
    access_log_format: str | None = None
    stage_variables: dict[str, str] = field(default_factory=dict)
    # Route key -> the authorizer it needs (localgateway.authorizers); absent: none.
    authorization: dict[str, RouteAuth] = field(default_factory=dict)


def _ints(value: Any, default: int | None = None) -> int | None:
    return int(value) if isinstance(value, (int, float, str)) and str(value).isdigit() else default


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(item.strip() for item in value.split(",") if item.strip())
    if isinstance(value, list):
        return tuple(str(item) for item in value if isinstance(item, (str, int)))
    return ()


def _cors(config: Any) -> Cors | None:
    if not isinstance(config, dict):
        return (
            Cors(allow_origins=("*",), allow_methods=("*",), allow_headers=("*",))
            if config is True
            else None
        )
    return Cors(
        allow_origins=_strings(config.get("AllowOrigins")),
        allow_methods=tuple(m.upper() for m in _strings(config.get("AllowMethods"))),
        allow_headers=tuple(h.lower() for h in _strings(config.get("AllowHeaders"))),
        expose_headers=tuple(h.lower() for h in _strings(config.get("ExposeHeaders"))),
        max_age=_ints(config.get("MaxAge")),
        allow_credentials=str(config.get("AllowCredentials", "")).lower() == "true",
    )


class TemplateError(ValueError):
    """The template does not describe an HTTP API the gateway can serve."""


def load_spec(
    path: Path,
    *,
    stage: str | None = None,
    api: str | None = None,
    parameters: dict[str, str] | None = None,
    variant: str = "lambda",
) -> ApiSpec:
    """Read an HTTP API from a SAM template.

    `variant` "lambda" serves the `AWS::Serverless::HttpApi` whose routes invoke Lambda
    functions. "container" serves the VPC-link variant, whatever its deploy-time condition
    says: an `AWS::ApiGatewayV2::Api` with HTTP_PROXY routes (with its stage and CORS), or
    else the Lambda routes proxied with the stage stripped.
    """
    try:
        template = load_template(path.read_text())
    except (OSError, ValueError) as exc:
        raise TemplateError(f"cannot read {path}: {exc}") from exc
    resources = template.get("Resources") or {}
    if not isinstance(resources, dict) or not all(isinstance(r, dict) for r in resources.values()):
        raise TemplateError(f"Resources in {path} must map logical ids to resource mappings")
    try:
        return _read_spec(template, resources, path, stage, api, parameters or {}, variant)
    except TemplateError:
        raise
    except (AttributeError, IndexError, KeyError, TypeError, ValueError) as exc:
        # A shape the template schema forbids (a list where a mapping belongs, a timeout
        # that is not a number): one clear line, not a traceback.
        raise TemplateError(f"cannot use {path}: {type(exc).__name__}: {exc}") from exc


def _read_spec(
    template: dict[str, Any],
    resources: dict[str, Any],
    path: Path,
    stage: str | None,
    api: str | None,
    parameters: dict[str, str],
    variant: str,
) -> ApiSpec:
    resolver = Resolver(template, parameters)
    if variant == "container" and (found := _container_api(resources, resolver, api)):
        name, api_properties, stage_properties = found
        routes = _http_routes(resources, resolver, name)
        spec = _spec(name, stage, routes, api_properties, stage_properties)
        return replace(spec, authorization=route_authorizers(resources, resolver, name))
    name = _serverless_api(resources, api, path)
    properties = resolver.resolve(resources[name].get("Properties") or {})
    globals_function = resolver.resolve((template.get("Globals") or {}).get("Function") or {})
    routes = _lambda_routes(resources, resolver, name, globals_function)
    if variant == "container":
        routes = _http_routes(resources, resolver, name) or [_proxied(route) for route in routes]
    if not routes:
        raise TemplateError(f"no {variant} routes are attached to {name} in {path}")
    spec = _spec(name, stage, routes, properties, properties)
    try:
        authorization = openapi_authorizers(properties.get("DefinitionBody"), resources, resolver)
    except ValueError as exc:
        raise TemplateError(str(exc)) from exc
    return replace(spec, authorization=authorization)


def _serverless_api(resources: dict[str, Any], api: str | None, path: Path) -> str:
    apis = [n for n, res in resources.items() if res.get("Type") == "AWS::Serverless::HttpApi"]
    if api is None:
        if len(apis) != 1:
            raise TemplateError(f"expected one AWS::Serverless::HttpApi in {path}, found {apis}")
        return apis[0]
    if api not in apis:
        raise TemplateError(f"{api} is not an AWS::Serverless::HttpApi in {path}")
    return api


def _container_api(
    resources: dict[str, Any], resolver: Resolver, api: str | None
) -> tuple[str, dict[str, Any], dict[str, Any]] | None:
    """An HTTP `AWS::ApiGatewayV2::Api` with HTTP_PROXY routes, and its stage's properties."""
    for name, resource in resources.items():
        if resource.get("Type") != "AWS::ApiGatewayV2::Api" or (api and name != api):
            continue
        properties = resolver.resolve(resource.get("Properties") or {})
        if properties.get("ProtocolType") != "HTTP" or not _http_routes(resources, resolver, name):
            continue
        stages = [
            resolver.resolve(res.get("Properties") or {})
            for res in resources.values()
            if res.get("Type") == "AWS::ApiGatewayV2::Stage"
            and _refers_to((res.get("Properties") or {}).get("ApiId"), name)
        ]
        return name, properties, stages[0] if stages else {"StageName": "$default"}
    return None


def _proxied(route: Route) -> Route:
    """A Lambda route served through the VPC link instead: the stage stripped, as a private
    integration's `overwrite:path = $request.path` mapping does."""
    return Route(
        key=route.key,
        integration="http",
        integration_timeout_ms=route.integration_timeout_ms,
        payload_format="1.0",
        overwrite_path=True,
    )


def _spec(
    name: str,
    stage: str | None,
    routes: list[Route],
    api_properties: dict[str, Any],
    stage_properties: dict[str, Any],
) -> ApiSpec:
    settings = stage_properties.get("DefaultRouteSettings") or {}
    log_settings = stage_properties.get("AccessLogSettings") or {}
    rate = settings.get("ThrottlingRateLimit")
    return ApiSpec(
        name=name,
        stage=stage or str(stage_properties.get("StageName") or "$default"),
        routes=tuple(routes),
        cors=_cors(api_properties.get("CorsConfiguration")),
        throttle_rate=float(rate) if rate is not None else None,
        throttle_burst=_ints(settings.get("ThrottlingBurstLimit")),
        access_log_format=log_settings.get("Format") if isinstance(log_settings, dict) else None,
        stage_variables={
            k: str(v) for k, v in (stage_properties.get("StageVariables") or {}).items()
        },
    )


def _refers_to(value: Any, name: str) -> bool:
    return bool(value == {"Ref": name} or value == name)


def _lambda_routes(
    resources: dict[str, Any], resolver: Resolver, api: str, globals_function: dict[str, Any]
) -> list[Route]:
    routes = []
    for resource in resources.values():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        if "Condition" in resource and not resolver.condition(resource["Condition"]):
            continue
        function = resolver.resolve(resource.get("Properties") or {})
        timeout_s = function.get(
            "Timeout", globals_function.get("Timeout", DEFAULT_FUNCTION_TIMEOUT_S)
        )
        for event in (function.get("Events") or {}).values():
            props = event.get("Properties") or {}
            if event.get("Type") != "HttpApi" or not _refers_to(props.get("ApiId"), api):
                continue
            method, route_path = str(props.get("Method", "ANY")).upper(), props.get("Path")
            key = _route_key(method, route_path)
            routes.append(
                Route(
                    key=key,
                    integration="lambda",
                    handler=str(function.get("Handler", "")),
                    function_timeout_ms=int(float(timeout_s) * 1000),
                    integration_timeout_ms=min(
                        int(props.get("TimeoutInMillis", HTTP_API_MAX_TIMEOUT_MS)),
                        HTTP_API_MAX_TIMEOUT_MS,
                    ),
                    payload_format=str(props.get("PayloadFormatVersion", "2.0")),
                )
            )
    return routes


def _route_key(method: str, path: Any) -> str:
    if path is None:
        return "$default"  # an HttpApi event without a Path is the $default route
    any_method = method in ("ANY", "X-AMAZON-APIGATEWAY-ANY-METHOD")
    return f"{'ANY' if any_method else method} {path}"


def _http_routes(resources: dict[str, Any], resolver: Resolver, api: str) -> list[Route]:
    """Routes of the VPC-link variant: AWS::ApiGatewayV2::Route -> HTTP_PROXY integration."""
    routes = []
    for resource in resources.values():
        if resource.get("Type") != "AWS::ApiGatewayV2::Route":
            continue
        props = resolver.resolve(resource.get("Properties") or {})
        if not _refers_to(props.get("ApiId"), api):
            continue
        integration = _integration_for(resources, resolver, props.get("Target"))
        if integration is None or integration.get("IntegrationType") != "HTTP_PROXY":
            continue
        mapping = integration.get("RequestParameters") or {}
        routes.append(
            Route(
                key=str(props["RouteKey"]),
                integration="http",
                integration_timeout_ms=min(
                    int(integration.get("TimeoutInMillis", HTTP_API_MAX_TIMEOUT_MS)),
                    HTTP_API_MAX_TIMEOUT_MS,
                ),
                payload_format=str(integration.get("PayloadFormatVersion", "1.0")),
                overwrite_path=mapping.get("overwrite:path") == "$request.path",
                header_mappings=_header_mappings(mapping),
            )
        )
    return routes


def _header_mappings(mapping: dict[str, Any]) -> tuple[tuple[str, str, str], ...]:
    """`overwrite:header.x-a: v`, `append:header.x-b: v`, `remove:header.x-c: "''"`."""
    result = []
    for key, value in mapping.items():
        action, _, target = str(key).partition(":")
        if target.startswith("header.") and action in ("overwrite", "append", "remove"):
            result.append((action, target.removeprefix("header.").lower(), str(value)))
    return tuple(result)


def _integration_for(
    resources: dict[str, Any], resolver: Resolver, target: Any
) -> dict[str, Any] | None:
    if not isinstance(target, str) or not target.startswith("integrations/"):
        return None
    name = target.split("/", 1)[1]
    # `!Sub integrations/${Integration}` stays unresolved as "${Integration}".
    name = name.removeprefix("${").removesuffix("}")
    resource = resources.get(name)
    if not resource or resource.get("Type") != "AWS::ApiGatewayV2::Integration":
        return None
    return dict(resolver.resolve(resource.get("Properties") or {}))
