"""Project rules for the REST API front door (RestApi, docs/rest-api.md).

Like tests/infra/rules.py (which registers them): each takes the transformed template and
returns one readable line per violation. The route table and what each route may do
(metered, cached) come from infra/routes.py.
"""

from __future__ import annotations

import json
import re
from typing import Any

from infra import routes
from tests.infra.cfn import properties, ref_name, resources

Template = dict[str, Any]
REST_API = "RestApi"
MAINTENANCE = "RestMaintenance"
# API Gateway's own answers the app's shape must cover: status and fixed message (None: the
# gateway's message, $context.error.messageString). https://docs.aws.amazon.com/apigateway/
# latest/developerguide/supported-gateway-response-types.html
GATEWAY_RESPONSES: dict[str, tuple[int | None, str | None]] = {
    "BAD_REQUEST_BODY": (400, None),
    "BAD_REQUEST_PARAMETERS": (400, None),
    "MISSING_AUTHENTICATION_TOKEN": (403, "Forbidden"),
    "INVALID_API_KEY": (403, "Forbidden"),
    "ACCESS_DENIED": (403, "Forbidden"),
    "THROTTLED": (429, "Too Many Requests"),
    "QUOTA_EXCEEDED": (429, "Limit Exceeded"),
    "DEFAULT_4XX": (None, None),
    "DEFAULT_5XX": (None, None),
}
VALIDATION_TYPES = {"BAD_REQUEST_BODY", "BAD_REQUEST_PARAMETERS"}
SYNC_ROLES = {"ApiFunctionRole", "ManageFunctionRole", "TaskRole"}
SYNC_ACTIONS = {"apigateway:GET", "apigateway:POST", "apigateway:PATCH", "apigateway:DELETE"}
SYNC_PATHS = re.compile(r"/(usageplans|apikeys)(/\*(/keys)?)?")
APIGATEWAY_ARN = re.compile(r"arn:\$\{AWS::Partition\}:apigateway:\$\{AWS::Region\}::(?P<path>/.*)")
# Stand-ins for what $context substitutes, to check that a template renders to JSON.
CONTEXT_VALUES = {
    "$context.error.messageString": '"Invalid request body"',
    "$context.error.message": "Invalid request body",
    "$context.error.validationErrorString": "[instance failed to match]",
}


def _sub(value: Any) -> str:
    if isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str):
        return str(value["Fn::Sub"])
    return value if isinstance(value, str) else ""


def _if(value: Any, condition: str) -> tuple[Any, Any] | None:
    branches = value.get("Fn::If") if isinstance(value, dict) else None
    if isinstance(branches, list) and len(branches) == 3 and branches[0] == condition:
        return branches[1], branches[2]
    return None


