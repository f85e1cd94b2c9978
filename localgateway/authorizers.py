"""What the template says about authorizers: which route needs which, with what settings.

Two sources, as deployed: the Lambda API's OpenAPI body (`securitySchemes` with
`x-amazon-apigateway-authorizer`, and each operation's `security`), and, for the container
variant, `AWS::ApiGatewayV2::Authorizer` resources named by each route's `AuthorizerId`.
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-access-control.html
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from localgateway.intrinsics import Resolver

DEFAULT_TOKEN_SOURCE = "$request.header.Authorization"  # noqa: S105 (a header name)
MAX_TTL = 3600


@dataclass(frozen=True)
class JwtAuthorizer:
    name: str
    issuer: str
    audiences: tuple[str, ...]
    identity_source: str = DEFAULT_TOKEN_SOURCE


@dataclass(frozen=True)
class LambdaAuthorizer:
    name: str
    handler: str  # dotted path of the authorizer function's handler
    identity_sources: tuple[str, ...]
    ttl: int = 0  # authorizerResultTtlInSeconds; 0 turns the cache off
    payload_format: str = "2.0"
    simple_responses: bool = True


Authorizer = JwtAuthorizer | LambdaAuthorizer


@dataclass(frozen=True)
class RouteAuth:
    """The authorizer a route needs, and (JWT) the scopes of which a token needs one."""

    authorizer: Authorizer
    scopes: tuple[str, ...] = ()


class AuthorizerError(ValueError):
    """An authorizer the local gateway cannot emulate."""


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if isinstance(value, list):
        return tuple(str(v) for v in value if isinstance(v, str) and v)
    return ()


def _text(value: Any) -> str:
    """A resolved value, or a readable stand-in for one only a deployment knows."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((_name, arg),) = value.items()
        return "${" + (arg if isinstance(arg, str) else ".".join(map(str, arg))) + "}"
    return str(value)


def _handler_of(uri: Any, resources: dict[str, Any], resolver: Resolver) -> str:
    """The handler of the function an authorizer URI names (`${Function.Arn}`)."""
    match = re.search(r"\$\{(\w+)\.Arn\}", _text(uri))
    resource = resources.get(match.group(1)) if match else None
    if not resource or resource.get("Type") != "AWS::Serverless::Function":
        raise AuthorizerError(f"cannot tell which function the authorizer URI {uri!r} invokes")
    handler = resolver.resolve(resource.get("Properties") or {}).get("Handler")
    if not isinstance(handler, str):
        raise AuthorizerError(f"the authorizer function {match.group(1)} has no Handler")  # type: ignore[union-attr]
    return handler


def _ttl(value: Any) -> int:
    ttl = int(value) if str(value).isdigit() else 0
    return min(ttl, MAX_TTL)


def openapi_authorizers(
    body: Any, resources: dict[str, Any], resolver: Resolver
) -> dict[str, RouteAuth]:
    """Route key → RouteAuth from an HTTP API's OpenAPI body."""
    if not isinstance(body, dict):
        return {}
    schemes = ((body.get("components") or {}).get("securitySchemes")) or {}
    authorizers: dict[str, Authorizer] = {}
    for name, scheme in schemes.items() if isinstance(schemes, dict) else ():
        config = scheme.get("x-amazon-apigateway-authorizer") if isinstance(scheme, dict) else None
        if isinstance(config, dict):
            authorizers[name] = _openapi_authorizer(name, config, resources, resolver)
    routes: dict[str, RouteAuth] = {}
    for path, item in (body.get("paths") or {}).items():
        for method, operation in (item or {}).items():
            security = operation.get("security") if isinstance(operation, dict) else None
            for requirement in security or []:
                for name, scopes in (requirement or {}).items():
                    if name in authorizers:
                        key = f"{_method(method)} {path}"
                        routes[key] = RouteAuth(authorizers[name], _strings(scopes))
    return routes


def _method(method: str) -> str:
    method = method.upper()
    return "ANY" if method == "X-AMAZON-APIGATEWAY-ANY-METHOD" else method


def _openapi_authorizer(
    name: str, config: dict[str, Any], resources: dict[str, Any], resolver: Resolver
) -> Authorizer:
    kind = str(config.get("type", "")).lower()
    sources = _strings(config.get("identitySource"))
    if kind == "jwt":
        jwt_config = config.get("jwtConfiguration") or {}
        return JwtAuthorizer(
            name=name,
            issuer=_text(jwt_config.get("issuer")),
            audiences=tuple(_text(a) for a in _as_list(jwt_config.get("audience"))),
            identity_source=sources[0] if sources else DEFAULT_TOKEN_SOURCE,
        )
    if kind == "request":
        return LambdaAuthorizer(
            name=name,
            handler=_handler_of(config.get("authorizerUri"), resources, resolver),
            identity_sources=sources,
            ttl=_ttl(config.get("authorizerResultTtlInSeconds", 0)),
            payload_format=str(config.get("authorizerPayloadFormatVersion", "2.0")),
            simple_responses=str(config.get("enableSimpleResponses", "")).lower() == "true",
        )
    raise AuthorizerError(f"authorizer {name} has type {kind!r}; jwt and request are emulated")


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [value] if value not in (None, "") else []


def route_authorizers(
    resources: dict[str, Any], resolver: Resolver, api: str
) -> dict[str, RouteAuth]:
    """Route key → RouteAuth from AWS::ApiGatewayV2::Route/Authorizer resources of `api`."""
    routes: dict[str, RouteAuth] = {}
    for resource in resources.values():
        if resource.get("Type") != "AWS::ApiGatewayV2::Route":
            continue
        if "Condition" in resource and not resolver.condition(resource["Condition"]):
            continue
        props = resolver.resolve(resource.get("Properties") or {})
        if props.get("ApiId") not in ({"Ref": api}, api):
            continue
        kind = str(props.get("AuthorizationType", "NONE")).upper()
        ref = props.get("AuthorizerId")
        if kind == "NONE" or not isinstance(ref, dict) or "Ref" not in ref:
            continue
        found = resources.get(ref["Ref"])
        if not found or found.get("Type") != "AWS::ApiGatewayV2::Authorizer":
            continue
        authorizer = _v2_authorizer(ref["Ref"], found, resources, resolver)
        routes[str(props["RouteKey"])] = RouteAuth(
            authorizer, _strings(props.get("AuthorizationScopes"))
        )
    return routes


def _v2_authorizer(
    name: str, resource: dict[str, Any], resources: dict[str, Any], resolver: Resolver
) -> Authorizer:
    props = resolver.resolve(resource.get("Properties") or {})
    sources = _strings(props.get("IdentitySource"))
    if str(props.get("AuthorizerType")).upper() == "JWT":
        jwt_config = props.get("JwtConfiguration") or {}
        return JwtAuthorizer(
            name=name,
            issuer=_text(jwt_config.get("Issuer")),
            audiences=tuple(_text(a) for a in _as_list(jwt_config.get("Audience"))),
            identity_source=sources[0] if sources else DEFAULT_TOKEN_SOURCE,
        )
    return LambdaAuthorizer(
        name=name,
        handler=_handler_of(props.get("AuthorizerUri"), resources, resolver),
        identity_sources=sources,
        ttl=_ttl(props.get("AuthorizerResultTtlInSeconds", 0)),
        payload_format=str(props.get("AuthorizerPayloadFormatVersion", "2.0")),
        simple_responses=bool(props.get("EnableSimpleResponses")),
    )
