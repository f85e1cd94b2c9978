"""What the local gateway needs from infra/template.yaml's WEBSOCKET API: stage, route
selection, routes (handler, timeouts, two-way or not), throttling and access logs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localgateway.intrinsics import Resolver, load_template
from localgateway.spec import TemplateError

# https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html
FRAME_MAX_BYTES = 32 * 1024
MESSAGE_MAX_BYTES = 128 * 1024
IDLE_TIMEOUT_S = 10 * 60
MAX_DURATION_S = 2 * 60 * 60
INTEGRATION_MAX_TIMEOUT_MS = 29_000
URL_MAX_LENGTH = 4096
DEFAULT_FUNCTION_TIMEOUT_S = 3

_FUNCTION_ARN = re.compile(r"functions/\$\{([A-Za-z0-9]+)\.Arn\}/invocations")
_SELECTION = re.compile(r"^\$request\.body\.([A-Za-z0-9_$.-]+)$")


@dataclass(frozen=True)
class WebSocketRoute:
    key: str  # $connect, $disconnect, $default or a custom key
    handler: str  # dotted path of the Lambda handler
    function_timeout_ms: int = DEFAULT_FUNCTION_TIMEOUT_S * 1000
    integration_timeout_ms: int = INTEGRATION_MAX_TIMEOUT_MS
    two_way: bool = False  # has a $default route response: the result's body is sent back


@dataclass(frozen=True)
class WebSocketSpec:
    name: str
    stage: str
    selection_path: tuple[str, ...]  # "$request.body.action" -> ("action",)
    routes: dict[str, WebSocketRoute]
    throttle_rate: float | None = None
    throttle_burst: int | None = None
    access_log_format: str | None = None

    @property
    def handlers(self) -> set[str]:
        return {route.handler for route in self.routes.values()}


def load_websocket_spec(
    path: Path, *, parameters: dict[str, str] | None = None, stage: str | None = None
) -> WebSocketSpec | None:
    """The template's WEBSOCKET `AWS::ApiGatewayV2::Api`, or None when it has none."""
    try:
        template = load_template(path.read_text())
    except (OSError, ValueError) as exc:
        raise TemplateError(f"cannot read {path}: {exc}") from exc
    resolver = Resolver(template, parameters or {})
    resources: dict[str, Any] = template.get("Resources") or {}
    apis = [
        (name, resolver.resolve(res.get("Properties") or {}))
        for name, res in resources.items()
        if res.get("Type") == "AWS::ApiGatewayV2::Api"
        and resolver.resolve((res.get("Properties") or {}).get("ProtocolType")) == "WEBSOCKET"
    ]
    if not apis:
        return None
    if len(apis) > 1:
        raise TemplateError(f"expected one WEBSOCKET API in {path}, found {[n for n, _ in apis]}")
    name, properties = apis[0]
    selection = _SELECTION.match(str(properties.get("RouteSelectionExpression", "")))
    if selection is None:
        raise TemplateError(
            f"{name}: RouteSelectionExpression must be $request.body.<path>, "
            f"not {properties.get('RouteSelectionExpression')!r}"
        )
    globals_function = resolver.resolve((template.get("Globals") or {}).get("Function") or {})
    routes = _routes(resources, resolver, name, globals_function)
    if not routes:
        raise TemplateError(f"no Lambda proxy routes are attached to {name} in {path}")
    stage_properties = _stage(resources, resolver, name)
    settings = stage_properties.get("DefaultRouteSettings") or {}
    log_settings = stage_properties.get("AccessLogSettings") or {}
    rate, burst = settings.get("ThrottlingRateLimit"), settings.get("ThrottlingBurstLimit")
    return WebSocketSpec(
        name=name,
        stage=stage or str(stage_properties.get("StageName") or "$default"),
        selection_path=tuple(selection.group(1).split(".")),
        routes=routes,
        throttle_rate=float(rate) if rate is not None else None,
        throttle_burst=int(burst) if burst is not None else None,
        access_log_format=log_settings.get("Format") if isinstance(log_settings, dict) else None,
    )


def _refers_to(value: Any, name: str) -> bool:
    return bool(value == {"Ref": name} or value == name)


def _of_api(resources: dict[str, Any], kind: str, api: str) -> dict[str, dict[str, Any]]:
    return {
        name: res
        for name, res in resources.items()
        if res.get("Type") == kind and _refers_to((res.get("Properties") or {}).get("ApiId"), api)
    }


def _stage(resources: dict[str, Any], resolver: Resolver, api: str) -> dict[str, Any]:
    stages = _of_api(resources, "AWS::ApiGatewayV2::Stage", api)
    if not stages:
        return {"StageName": "$default"}
    return dict(resolver.resolve(next(iter(stages.values())).get("Properties") or {}))


def _routes(
    resources: dict[str, Any], resolver: Resolver, api: str, globals_function: dict[str, Any]
) -> dict[str, WebSocketRoute]:
    two_way = {
        _ref_name((res.get("Properties") or {}).get("RouteId"))
        for res in _of_api(resources, "AWS::ApiGatewayV2::RouteResponse", api).values()
        if (res.get("Properties") or {}).get("RouteResponseKey") == "$default"
    }
    routes = {}
    for name, resource in _of_api(resources, "AWS::ApiGatewayV2::Route", api).items():
        props = resolver.resolve(resource.get("Properties") or {})
        integration = _integration(resources, resolver, props.get("Target"))
        if integration is None:
            continue
        function_name, timeout_ms = integration
        function = resources.get(function_name) or {}
        function_props = resolver.resolve(function.get("Properties") or {})
        timeout_s = function_props.get(
            "Timeout", globals_function.get("Timeout", DEFAULT_FUNCTION_TIMEOUT_S)
        )
        key = str(props["RouteKey"])
        routes[key] = WebSocketRoute(
            key=key,
            handler=str(function_props.get("Handler", "")),
            function_timeout_ms=int(float(timeout_s) * 1000),
            integration_timeout_ms=min(timeout_ms, INTEGRATION_MAX_TIMEOUT_MS),
            two_way=name in two_way,
        )
    return routes


def _ref_name(value: Any) -> str | None:
    return value.get("Ref") if isinstance(value, dict) else value


def _integration(
    resources: dict[str, Any], resolver: Resolver, target: Any
) -> tuple[str, int] | None:
    """(function logical id, timeout) of an AWS_PROXY integration to a template function."""
    if not isinstance(target, str) or not target.startswith("integrations/"):
        return None
    name = target.split("/", 1)[1].removeprefix("${").removesuffix("}")
    resource = resources.get(name)
    if not resource or resource.get("Type") != "AWS::ApiGatewayV2::Integration":
        return None
    props = resolver.resolve(resource.get("Properties") or {})
    if props.get("IntegrationType") != "AWS_PROXY":
        return None
    uri = props.get("IntegrationUri")
    found = _FUNCTION_ARN.search(uri) if isinstance(uri, str) else None
    if found is None:
        return None
    return found.group(1), int(props.get("TimeoutInMillis", INTEGRATION_MAX_TIMEOUT_MS))