def _rest_api(template: Template) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(RestApi properties, its stage's properties), or None when there is no REST API."""
    api = (template.get("Resources") or {}).get(REST_API)
    if not api or api.get("Type") != "AWS::ApiGateway::RestApi":
        return None
    stages = [
        properties(stage)
        for stage in resources(template, "AWS::ApiGateway::Stage").values()
        if ref_name(properties(stage).get("RestApiId")) == REST_API
    ]
    return properties(api), stages[0] if stages else {}


def _operations(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`METHOD /path` -> operation, OPTIONS left out."""
    return {
        f"{method.upper()} {path}": operation
        for path, item in (body.get("paths") or {}).items()
        for method, operation in item.items()
        if method != "options"
    }


def _resources_and_parents(body: dict[str, Any]) -> set[str]:
    found = set()
    for path in body.get("paths") or {}:
        parts = str(path).strip("/").split("/")
        found.update("/" + "/".join(parts[:end]) for end in range(1, len(parts) + 1))
    return found


def rest_api_routes(template: Template) -> list[str]:
    """The REST API serves the HTTP API's routes (plus validated refinements of them), each
    a Lambda proxy integration of the alias the stage variable names, and the maintenance
    MOCK in its place under RestMaintenance; the metered routes need an API key (HEADER)."""
    found = _rest_api(template)
    if found is None:
        return [f"no AWS::ApiGateway::RestApi {REST_API}"]
    api, stage = found
    body = api.get("Body") or {}
    problems = []
    if body.get("x-amazon-apigateway-api-key-source") != "HEADER":
        problems.append("RestApi: the API key source is not HEADER (x-api-key)")
    if (stage.get("Variables") or {}).get(routes.ALIAS_VARIABLE) != "live":
        problems.append(f"RestApi stage: no stage variable {routes.ALIAS_VARIABLE}=live")
    operations = _operations(body)
    missing = set(routes.ROUTE_KEYS) - set(operations)
    if missing:
        problems.append(f"RestApi lacks the HTTP API's routes {sorted(missing)}")
    # AWS does not document a fall-through from a resource lacking the method to a greedy
    # parent: each resource (and parent) carries every method the HTTP API serves there.
    for path in _resources_and_parents(body):
        for method in routes.METHODS:
            try:
                routes.greedy_route(method, path)
            except ValueError:
                continue
            if f"{method} {path}" not in operations:
                problems.append(f"{method} {path}: no REST method, served by the HTTP API")
    for key, operation in operations.items():
        method, path = key.split(" ", 1)
        try:
            route = routes.greedy_route(method, path)
        except ValueError:
            problems.append(f"{key}: no HTTP API route serves it")
            continue
        problems += [f"{key}: {p}" for p in _integration_problems(operation)]
        security = _if(operation.get("security"), MAINTENANCE)
        keyed = security is not None and security[1] == [{"api_key": []}]
        if keyed != route.metered:
            problems.append(f"{key}: {'needs' if keyed else 'does not need'} an API key")
        if security is not None and security[0] != {"Ref": "AWS::NoValue"}:
            problems.append(f"{key}: needs a key in maintenance (every request gets the 503)")
    return problems


def _integration_problems(operation: dict[str, Any]) -> list[str]:
    branches = _if(operation.get("x-amazon-apigateway-integration"), MAINTENANCE)
    if branches is None:
        return [f"the integration is not Fn::If [{MAINTENANCE}, mock, aws_proxy]"]
    mock, proxy = branches
    problems = []
    uri = _sub(proxy.get("uri"))
    if (
        proxy.get("type") != "aws_proxy"
        or proxy.get("httpMethod") != "POST"
        or not uri.endswith(
            f":${{AWS::StackName}}-api:${{!stageVariables.{routes.ALIAS_VARIABLE}}}/invocations"
        )
    ):
        problems.append("not a Lambda proxy integration of the stage variable's alias")
    if int(proxy.get("timeoutInMillis", 29000)) > 29000:
        problems.append("integration timeout over the REST API's 29 s")
    default = (mock.get("responses") or {}).get("default") or {}
    headers = default.get("responseParameters") or {}
    try:
        body = json.loads((default.get("responseTemplates") or {}).get("application/json", ""))
    except ValueError:
        body = None
    if (
        mock.get("type") != "mock"
        or default.get("statusCode") != "503"
        or body != {"message": "Service Unavailable"}
        or "method.response.header.Retry-After" not in headers
        or headers.get("method.response.header.Content-Type") != "'application/json'"
    ):
        problems.append("maintenance is not a MOCK 503 Service Unavailable JSON with Retry-After")
    return problems


def rest_private_endpoint(template: Template) -> list[str]:
    """A PRIVATE endpoint comes with a resource policy that refuses every request not made
    through the VPC endpoint (aws:SourceVpce), and the endpoint is associated."""
    found = _rest_api(template)
    if found is None:
        return [f"no AWS::ApiGateway::RestApi {REST_API}"]
    api, _ = found
    problems = []
    endpoint = api.get("EndpointConfiguration") or {}
    if endpoint.get("Types") != [{"Ref": "RestEndpointType"}]:
        problems.append("RestApi: the endpoint type is not the RestEndpointType parameter")
    if _if(endpoint.get("VpcEndpointIds"), "RestPrivate") != (
        [{"Ref": "RestVpcEndpointId"}],
        {"Ref": "AWS::NoValue"},
    ):
        problems.append("RestApi: a PRIVATE API is not associated with RestVpcEndpointId")
    policy = _if((api.get("Body") or {}).get("x-amazon-apigateway-policy"), "RestPrivate")
    statements = (policy[0] if policy and isinstance(policy[0], dict) else {}).get(
        "Statement"
    ) or []
    guarded = [
        s
        for s in statements
        if s.get("Effect") == "Deny"
        and s.get("Action") == "execute-api:Invoke"
        and (s.get("Condition") or {}).get("StringNotEquals")
        == {"aws:SourceVpce": {"Ref": "RestVpcEndpointId"}}
        and s.get("Resource") == "execute-api:/*"
    ]
    if not guarded:
        problems.append(
            "RestApi: a PRIVATE API has no policy denying requests from outside RestVpcEndpointId"
        )
    return problems


def rest_caching_public_only(template: Template) -> list[str]:
    """Caching is off for every method but the public cacheable routes' GET, whose cached
    copies are encrypted and keyed by what varies; owner data is never cached."""
    found = _rest_api(template)
    if found is None:
        return [f"no AWS::ApiGateway::RestApi {REST_API}"]
    api, stage = found
    problems = []
    cacheable = {
        "/" + key.split(" ", 1)[1].replace("/", "~1"): key for key in routes.PUBLIC_CACHEABLE_KEYS
    }
    settings = stage.get("MethodSettings") or []
    catch_all = [s for s in settings if s.get("ResourcePath") == "/*"]
    if not catch_all or any(s.get("CachingEnabled") is not False for s in catch_all):
        problems.append("RestApi stage: caching is not off for every method (/* *)")
    for setting in settings:
        path, method = setting.get("ResourcePath"), setting.get("HttpMethod")
        if setting.get("CachingEnabled") in (None, False) or path == "/*":
            continue
        key = cacheable.get(str(path))
        if key is None or key.split(" ", 1)[0] != method:
            problems.append(f"RestApi stage: caching on {method} {path}, not a public route")
        elif setting.get("CacheDataEncrypted") is not True:
            problems.append(f"RestApi stage: cached {key} is not encrypted")
    for key, operation in _operations(api.get("Body") or {}).items():
        branches = _if(operation.get("x-amazon-apigateway-integration"), MAINTENANCE)
        proxy = branches[1] if branches else {}
        keys = proxy.get("cacheKeyParameters")
        if key in routes.PUBLIC_CACHEABLE_KEYS:
            route = routes.greedy_route(*key.split(" ", 1))
            if keys != list(route.cache_key):
                problems.append(f"{key}: cache key {keys} is not {list(route.cache_key)}")
        elif keys:
            problems.append(f"{key}: cache key parameters on a route that is never cached")
    return problems


def _render(template: str) -> Any:
    for variable, value in CONTEXT_VALUES.items():
        template = template.replace(variable, value)
    return json.loads(template)


def rest_gateway_responses(template: Template) -> list[str]:
    """API Gateway's own errors are JSON in the app's shape: {"message"} with its message
    and status, plus "errors" for a failed validation."""
    found = _rest_api(template)
    if found is None:
        return [f"no AWS::ApiGateway::RestApi {REST_API}"]
    api, _ = found
    responses = (api.get("Body") or {}).get("x-amazon-apigateway-gateway-responses") or {}
    problems = []
    for kind, (status, message) in GATEWAY_RESPONSES.items():
        response = responses.get(kind)
        if response is None:
            problems.append(f"{kind}: no gateway response")
            continue
        if status is not None and response.get("statusCode") != status:
            problems.append(f"{kind}: status {response.get('statusCode')}, not {status}")
        headers = response.get("responseParameters") or {}
        if headers.get("gatewayresponse.header.Content-Type") != "'application/json'":
            problems.append(f"{kind}: not answered as application/json")
        templates = response.get("responseTemplates") or {}
        try:
            body = _render(templates.get("application/json", ""))
        except ValueError:
            problems.append(f"{kind}: the application/json template is not JSON")
            continue
        if not isinstance(body, dict) or not isinstance(body.get("message"), str):
            problems.append(f'{kind}: no "message" string')
            continue
        if message is not None and body["message"] != message:
            problems.append(f"{kind}: message {body['message']!r}, not {message!r}")
        errors = body.get("errors")
        if (kind in VALIDATION_TYPES) != isinstance(errors, dict):
            problems.append(f'{kind}: "errors" only (and always) for a failed validation')
    for kind in responses:
        if kind not in GATEWAY_RESPONSES:
            problems.append(f"{kind}: a gateway response no rule checks")
    return problems


def rest_preflight(template: Template) -> list[str]:
    """With CORS on, every resource answers OPTIONS from a MOCK with the HTTP API's CORS
    headers; the Origin is echoed only when CorsAllowedOrigins lists it."""
    found = _rest_api(template)
    if found is None:
        return [f"no AWS::ApiGateway::RestApi {REST_API}"]
    api, _ = found
    problems = []
    http_body = properties(template["Resources"]["HttpApi"]).get("Body") or {}
    cors = (_if(http_body.get("x-amazon-apigateway-cors"), "HasCorsOrigins") or ({}, None))[0]
    allow_headers = ",".join(str(h).lower() for h in cors.get("allowHeaders") or [])
    if not allow_headers:
        problems.append("HttpApi: no CORS configuration under HasCorsOrigins to compare with")
    for path, item in ((api.get("Body") or {}).get("paths") or {}).items():
        branches = _if(item.get("options"), "HasCorsOrigins")
        if branches is None or branches[1] != {"Ref": "AWS::NoValue"}:
            problems.append(f"OPTIONS {path}: not a preflight under HasCorsOrigins")
            continue
        integration = branches[0].get("x-amazon-apigateway-integration") or {}
        default = (integration.get("responses") or {}).get("default") or {}
        headers = default.get("responseParameters") or {}
        origin = _sub((default.get("responseTemplates") or {}).get("application/json"))
        if integration.get("type") != "mock" or not str(default.get("statusCode", "")).startswith(
            "2"
        ):
            problems.append(f"OPTIONS {path}: not answered by a MOCK")
        if headers.get("method.response.header.Access-Control-Allow-Headers") != (
            f"'{allow_headers}'"
        ):
            problems.append(f"OPTIONS {path}: Allow-Headers differ from the HTTP API's CORS")
        # The allowed list is the parameter, as the HTTP API's allowOrigins; the template
        # echoes an Origin only when it is in the list (or the list holds `*`).
        checked = '#set($allowed = ",${CorsAllowedOrigins},")' in origin.splitlines()
        if not checked or "Access-Control-Allow-Origin" in str(headers):
            problems.append(f"OPTIONS {path}: the Origin is not checked against the parameter")
    return problems


def rest_stage_logs_and_throttle(template: Template) -> list[str]:
    """The REST stage writes JSON access logs to a group with a retention, and throttles."""
    found = _rest_api(template)
    if found is None:
        return [f"no AWS::ApiGateway::RestApi {REST_API}"]
    _, stage = found
    problems = []
    logs = stage.get("AccessLogSetting") or {}
    group = resources(template, "AWS::Logs::LogGroup").get(
        str(ref_name(logs.get("DestinationArn")))
    )
    if group is None or "RetentionInDays" not in properties(group):
        problems.append("RestApi stage: no access log group with a retention")
    try:
        # Unquoted, only the variables API Gateway quotes itself.
        text = str(logs.get("Format")).replace("$context.error.messageString", '"x"')
        line = json.loads(re.sub(r"\$context\.[A-Za-z.]+", "x", text))
        if not isinstance(line, dict):
            raise ValueError(line)
    except ValueError:
        problems.append("RestApi stage: the access log format is not JSON")
    catch_all = [s for s in stage.get("MethodSettings") or [] if s.get("ResourcePath") == "/*"]
    if not catch_all or not {"ThrottlingRateLimit", "ThrottlingBurstLimit"} <= set(catch_all[0]):
        problems.append("RestApi stage: no throttle on every method")
    return problems


def _statements(template: Template) -> list[tuple[str, dict[str, Any]]]:
    """(role or policy, statement); an AWS::IAM::Policy counts for each role it names."""
    found = []
    for name, role in resources(template, "AWS::IAM::Role").items():
        for policy in properties(role).get("Policies") or []:
            found += [(name, s) for s in (policy.get("PolicyDocument") or {}).get("Statement", [])]
    for name, policy in resources(template, "AWS::IAM::Policy").items():
        p = properties(policy)
        owners = [str(ref_name(role)) for role in p.get("Roles") or []] or [name]
        for statement in (p.get("PolicyDocument") or {}).get("Statement") or []:
            found += [(owner, statement) for owner in owners]
    for name, policy in resources(template, "AWS::IAM::ManagedPolicy").items():
        for statement in (properties(policy).get("PolicyDocument") or {}).get("Statement") or []:
            found.append((name, statement))
    return found


def _actions(statement: dict[str, Any]) -> list[str]:
    value = statement.get("Action")
    return [str(a) for a in (value if isinstance(value, list) else [value])]


def _resources(statement: dict[str, Any]) -> list[Any]:
    value = statement.get("Resource")
    return value if isinstance(value, list) else [value]


def gateway_sync_scoped(template: Template) -> list[str]:
    """The admin's sync may read and change usage plans and API keys (GET, POST, PATCH,
    DELETE), nothing else of API Gateway, and only the roles that run the admin or
    sync_usage_plans may; the API and management functions can."""
    problems = []
    allowed: set[str] = set()
    for name, statement in _statements(template):
        actions = [a for a in _actions(statement) if a.lower().startswith("apigateway:")]
        if statement.get("Effect") != "Allow" or not actions:
            continue
        if name == "RestCacheInvalidationPolicy":
            continue  # the stage cache flush: rest_cache_invalidation's
        if name not in SYNC_ROLES:
            problems.append(f"{name}: may call API Gateway's control plane ({actions})")
        if set(actions) - SYNC_ACTIONS:
            problems.append(
                f"{name}/{statement.get('Sid')}: {actions} beyond {sorted(SYNC_ACTIONS)}"
            )
        for resource in _resources(statement):
            match = APIGATEWAY_ARN.fullmatch(_sub(resource))
            if match is None or not SYNC_PATHS.fullmatch(match.group("path")):
                problems.append(
                    f"{name}/{statement.get('Sid')}: {_sub(resource) or resource} is not a "
                    "usage plan or API key"
                )
            elif "apigateway:POST" in actions and match.group("path").endswith("/*"):
                problems.append(f"{name}/{statement.get('Sid')}: POST below an item (a create)")
        allowed.add(name)
    problems += [
        f"{role}: cannot sync usage plans and keys"
        for role in ("ApiFunctionRole", "ManageFunctionRole")
        if role not in allowed
    ]
    return problems


def rest_cache_invalidation(template: Template) -> list[str]:
    """execute-api:InvalidateCache only on the cached public documents of this REST API's
    stage, and never to a function."""
    problems = []
    public = {key.replace(" ", "").replace("{proxy+}", "*") for key in routes.PUBLIC_CACHEABLE_KEYS}
    flush = (
        "arn:${AWS::Partition}:apigateway:${AWS::Region}::"
        "/restapis/${RestApi}/stages/${Stage}/cache/data"
    )
    for name, statement in _statements(template):
        if name == "RestCacheInvalidationPolicy" and any(
            a.startswith("apigateway:") for a in _actions(statement)
        ):
            if _actions(statement) != ["apigateway:DELETE"] or [
                _sub(r) for r in _resources(statement)
            ] != [flush]:
                problems.append(
                    f"{name}/{statement.get('Sid')}: more than flushing this stage's cache"
                )
            continue
        if "execute-api:InvalidateCache" not in _actions(statement):
            continue
        if name != "RestCacheInvalidationPolicy":
            problems.append(f"{name}: may invalidate the REST cache (operators only)")
        for resource in _resources(statement):
            text = _sub(resource)
            prefix = "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:"
            route = text.removeprefix(prefix + "${RestApi}/${Stage}/")
            if not text.startswith(prefix) or route == text:
                problems.append(f"{name}: {text or resource} is not this REST API's stage")
            elif route not in public:
                problems.append(f"{name}: invalidates {route}, not a cached public route")
    return problems


RULES = (
    rest_api_routes,
    rest_private_endpoint,
    rest_caching_public_only,
    rest_gateway_responses,
    rest_preflight,
    rest_stage_logs_and_throttle,
    gateway_sync_scoped,
    rest_cache_invalidation,
)
