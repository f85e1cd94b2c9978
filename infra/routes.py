"""The one route table both front doors serve, and the template blocks generated from it.

    python -m infra.routes            # rewrite the generated blocks of infra/template.yaml
    python -m infra.routes --check    # exit 1 when the template differs from this table

The HTTP API's routes are `ApiFunction`'s `HttpApi` events; the REST API's are the `paths`
of `RestApi`'s OpenAPI body. Both are written here, between `# BEGIN generated` and
`# END generated` comments, so they cannot drift apart (tests/infra/test_routes.py fails when
the template and this table disagree). The REST body adds, per route: the Lambda proxy
integration (payload 1.0) through the stage variable `functionAlias`, the API key
requirement on the metered routes, response caching on the public cacheable ones, the
maintenance switch (a MOCK answering 503) and, when CORS is on, a MOCK `OPTIONS` preflight
per resource. Validated operations refine a greedy route for one method and path, with the
request schema from the app's OpenAPI document (docs/rest-api.md).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "infra" / "template.yaml"
OPENAPI_DOCUMENT = ROOT / "clients" / "openapi" / "openapi.json"


@dataclass(frozen=True)
class Route:
    """One route of both front doors."""

    event: str  # ApiFunction's event name (SAM derives the permission's logical id from it)
    method: str
    path: str
    # API Gateway checks x-api-key and meters the key's usage plan (REST front door); the
    # app meters these routes itself on the HTTP API.
    metered: bool = False
    # Public and the same for every caller: the REST stage may cache the response.
    cacheable: bool = False
    # What the cached response varies on (REST cache key parameters).
    cache_key: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class Validated:
    """A REST-only refinement of a greedy route: one operation of the app's OpenAPI document
    whose body (and required parameters) API Gateway validates before the function runs."""

    method: str
    path: str
    schema: str  # components.schemas name of the request body (application/json)
    body_required: bool = True

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


# The cache key parts of the public documents: the Host (the custom domain's URLs carry no
# stage prefix, the execute-api host's do) and what DRF's negotiation and drf-spectacular read.
DOCUMENT_CACHE_KEY = (
    "method.request.header.Host",
    "method.request.header.Accept",
    "method.request.querystring.format",
    "method.request.querystring.lang",
)
ROUTES = (
    Route("ApiGet", "GET", "/v1/{proxy+}", metered=True),
    Route("ApiPost", "POST", "/v1/{proxy+}", metered=True),
    Route("ApiPut", "PUT", "/v1/{proxy+}", metered=True),
    Route("ApiPatch", "PATCH", "/v1/{proxy+}", metered=True),
    Route("ApiDelete", "DELETE", "/v1/{proxy+}", metered=True),
    Route(
        "OpenApiDocument", "GET", "/v1/openapi.json", cacheable=True, cache_key=DOCUMENT_CACHE_KEY
    ),
    Route("ApiDocs", "GET", "/v1/docs", cacheable=True, cache_key=DOCUMENT_CACHE_KEY),
    # The docs page's assets (and the admin's): the same for everyone. WhiteNoise answers
    # with a compressed variant the client accepts, so the encoding is part of the key.
    Route(
        "StaticGet",
        "GET",
        "/static/{proxy+}",
        cacheable=True,
        cache_key=("method.request.path.proxy", "method.request.header.Accept-Encoding"),
    ),
    # /health and /admin/: public, never metered; the admin is never cached.
    Route("SiteGet", "GET", "/{proxy+}"),
    Route("SitePost", "POST", "/{proxy+}"),
)
VALIDATED = (
    Validated("POST", "/v1/pets", "PetRequest"),
    Validated("PUT", "/v1/pets/{id}", "PetRequest"),
    Validated("PATCH", "/v1/pets/{id}", "PatchedPetRequest", body_required=False),
    Validated("POST", "/v1/photos/uploads", "PhotoUploadStartRequest"),
)
ROUTE_KEYS = frozenset(route.key for route in ROUTES)
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
PUBLIC_CACHEABLE_KEYS = frozenset(route.key for route in ROUTES if route.cacheable)
METERED_KEYS = frozenset(route.key for route in ROUTES if route.metered)

# The stage variable naming the function alias the integrations invoke (RestApi Variables).
ALIAS_VARIABLE = "functionAlias"
INTEGRATION_URI = (
    "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
    "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:"
    "${AWS::StackName}-api:${!stageVariables." + ALIAS_VARIABLE + "}/invocations"
)
# API Gateway's REST integration limit is 29 s; the function stops at 25 s (Globals).
INTEGRATION_TIMEOUT_MS = 29000
SERVICE_UNAVAILABLE = '{"message": "Service Unavailable"}'
CORS_ALLOW_METHODS = "GET,POST,PUT,PATCH,DELETE,OPTIONS"
# The HTTP API's CorsConfiguration AllowHeaders (tests/infra/test_routes.py compares them).
CORS_ALLOW_HEADERS = "authorization,content-type,x-api-key,if-match,if-none-match,idempotency-key"
BEGIN = "# BEGIN generated by infra/routes.py (python -m infra.routes): {name}"
END = "# END generated: {name}"


def _no_value() -> dict[str, str]:
    return {"Ref": "AWS::NoValue"}


def _parameters(path: str) -> list[dict[str, Any]]:
    names = re.findall(r"\{([^}+]+)\+?\}", path)
    return [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in names
    ]


def _maintenance_integration() -> dict[str, Any]:
    """A MOCK answering 503 with Retry-After: the function is never invoked."""
    return {
        "type": "mock",
        "requestTemplates": {"application/json": '{"statusCode": 503}'},
        # Any other content type is passed through: the only response is the default one.
        "passthroughBehavior": "when_no_match",
        "responses": {
            "default": {
                "statusCode": "503",
                "responseParameters": {
                    "method.response.header.Retry-After": {"Fn::Sub": "'${MaintenanceRetryAfter}'"},
                    "method.response.header.Content-Type": "'application/json'",
                },
                "responseTemplates": {"application/json": SERVICE_UNAVAILABLE},
            }
        },
    }


def _proxy_integration(cache_key: tuple[str, ...]) -> dict[str, Any]:
    integration: dict[str, Any] = {
        "type": "aws_proxy",
        "httpMethod": "POST",
        "uri": {"Fn::Sub": INTEGRATION_URI},
        "passthroughBehavior": "when_no_match",
        "timeoutInMillis": INTEGRATION_TIMEOUT_MS,
    }
    if cache_key:
        integration["cacheNamespace"] = "documents"
        integration["cacheKeyParameters"] = list(cache_key)
    return integration


def _operation(
    route_key: str, path: str, metered: bool, cache_key: tuple[str, ...]
) -> dict[str, Any]:
    parameters = _parameters(path) + [
        {
            "name": p.rsplit(".", 1)[1],
            "in": p.split(".")[2].replace("querystring", "query"),
            "required": False,
            "schema": {"type": "string"},
        }
        for p in cache_key
        if not p.startswith("method.request.path.")  # declared with the path
    ]
    operation: dict[str, Any] = {"operationId": _operation_id(route_key)}
    if parameters:
        operation["parameters"] = parameters
    if metered:
        # No key needed while in maintenance: every request gets the 503.
        operation["security"] = {"Fn::If": ["RestMaintenance", _no_value(), [{"api_key": []}]]}
    operation["responses"] = {
        "503": {
            "description": "Maintenance (the RestMaintenance switch)",
            "headers": {
                "Retry-After": {"schema": {"type": "string"}},
                "Content-Type": {"schema": {"type": "string"}},
            },
        }
    }
    operation["x-amazon-apigateway-integration"] = {
        "Fn::If": [
            "RestMaintenance",
            _maintenance_integration(),
            _proxy_integration(cache_key),
        ]
    }
    return operation


def _operation_id(route_key: str) -> str:
    words: list[str] = re.findall(r"[A-Za-z0-9]+", route_key.replace("proxy+", "any"))
    return words[0].lower() + "".join(w.capitalize() for w in words[1:])


def _preflight() -> dict[str, Any]:
    """OPTIONS answered by a MOCK with the HTTP API's CORS configuration: the Origin is
    echoed only when it is one of CorsAllowedOrigins (or that is `*`)."""
    origin_template = (
        "#set($origin = $input.params().header.get('Origin'))\n"
        '#if("$!origin" == "")#set($origin = $input.params().header.get(\'origin\'))#end\n'
        '#set($allowed = ",${CorsAllowedOrigins},")\n'
        '#if($allowed.contains(",*,"))\n'
        '#set($context.responseOverride.header.Access-Control-Allow-Origin = "*")\n'
        '#elseif("$!origin" != "" && $allowed.contains(",$origin,"))\n'
        "#set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)\n"
        "#end\n"
    )
    headers = {
        "Access-Control-Allow-Methods": f"'{CORS_ALLOW_METHODS}'",
        "Access-Control-Allow-Headers": f"'{CORS_ALLOW_HEADERS}'",
        "Access-Control-Max-Age": "'600'",
        "Vary": "'Origin'",
    }
    return {
        "operationId": "preflight",
        "responses": {
            "204": {
                "description": "CORS preflight",
                "headers": {name: {"schema": {"type": "string"}} for name in headers}
                | {"Access-Control-Allow-Origin": {"schema": {"type": "string"}}},
            }
        },
        "x-amazon-apigateway-integration": {
            "type": "mock",
            "requestTemplates": {"application/json": '{"statusCode": 204}'},
            "passthroughBehavior": "when_no_match",
            "responses": {
                "default": {
                    "statusCode": "204",
                    "responseParameters": {
                        f"method.response.header.{name}": value for name, value in headers.items()
                    },
                    "responseTemplates": {"application/json": {"Fn::Sub": origin_template}},
                }
            },
        },
    }


def _validated_operation(item: Validated, greedy: Route) -> dict[str, Any]:
    operation = _operation(item.key, item.path, greedy.metered, greedy.cache_key)
    operation["x-amazon-apigateway-request-validator"] = "body-and-params"
    operation["requestBody"] = {
        "required": item.body_required,
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{item.schema}"}}
        },
    }
    return operation


def greedy_route(method: str, path: str) -> Route:
    """The route of ROUTES that serves `method path` on the HTTP API (exact path first, then
    the longest greedy `{proxy+}` prefix), as API Gateway matches them."""
    candidates = [r for r in ROUTES if r.method == method]
    for route in candidates:
        if route.path == path:
            return route
    greedy = [
        r
        for r in candidates
        if r.path.endswith("/{proxy+}") and path.startswith(r.path.removesuffix("{proxy+}"))
    ]
    if not greedy:
        raise ValueError(f"{method} {path}: no route serves it")
    return max(greedy, key=lambda r: len(r.path))


def resource_paths() -> list[str]:
    """Every resource the REST API has: the routes' and refinements' paths and each of
    their parents (API Gateway creates them), the root left out."""
    found: set[str] = set()
    for path in [route.path for route in ROUTES] + [item.path for item in VALIDATED]:
        parts = path.strip("/").split("/")
        found.update("/" + "/".join(parts[:end]) for end in range(1, len(parts) + 1))
    return sorted(found)


def rest_operation_keys() -> dict[str, Route]:
    """`METHOD /path` of every REST operation -> the HTTP API route serving that request.

    A REST API matches the most specific resource first; AWS does not document whether it
    falls through to a less specific one when that resource lacks the method. So every
    resource gets every method the HTTP API serves there (a parent such as /v1/photos, or
    POST /v1/openapi.json), each behaving as the route that serves it, alike either way."""
    found = {}
    for path in resource_paths():
        for method in METHODS:
            try:
                found[f"{method} {path}"] = greedy_route(method, path)
            except ValueError:
                continue  # the HTTP API serves no such request either
    return found


def rest_paths() -> dict[str, Any]:
    """The REST API body's `paths`: every route, every validated refinement, every method
    the HTTP API serves on each resource, and OPTIONS."""
    paths: dict[str, dict[str, Any]] = {}
    validated = {item.key: item for item in VALIDATED}
    for key, route in rest_operation_keys().items():
        method, path = key.split(" ", 1)
        if key in validated:
            operation = _validated_operation(validated[key], route)
        else:
            # The route's cache key only on the route itself (its own path).
            cache_key = route.cache_key if key == route.key else ()
            operation = _operation(key, path, route.metered, cache_key)
        paths.setdefault(path, {})[method.lower()] = operation
    for methods in paths.values():
        # A preflight only while CORS is on (CorsAllowedOrigins not empty), like the HTTP API.
        methods["options"] = {"Fn::If": ["HasCorsOrigins", _preflight(), _no_value()]}
    return dict(sorted(paths.items()))


def _draft4(schema: Any) -> Any:
    """An OpenAPI 3.0 schema as API Gateway's models take it (JSON Schema draft 4): no
    readOnly/nullable/format extras it rejects; `nullable` becomes a type list."""
    if isinstance(schema, list):
        return [_draft4(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {}
    for key, value in schema.items():
        if key in (
            "readOnly",
            "writeOnly",
            "example",
            "examples",
            "nullable",
            "format",
            "description",
            "title",
        ):
            continue
        result[key] = _draft4(value)
    if schema.get("nullable") and isinstance(result.get("type"), str):
        result["type"] = [result["type"], "null"]
    if isinstance(result.get("enum"), list) and schema.get("nullable"):
        result["enum"] = [*result["enum"], None]
    return result


def request_schemas(document: dict[str, Any] | None = None) -> dict[str, Any]:
    """The request-body schemas VALIDATED names, and every schema they refer to."""
    document = document or json.loads(OPENAPI_DOCUMENT.read_text())
    available = document["components"]["schemas"]
    wanted, found = [item.schema for item in VALIDATED], {}
    while wanted:
        name = wanted.pop()
        if name in found:
            continue
        found[name] = _draft4(available[name])
        wanted += re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(available[name]))
    return dict(sorted(found.items()))


def http_events() -> dict[str, Any]:
    """ApiFunction's HttpApi events, one per route."""
    return {
        route.event: {
            "Type": "HttpApi",
            "Properties": {"ApiId": {"Ref": "HttpApi"}, "Method": route.method, "Path": route.path},
        }
        for route in ROUTES
    }


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (the preflight's template) as literal blocks."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    node: yaml.ScalarNode = dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)
    return node


_Dumper.add_representer(str, _str)


def _dump(value: Any) -> str:
    return yaml.dump(value, Dumper=_Dumper, sort_keys=False, default_flow_style=None, width=100)


def _http_events_text() -> str:
    # Flow style per event, as the rest of the template writes them.
    lines = []
    for name, event in http_events().items():
        p = event["Properties"]
        path = f'"{p["Path"]}"' if "{" in p["Path"] else p["Path"]
        lines.append(f"{name}:\n  Type: HttpApi\n")
        lines.append(
            f"  Properties: {{ApiId: !Ref HttpApi, Method: {p['Method']}, Path: {path}}}\n"
        )
    return "".join(lines)


BLOCKS: dict[str, Callable[[], str]] = {
    "ApiFunction events": _http_events_text,
    "RestApi paths": lambda: _dump({"paths": rest_paths()}),
    "RestApi schemas": lambda: _dump({"schemas": request_schemas()}),
}


def render(text: str) -> str:
    """The template with every generated block rewritten from the table."""
    for name, make in BLOCKS.items():
        begin, end = BEGIN.format(name=name), END.format(name=name)
        pattern = re.compile(
            rf"^(?P<indent>[ ]*){re.escape(begin)}\n.*?^(?P=indent){re.escape(end)}\n",
            re.M | re.S,
        )
        match = pattern.search(text)
        if match is None:
            raise ValueError(f"infra/template.yaml has no `{begin}` ... `{end}` block")
        indent = match.group("indent")
        body = "".join(f"{indent}{line}\n" if line else "\n" for line in make().splitlines())
        block = f"{indent}{begin}\n{body}{indent}{end}\n"
        text = text[: match.start()] + block + text[match.end() :]
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when the template differs")
    args = parser.parse_args(argv)
    current = TEMPLATE.read_text()
    wanted = render(current)
    if args.check:
        if wanted != current:
            print(
                "infra/template.yaml differs from infra/routes.py: run python -m infra.routes",
                file=sys.stderr,
            )
            return 1
        return 0
    if wanted != current:
        TEMPLATE.write_text(wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main())
