"""Project rules over the transformed template: what cfn-lint and checkov cannot know.

Each rule takes the transformed (plain CloudFormation) template and returns the violations it
finds, one readable line each; an empty list means the rule holds. tests/infra/mutants.py
holds a broken copy of the template for every rule, proving each one can fail.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from apps.common import metrics
from infra import routes
from tests.infra import rest_rules
from tests.infra.cfn import properties, ref_name, resources, walk

Template = dict[str, Any]
Rule = Callable[[Template], list[str]]

# The route table both front doors serve (infra/routes.py writes the Lambda APIs' routes).
ROUTE_KEYS = set(routes.ROUTE_KEYS)
JWT_ROUTE_KEYS = {key for key in ROUTE_KEYS if key.endswith("/v1/{proxy+}")}
HANDLERS = {
    "ApiFunction": "lambda_runtime.handler.handler",
    "ManageFunction": "lambda_runtime.handler.manage",
    "PhotoFunction": "lambda_runtime.handler.process_photos",
    "RealtimeFunction": "lambda_runtime.handler.websocket",
    "KeyAuthorizerFunction": "lambda_runtime.handler.authorize_api_key",
}
# The scopes a token needs per /v1 route (Cognito's resource server `pets`; Django's views).
READ_SCOPES = ["pets/read", "pets/write"]
WRITE_SCOPES = ["pets/write"]
# Headers the container trusts as token claims (apps/identity/claims.py CLAIM_HEADERS).
CLAIM_HEADERS = {
    "x-gateway-jwt-iss": "iss",
    "x-gateway-jwt-sub": "sub",
    "x-gateway-jwt-email": "email",
    "x-gateway-jwt-scope": "scope",
}
# The WebSocket API's routes (docs/realtime.md); the two-way ones answer the client.
WEBSOCKET_ROUTES = {"$connect", "$disconnect", "$default", "ping", "subscribe"}
TWO_WAY_ROUTES = {"$default", "ping", "subscribe"}
# Roles of what publishes domain events, or closes connections: only they may push.
CONNECTION_MANAGERS = {"ApiFunctionRole", "PhotoFunctionRole", "RealtimeFunctionRole", "TaskRole"}
# The @connections ARN format: api-id/stage/VERB/@connections/id, on this API's stage only.
# https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-control-access-iam.html
CONNECTIONS_ARN = re.compile(
    r"arn:\$\{AWS::Partition\}:execute-api:\$\{AWS::Region\}:\$\{AWS::AccountId\}:"
    r"\$\{WebSocketApi\}/\$\{Stage\}/(POST|GET|DELETE)/@connections/\*"
)
UPLOAD_PREFIX = "uploads/"
HTTP_API_TIMEOUT_SECONDS = (
    30  # https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html
)
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-event-types-and-destinations.html
S3_OBJECT_CREATED = {
    "s3:ObjectCreated:*",
    "s3:ObjectCreated:Put",
    "s3:ObjectCreated:Post",
    "s3:ObjectCreated:Copy",
    "s3:ObjectCreated:CompleteMultipartUpload",
}
# Actions AWS only grants on "*" (no resource-level permissions), each with the reason.
STAR_ONLY_ACTIONS = {
    "ec2:CreateNetworkInterface": "Lambda VPC attachment (AWSLambdaVPCAccessExecutionRole)",
    "ec2:DescribeNetworkInterfaces": "Describe* calls have no resource-level permissions",
    "ec2:DescribeSubnets": "Describe* calls have no resource-level permissions",
    "ec2:DeleteNetworkInterface": "Lambda VPC attachment (AWSLambdaVPCAccessExecutionRole)",
    "ec2:AssignPrivateIpAddresses": "Lambda VPC attachment (AWSLambdaVPCAccessExecutionRole)",
    "ec2:UnassignPrivateIpAddresses": "Lambda VPC attachment (AWSLambdaVPCAccessExecutionRole)",
    "ecr:GetAuthorizationToken": "ECR registry login has no resource-level permissions",
    "xray:PutTraceSegments": "X-Ray has no resource-level permissions (active tracing)",
    "xray:PutTelemetryRecords": "X-Ray has no resource-level permissions (active tracing)",
}
SECRET_KEY_NAMES = re.compile(
    r"password|passwd|secret|token|private_?key|api_?key|credential", re.I
)
# Names that match SECRET_KEY_NAMES but hold no secret: the REST API's key source (an
# enum) and the switch that leaves metering to API Gateway (a boolean).
NOT_SECRETS = {"ApiKeySourceType", "API_KEYS_GATEWAY_METERING"}
DYNAMIC_REFERENCE = re.compile(r"^\{\{resolve:secretsmanager:[^}]+\}\}$")
ACCESS_KEY = re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b|-----BEGIN [A-Z ]*PRIVATE KEY-----")


def _sub_text(value: Any) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str):
        return str(value["Fn::Sub"])
    return None


def vpc_link_integration(template: Template) -> list[str]:
    """HTTP_PROXY over the VPC link to a listener, payload 1.0, stage stripped from the path."""
    problems = []
    integrations = resources(template, "AWS::ApiGatewayV2::Integration")
    vpc_links = resources(template, "AWS::ApiGatewayV2::VpcLink")
    listeners = resources(template, "AWS::ElasticLoadBalancingV2::Listener")
    if not any(properties(i).get("ConnectionType") == "VPC_LINK" for i in integrations.values()):
        problems.append("no integration uses ConnectionType VPC_LINK")
    for name, integration in integrations.items():
        p = properties(integration)
        kind = p.get("ConnectionType", "INTERNET")
        if kind not in ("INTERNET", "VPC_LINK"):
            problems.append(f"{name}: ConnectionType {kind!r} is neither INTERNET nor VPC_LINK")
        if kind != "VPC_LINK":
            continue
        if p.get("IntegrationType") != "HTTP_PROXY":
            problems.append(f"{name}: a VPC_LINK integration must be HTTP_PROXY")
        if p.get("PayloadFormatVersion") != "1.0":
            problems.append(f"{name}: private integrations only support payload format 1.0")
        if ref_name(p.get("ConnectionId")) not in vpc_links:
            problems.append(f"{name}: ConnectionId is not a Ref to an ApiGatewayV2::VpcLink")
        if ref_name(p.get("IntegrationUri")) not in listeners:
            problems.append(f"{name}: IntegrationUri is not a Ref to an ALB listener (its ARN)")
        mapping = p.get("RequestParameters") or {}
        if mapping.get("overwrite:path") != "$request.path":
            problems.append(f"{name}: no `overwrite:path: $request.path`, the stage reaches Django")
        if mapping.get("overwrite:header.x-gateway-forwarded-proto") != "https":
            problems.append(f"{name}: the container cannot tell the request came over HTTPS")
    return problems


def claim_headers(template: Template) -> list[str]:
    """Every VPC_LINK integration overwrites each claim header the container trusts with the
    verified claim, or removes it: no client's copy ever reaches the container."""
    problems = []
    for name, integration in resources(template, "AWS::ApiGatewayV2::Integration").items():
        p = properties(integration)
        if p.get("ConnectionType") != "VPC_LINK":
            continue
        mapping = p.get("RequestParameters") or {}
        for header, claim in CLAIM_HEADERS.items():
            overwrite = mapping.get(f"overwrite:header.{header}")
            removed = f"remove:header.{header}" in mapping
            if overwrite == f"$context.authorizer.claims.{claim}" and not removed:
                continue
            if removed and overwrite is None:
                continue
            problems.append(f"{name}: {header} is neither removed nor overwritten with `{claim}`")
    return problems


def _route_key(path: str, method: str) -> str:
    return f"{'ANY' if method == 'x-amazon-apigateway-any-method' else method.upper()} {path}"


def lambda_routes(template: Template) -> list[str]:
    """The HTTP API body holds exactly ROUTE_KEYS, each an aws_proxy 2.0 integration."""
    problems = []
    body = properties(template["Resources"]["HttpApi"]).get("Body") or {}
    keys = set()
    for path, item in (body.get("paths") or {}).items():
        for method, operation in item.items():
            keys.add(_route_key(path, method))
            integration = operation.get("x-amazon-apigateway-integration") or {}
            if (
                integration.get("type") != "aws_proxy"
                or integration.get("payloadFormatVersion") != "2.0"
            ):
                problems.append(
                    f"{_route_key(path, method)}: not a Lambda proxy integration, payload 2.0"
                )
            uri = _sub_text(integration.get("uri")) or ""
            if "${ApiFunctionAliaslive}" not in uri:
                problems.append(
                    f"{_route_key(path, method)}: does not invoke ApiFunction's live alias"
                )
    if keys != ROUTE_KEYS:
        problems.append(f"Lambda routes {sorted(keys ^ ROUTE_KEYS)} differ from ROUTE_KEYS")
    return problems


def _websocket_apis(template: Template) -> set[str]:
    return {
        name
        for name, api in resources(template, "AWS::ApiGatewayV2::Api").items()
        if properties(api).get("ProtocolType") == "WEBSOCKET"
    }


def _http_routes(template: Template) -> dict[str, dict[str, Any]]:
    """ApiGatewayV2 routes of HTTP APIs (the WebSocket API's have rules of their own)."""
    websocket = _websocket_apis(template)
    return {
        name: route
        for name, route in resources(template, "AWS::ApiGatewayV2::Route").items()
        if ref_name(properties(route).get("ApiId")) not in websocket
    }


def container_routes(template: Template) -> list[str]:
    """Container routes: valid keys, targets written `integrations/${Integration}`."""
    problems = []
    integrations = resources(template, "AWS::ApiGatewayV2::Integration")
    keys = set()
    for name, route in _http_routes(template).items():
        p = properties(route)
        key = p.get("RouteKey")
        keys.add(key)
        if not (
            key == "$default"
            or re.fullmatch(r"(ANY|GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) /\S*", str(key))
        ):
            problems.append(f"{name}: RouteKey {key!r} is not `METHOD /path` or $default")
        for target in _branches(p.get("Target")):
            match = re.fullmatch(r"integrations/\$\{(\w+)\}", _sub_text(target) or "")
            if not match or match.group(1) not in integrations:
                problems.append(f"{name}: Target must be !Sub integrations/${{<Integration>}}")
            elif ref_name(p.get("ApiId")) != ref_name(
                properties(integrations[match.group(1)]).get("ApiId")
            ):
                problems.append(f"{name}: the route and its integration are on different APIs")
    if keys != ROUTE_KEYS:
        problems.append(f"container routes {sorted(keys ^ ROUTE_KEYS)} differ from ROUTE_KEYS")
    return problems


def _branches(value: Any) -> list[Any]:
    """Both outcomes of a Fn::If (nested ones too), or the value itself."""
    if isinstance(value, dict) and "Fn::If" in value:
        return [b for branch in value["Fn::If"][1:] for b in _branches(branch)]
    return [value]


def _security(scopes: list[str]) -> dict[str, Any]:
    no_value = {"Ref": "AWS::NoValue"}
    key = {"Fn::If": ["KeyAuthorizerEnabled", [{"KeyAuth": []}], no_value]}
    return {"Fn::If": ["JwtEnabled", [{"JwtAuth": scopes}], key]}


def _authorizer_problems(body: dict[str, Any]) -> list[str]:
    """JwtAuth (the pool or JwtIssuer) under JwtEnabled, else KeyAuth under its condition."""
    problems = []
    schemes = ((body.get("components") or {}).get("securitySchemes") or {}).get("Fn::If") or []
    jwt_scheme = schemes[1].get("JwtAuth", {}) if len(schemes) == 3 else {}
    key_branch = (schemes[2] if len(schemes) == 3 else {}).get("Fn::If") or []
    key_scheme = key_branch[1].get("KeyAuth", {}) if len(key_branch) == 3 else {}
    if schemes[:1] != ["JwtEnabled"] or key_branch[:1] != ["KeyAuthorizerEnabled"]:
        problems.append("HttpApi body: securitySchemes are not JwtAuth, else KeyAuth, else none")
    authorizer = jwt_scheme.get("x-amazon-apigateway-authorizer") or {}
    jwt = authorizer.get("jwtConfiguration") or {}
    if (
        authorizer.get("type") != "jwt"
        or authorizer.get("identitySource") != "$request.header.Authorization"
    ):
        problems.append(
            "HttpApi body: no JWT authorizer (type jwt, Authorization header) under JwtEnabled"
        )
    issuer = _branches(jwt.get("issuer"))
    if issuer[1:] != [{"Ref": "JwtIssuer"}] or "${UserPool}" not in (_sub_text(issuer[0]) or ""):
        problems.append("HttpApi body: the JWT issuer is not the user pool, else JwtIssuer")
    if _branches(jwt.get("audience")) != [[{"Ref": "UserPoolClient"}], {"Ref": "JwtAudience"}]:
        problems.append("HttpApi body: the JWT audience is not the app client, else JwtAudience")
    key = key_scheme.get("x-amazon-apigateway-authorizer") or {}
    if (
        key.get("type") != "request"
        or key.get("identitySource") != "$request.header.x-api-key"
        or key.get("authorizerPayloadFormatVersion") != "2.0"
        or key.get("enableSimpleResponses") is not True
        or key.get("authorizerResultTtlInSeconds") != {"Ref": "KeyAuthorizerTtl"}
        or "${KeyAuthorizerFunction.Arn}" not in (_sub_text(key.get("authorizerUri")) or "")
    ):
        problems.append(
            "HttpApi body: KeyAuth is not a cached 2.0 simple-response authorizer on x-api-key "
            "invoking KeyAuthorizerFunction"
        )
    return problems


def jwt_and_cors(template: Template) -> list[str]:
    """The optional authorizers guard the /v1 routes only, with the pets scopes; CORS origins
    are the parameter."""
    body = properties(template["Resources"]["HttpApi"]).get("Body") or {}
    problems = _authorizer_problems(body)
    for path, item in (body.get("paths") or {}).items():
        for method, operation in item.items():
            key, security = _route_key(path, method), operation.get("security")
            scopes = READ_SCOPES if method == "get" else WRITE_SCOPES
            if key in JWT_ROUTE_KEYS and security != _security(scopes):
                problems.append(f"{key}: does not require the authorizer (and {scopes})")
            if key not in JWT_ROUTE_KEYS and security is not None:
                problems.append(f"{key}: a public route carries a security requirement")
    for name, route in _http_routes(template).items():
        p = properties(route)
        guarded = p.get("AuthorizationType") == {"Fn::If": ["ContainerJwt", "JWT", "NONE"]}
        if (p.get("RouteKey") in JWT_ROUTE_KEYS) != guarded:
            problems.append(f"{name}: JWT use differs from the Lambda API's route table")
        scopes = READ_SCOPES if str(p.get("RouteKey")).startswith("GET") else WRITE_SCOPES
        wanted = {"Fn::If": ["ContainerJwt", scopes, {"Ref": "AWS::NoValue"}]} if guarded else None
        if p.get("AuthorizationScopes") != wanted:
            problems.append(f"{name}: scopes differ from the Lambda API's route table")
    # SAM resolves the parameter (its default, offline) into the Split at transform time.
    default = (template.get("Parameters") or {}).get("CorsAllowedOrigins", {}).get("Default")
    problems += _cors_problems(
        body.get("x-amazon-apigateway-cors"), "HttpApi", "allowOrigins", default
    )
    for name, api in resources(template, "AWS::ApiGatewayV2::Api").items():
        if "Body" not in properties(api) and name not in _websocket_apis(template):
            config = properties(api).get("CorsConfiguration")
            problems += _cors_problems(config, name, "AllowOrigins", {"Ref": "CorsAllowedOrigins"})
    return problems


def _cors_problems(config: Any, name: str, origins_key: str, parameter: Any) -> list[str]:
    """CORS on when CorsAllowedOrigins is set, with exactly its origins, never credentials."""
    branches = config.get("Fn::If") if isinstance(config, dict) else None
    if not branches or branches[0] != "HasCorsOrigins" or not isinstance(branches[1], dict):
        return [f"{name}: CORS is not conditional on HasCorsOrigins"]
    origins = branches[1].get(origins_key)
    split = origins.get("Fn::Split") if isinstance(origins, dict) else None
    if not split or split[0] != "," or split[1] != parameter:
        return [f"{name}: CORS origins are not the CorsAllowedOrigins parameter"]
    credentials = branches[1].get(origins_key.replace("Origins", "Credentials"))
    if credentials:
        return [f"{name}: CORS must not allow credentials (the API uses headers, not cookies)"]
    return []


def handlers(template: Template) -> list[str]:
    """Each function runs its contracted entry point; the API function is python3.12."""
    functions = resources(template, "AWS::Lambda::Function")
    problems = [f"{name} is missing" for name in HANDLERS if name not in functions]
    for name, function in functions.items():
        p = properties(function)
        if HANDLERS.get(name) != p.get("Handler"):
            problems.append(f"{name}: Handler {p.get('Handler')!r} is not {HANDLERS.get(name)!r}")
        if p.get("Runtime") != "python3.12":
            problems.append(f"{name}: Runtime {p.get('Runtime')!r} is not python3.12")
    return problems


def s3_events(template: Template) -> list[str]:
    """ObjectCreated events on the upload prefix reach the photo function; the app agrees."""
    problems = []
    configs = [
        config
        for bucket in resources(template, "AWS::S3::Bucket").values()
        for config in (
            (properties(bucket).get("NotificationConfiguration") or {}).get("LambdaConfigurations")
            or []
        )
    ]
    if not configs:
        problems.append("no bucket notifies a Lambda function")
    for config in configs:
        if config.get("Event") not in S3_OBJECT_CREATED:
            problems.append(f"S3 event {config.get('Event')!r} is not an s3:ObjectCreated event")
        rules = ((config.get("Filter") or {}).get("S3Key") or {}).get("Rules") or []
        if rules != [{"Name": "prefix", "Value": UPLOAD_PREFIX}]:
            problems.append(f"S3 notification filter {rules} is not the prefix {UPLOAD_PREFIX!r}")
        if ref_name(config.get("Function")) != "PhotoFunction":
            problems.append("the S3 notification does not invoke PhotoFunction")
    for name, function in resources(template, "AWS::Lambda::Function").items():
        variables = (properties(function).get("Environment") or {}).get("Variables") or {}
        if variables.get("PHOTOS_UPLOAD_PREFIX") != UPLOAD_PREFIX:
            problems.append(f"{name}: PHOTOS_UPLOAD_PREFIX is not {UPLOAD_PREFIX!r}")
    return problems


def internal_alb(template: Template) -> list[str]:
    return [
        f"{name}: Scheme must be internal (reached only through the VPC link)"
        for name, alb in resources(template, "AWS::ElasticLoadBalancingV2::LoadBalancer").items()
        if properties(alb).get("Scheme") != "internal"
    ]


def target_type_ip(template: Template) -> list[str]:
    """Fargate tasks (awsvpc) register by IP; health checks hit /health."""
    problems = []
    for name, group in resources(template, "AWS::ElasticLoadBalancingV2::TargetGroup").items():
        p = properties(group)
        if p.get("TargetType") != "ip":
            problems.append(f"{name}: TargetType must be ip for Fargate (awsvpc)")
        if p.get("HealthCheckPath") != "/health":
            problems.append(f"{name}: HealthCheckPath must be /health")
    return problems


def security_group_chain(template: Template) -> list[str]:
    """VPC link SG -> ALB SG -> task SG -> database SG (functions -> proxy -> database;
    functions and tasks -> counter cache), nothing else inbound."""
    allowed = {
        "AlbSecurityGroup": {"VpcLinkSecurityGroup"},
        "TaskSecurityGroup": {"AlbSecurityGroup"},
        "DatabaseSecurityGroup": {
            "FunctionSecurityGroup",
            "TaskSecurityGroup",
            "DatabaseProxySecurityGroup",
        },
        "DatabaseProxySecurityGroup": {"FunctionSecurityGroup"},
        "CounterCacheSecurityGroup": {"FunctionSecurityGroup", "TaskSecurityGroup"},
        "VpcLinkSecurityGroup": set(),
        "FunctionSecurityGroup": set(),
    }
    rules: list[tuple[str, dict[str, Any]]] = []
    for name, group in resources(template, "AWS::EC2::SecurityGroup").items():
        rules += [(name, rule) for rule in properties(group).get("SecurityGroupIngress") or []]
    for ingress in resources(template, "AWS::EC2::SecurityGroupIngress").values():
        p = properties(ingress)
        rules.append((str(ref_name(p.get("GroupId"))), p))
    problems = []
    for group, rule in rules:
        source = ref_name(rule.get("SourceSecurityGroupId"))
        if group in allowed and source not in allowed[group]:
            problems.append(f"{group}: inbound from {source or rule.get('CidrIp')} is not allowed")
    return problems


def function_timeouts(template: Template) -> list[str]:
    problems = []
    for name, function in resources(template, "AWS::Lambda::Function").items():
        timeout = properties(function).get("Timeout")
        if not isinstance(timeout, int) or timeout >= HTTP_API_TIMEOUT_SECONDS:
            problems.append(f"{name}: Timeout {timeout!r} is not below the HTTP API's 30 s")
    return problems


def _statements(template: Template) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for kind in ("AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        for name, resource in resources(template, kind).items():
            p = properties(resource)
            documents = [policy.get("PolicyDocument") or {} for policy in p.get("Policies") or []]
            documents.append(p.get("PolicyDocument") or {})
            for document in documents:
                found += [(name, statement) for statement in document.get("Statement") or []]
    return found


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _is_wildcard(resource: Any) -> bool:
    text = _sub_text(resource) if isinstance(resource, dict) else resource
    return isinstance(text, str) and (text == "*" or re.search(r"(^|:)\*$|:::\*", text) is not None)


def iam_scoped(template: Template) -> list[str]:
    """Every Allow names its resources; "*" only for actions AWS grants on "*" alone."""
    problems = []
    for name, role in resources(template, "AWS::IAM::Role").items():
        if properties(role).get("ManagedPolicyArns"):
            problems.append(
                f"{name}: managed policies cannot be checked for scope; write them inline"
            )
    for name, statement in _statements(template):
        if statement.get("Effect") != "Allow" or "Principal" in statement:
            continue
        actions = [str(a) for a in _as_list(statement.get("Action"))]
        if any(a == "*" or a.endswith(":*") for a in actions):
            problems.append(f"{name}/{statement.get('Sid')}: wildcard action {actions}")
        if any(_is_wildcard(r) for r in _as_list(statement.get("Resource"))):
            unjustified = [a for a in actions if a not in STAR_ONLY_ACTIONS]
            if unjustified:
                problems.append(f"{name}/{statement.get('Sid')}: {unjustified} on Resource '*'")
    return problems


def bucket_public_access_block(template: Template) -> list[str]:
    wanted = {"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"}
    problems = []
    for name, bucket in resources(template, "AWS::S3::Bucket").items():
        p = properties(bucket)
        block = p.get("PublicAccessBlockConfiguration") or {}
        if {key for key, value in block.items() if value is True} != wanted:
            problems.append(f"{name}: public access is not blocked on all four settings")
        if not (p.get("BucketEncryption") or {}).get("ServerSideEncryptionConfiguration"):
            problems.append(f"{name}: no default encryption")
    return problems


def tls_only(template: Template) -> list[str]:
    """Each bucket's policy denies every request made without TLS, on bucket and objects."""
    problems = []
    policies = resources(template, "AWS::S3::BucketPolicy").values()
    for name in resources(template, "AWS::S3::Bucket"):
        denies = [
            statement
            for policy in policies
            if ref_name(properties(policy).get("Bucket")) == name
            for statement in (properties(policy).get("PolicyDocument") or {}).get("Statement") or []
            if statement.get("Effect") == "Deny"
            and statement.get("Principal") == "*"
            and (statement.get("Condition") or {}).get("Bool") == {"aws:SecureTransport": "false"}
        ]
        covered = {str(r) for s in denies for r in _as_list(s.get("Resource"))}
        if not any("Arn" in r for r in covered) or not any("/*" in r for r in covered):
            problems.append(f"{name}: no Deny for aws:SecureTransport false on bucket and objects")
    return problems


def no_literal_secrets(template: Template) -> list[str]:
    """Passwords only as Secrets Manager dynamic references; environments hold references."""
    problems = []
    for name, resource in (template.get("Resources") or {}).items():
        for path, value in walk(properties(resource)):
            key = path.rsplit(".", 1)[-1]
            if isinstance(value, str) and ACCESS_KEY.search(value):
                problems.append(f"{name}.{path}: looks like an AWS access key or private key")
            if (
                (
                    isinstance(value, str)
                    and SECRET_KEY_NAMES.search(key)
                    and key not in NOT_SECRETS
                    # Cognito's token lifetime units ("minutes"), not tokens.
                    and ".TokenValidityUnits." not in f".{path}"
                    and not key.endswith(("Arn", "_ARN", "Name", "Id"))
                )
                and not DYNAMIC_REFERENCE.match(value)
                and not key.startswith(("Exclude", "Generate"))
            ):
                problems.append(f"{name}.{path}: a literal value for a secret-named property")
        environment = [
            (variable, value)
            for variable, value in (
                (properties(resource).get("Environment") or {}).get("Variables") or {}
            ).items()
        ]
        for container in properties(resource).get("ContainerDefinitions") or []:
            environment += [
                (e.get("Name"), e.get("Value")) for e in container.get("Environment") or []
            ]
        for variable, value in environment:
            text = _sub_text(value) or (value if isinstance(value, str) else "")
            if "{{resolve:" in text:
                problems.append(f"{name}: {variable} resolves a secret into the plain environment")
            if (
                SECRET_KEY_NAMES.search(str(variable))
                and not str(variable).endswith("_ARN")
                and variable not in NOT_SECRETS
            ):
                problems.append(f"{name}: {variable} puts a secret value in the environment")
    return problems


def _function_variables(template: Template) -> list[tuple[str, dict[str, Any]]]:
    return [
        (name, (properties(function).get("Environment") or {}).get("Variables") or {})
        for name, function in resources(template, "AWS::Lambda::Function").items()
    ]


def _if_branches(value: Any, condition: str) -> tuple[Any, Any] | None:
    """(then, else) of `{"Fn::If": [condition, then, else]}`, else None."""
    branches = value.get("Fn::If") if isinstance(value, dict) else None
    if isinstance(branches, list) and len(branches) == 3 and branches[0] == condition:
        return branches[1], branches[2]
    return None


def proxy_tls(template: Template) -> list[str]:
    """RDS Proxy requires TLS and IAM; the functions reach it over TLS with an IAM token."""
    problems = []
    proxies = resources(template, "AWS::RDS::DBProxy")
    if not proxies:
        problems.append("no AWS::RDS::DBProxy")
    for name, proxy in proxies.items():
        p = properties(proxy)
        if p.get("RequireTLS") is not True:
            problems.append(f"{name}: RequireTLS is not true")
        if p.get("EngineFamily") != "POSTGRESQL":
            problems.append(f"{name}: EngineFamily is not POSTGRESQL")
        for auth in p.get("Auth") or [{}]:
            if auth.get("IAMAuth") != "REQUIRED" or auth.get("AuthScheme") != "SECRETS":
                problems.append(f"{name}: clients must sign in with IAM (IAMAuth REQUIRED)")
    for name, variables in _function_variables(template):
        url = _if_branches(variables.get("DATABASE_URL"), "DatabaseProxyEnabled")
        proxied = _sub_text(url[0]) if url else None
        if not proxied or "${DatabaseProxy.Endpoint}" not in proxied:
            problems.append(f"{name}: DATABASE_URL does not go through DatabaseProxy")
            continue
        for text in (proxied, _sub_text(url[1]) or ""):
            if not re.search(r"[?&]sslmode=(require|verify-ca|verify-full)\b", text):
                problems.append(f"{name}: DATABASE_URL {text!r} does not require TLS")
        expected = {
            "DATABASE_IAM_AUTH": ["DatabaseProxyEnabled", "true", "false"],
            "DATABASE_POOLER": ["DatabaseProxyEnabled", "proxy", "none"],
        }
        for variable, wanted in expected.items():
            if variables.get(variable) != {"Fn::If": wanted}:
                problems.append(f"{name}: {variable} must follow the proxy ({wanted})")
    return problems


def cache_tls(template: Template) -> list[str]:
    """The counter cache: in the VPC, AUTH by a user group, reached over TLS (rediss)."""
    problems = []
    for name, cache in resources(template, "AWS::ElastiCache::ServerlessCache").items():
        p = properties(cache)
        if not p.get("SubnetIds") or not p.get("SecurityGroupIds"):
            problems.append(f"{name}: not placed in the VPC (SubnetIds, SecurityGroupIds)")
        group = resources(template, "AWS::ElastiCache::UserGroup").get(
            str(ref_name(p.get("UserGroupId")))
        )
        if group is None:
            problems.append(f"{name}: no UserGroupId: the open default user would answer")
            continue
        users = resources(template, "AWS::ElastiCache::User")
        for user_ref in properties(group).get("UserIds") or []:
            user = properties(users.get(str(ref_name(user_ref)), {}))
            mode = (user.get("AuthenticationMode") or {}).get("Type")
            if user.get("UserName") == "default" and not str(user.get("AccessString")).startswith(
                "off"
            ):
                problems.append(f"{name}: the default user is not switched off")
            if user.get("UserName") != "default" and mode not in ("password", "iam"):
                problems.append(f"{name}: user {user.get('UserName')} signs in without AUTH")
    for name, variables in _function_variables(template):
        url = _if_branches(variables.get("REDIS_URL"), "CounterCacheEnabled")
        if not url or not (_sub_text(url[0]) or "").startswith("rediss://"):
            problems.append(f"{name}: REDIS_URL must be rediss:// (TLS) to the counter cache")
    return problems


def rds_db_connect_scoped(template: Template) -> list[str]:
    """`rds-db:connect` only on this proxy's app user, never a wildcard, never with more."""
    problems = []
    found = False
    for name, statement in _statements(template):
        actions = [str(a) for a in _as_list(statement.get("Action"))]
        if not any(a.startswith("rds-db:") or a == "*" for a in actions):
            continue
        found = True
        if actions != ["rds-db:connect"]:
            problems.append(f"{name}/{statement.get('Sid')}: {actions} beside or beyond connect")
        for resource in _as_list(statement.get("Resource")):
            sub = resource.get("Fn::Sub") if isinstance(resource, dict) else None
            text, values = (sub[0], sub[1]) if isinstance(sub, list) else (sub, {})
            proxy_id = values.get("ProxyId") if isinstance(values, dict) else None
            if not (
                isinstance(text, str)
                and text.endswith(":dbuser:${ProxyId}/${DatabaseUsername}")
                and ":rds-db:${AWS::Region}:${AWS::AccountId}:" in text
                and "DatabaseProxy" in str(proxy_id)
            ):
                problems.append(
                    f"{name}/{statement.get('Sid')}: {resource} is not this proxy's app user"
                )
    if not found and resources(template, "AWS::RDS::DBProxy"):
        problems.append("the proxy requires IAM, but no role may rds-db:connect")
    return problems


def _websocket_routes(template: Template, api: str) -> dict[str, tuple[str, dict[str, Any]]]:
    """Route key -> (logical id, properties) of the API's routes."""
    return {
        properties(route).get("RouteKey"): (name, properties(route))
        for name, route in resources(template, "AWS::ApiGatewayV2::Route").items()
        if ref_name(properties(route).get("ApiId")) == api
    }


def websocket_api(template: Template) -> list[str]:
    """One WEBSOCKET API routing on $request.body.action: exactly WEBSOCKET_ROUTES, each a
    Lambda proxy integration to RealtimeFunction, the two-way ones with a $default route
    response; deployed after every route; a stage with throttling and access logs; the
    function invocable by this API only."""
    apis = sorted(_websocket_apis(template))
    if len(apis) != 1:
        return [f"expected one WEBSOCKET API, found {apis}"]
    api = apis[0]
    problems = []
    selection = properties(template["Resources"][api]).get("RouteSelectionExpression")
    if selection != "$request.body.action":
        problems.append(
            f"{api}: RouteSelectionExpression {selection!r} is not $request.body.action"
        )
    routes = _websocket_routes(template, api)
    if set(routes) != WEBSOCKET_ROUTES:
        problems.append(f"WebSocket routes {sorted(set(routes) ^ WEBSOCKET_ROUTES)} differ")
    integrations = resources(template, "AWS::ApiGatewayV2::Integration")
    answered = {
        ref_name(properties(r).get("RouteId"))
        for r in resources(template, "AWS::ApiGatewayV2::RouteResponse").values()
        if properties(r).get("RouteResponseKey") == "$default"
    }
    for key, (name, route) in routes.items():
        target = (_sub_text(route.get("Target")) or "").removeprefix("integrations/${")
        integration = properties(integrations.get(target.removesuffix("}"), {}))
        uri = _sub_text(integration.get("IntegrationUri")) or ""
        if (
            integration.get("IntegrationType") != "AWS_PROXY"
            or "${RealtimeFunction.Arn}" not in uri
        ):
            problems.append(f"{key}: not a Lambda proxy integration to RealtimeFunction")
        two_way = name in answered and route.get("RouteResponseSelectionExpression") == "$default"
        if two_way != (key in TWO_WAY_ROUTES):
            problems.append(f"{key}: {'answers' if two_way else 'does not answer'} the client")
    route_names = {name for name, _ in routes.values()}
    for name, deployment in resources(template, "AWS::ApiGatewayV2::Deployment").items():
        if ref_name(properties(deployment).get("ApiId")) == api:
            missing = route_names - set(_as_list(deployment.get("DependsOn") or []))
            if missing:
                problems.append(f"{name}: does not DependsOn {sorted(missing)}")
    stages = [
        properties(stage)
        for stage in resources(template, "AWS::ApiGatewayV2::Stage").values()
        if ref_name(properties(stage).get("ApiId")) == api
    ]
    for stage in stages or [{}]:
        throttle = stage.get("DefaultRouteSettings") or {}
        if not {"ThrottlingRateLimit", "ThrottlingBurstLimit"} <= set(throttle):
            problems.append(f"{api}: the stage has no default throttling")
        logs = stage.get("AccessLogSettings") or {}
        if not logs.get("DestinationArn") or "$context.connectionId" not in str(logs.get("Format")):
            problems.append(f"{api}: the stage has no access log with the connection id")
    permissions = [
        properties(permission)
        for permission in resources(template, "AWS::Lambda::Permission").values()
        if ref_name(properties(permission).get("FunctionName")) == "RealtimeFunction"
        and properties(permission).get("Principal") == "apigateway.amazonaws.com"
    ]
    scoped = [p for p in permissions if f"${{{api}}}/" in (_sub_text(p.get("SourceArn")) or "")]
    if not scoped or len(scoped) != len(permissions):
        problems.append(
            "RealtimeFunction: API Gateway may invoke it from another API than this one"
        )
    return problems


def manage_connections_scoped(template: Template) -> list[str]:
    """execute-api:ManageConnections, on this API's stage's @connections only, for the roles
    that push or close connections only; each of them can at least push."""
    problems = []
    pushing = set()
    for name, statement in _statements(template):
        actions = [str(a) for a in _as_list(statement.get("Action"))]
        # execute-api:InvalidateCache is rest_rules.cache_invalidation_scoped's.
        granted = [
            a
            for a in actions
            if a.lower().startswith("execute-api:") and a != "execute-api:InvalidateCache"
        ]
        if statement.get("Effect") != "Allow" or not granted:
            continue
        if granted != ["execute-api:ManageConnections"]:
            problems.append(f"{name}/{statement.get('Sid')}: {granted} beyond ManageConnections")
        if name not in CONNECTION_MANAGERS:
            problems.append(f"{name}: manages connections although it never pushes")
        for resource in _as_list(statement.get("Resource")):
            text = _sub_text(resource) or str(resource)
            found = CONNECTIONS_ARN.fullmatch(text)
            if found is None:
                problems.append(
                    f"{name}/{statement.get('Sid')}: {text} is not this API's @connections"
                )
            elif found.group(1) == "POST":
                pushing.add(name)
    problems += [f"{name}: cannot push to connections" for name in CONNECTION_MANAGERS - pushing]
    return problems


# --- Observability (issue 18, docs/observability.md) -------------------------------------

# What the app's log lines carry (apps/common/metrics.py): metric name -> its group.
EMITTED_GROUPS = (metrics.REQUESTS, metrics.PLANS, metrics.PHOTOS)
# Access-log fields that join a gateway request to the function's log lines.
ACCESS_LOG_IDS = ("$context.requestId", "$context.integration.requestId")
_SEARCH = re.compile(r"SEARCH\('\{\"([^\"]+)\",(\w+)\} MetricName=\"(\w+)\"'")
_NAMESPACE = "@namespace@"


def _role_of(function: dict[str, Any]) -> str | None:
    return ref_name(properties(function).get("Role"))


def functions_traced(template: Template) -> list[str]:
    """X-Ray active tracing on every function, and its role may send the segments."""
    problems = []
    writers = {
        name
        for name, statement in _statements(template)
        if statement.get("Effect") == "Allow"
        and "xray:PutTraceSegments" in _as_list(statement.get("Action"))
    }
    for name, function in resources(template, "AWS::Lambda::Function").items():
        mode = (properties(function).get("TracingConfig") or {}).get("Mode")
        if mode != "Active":
            problems.append(f"{name}: TracingConfig Mode {mode!r} is not Active")
        if _role_of(function) not in writers:
            problems.append(f"{name}: its role may not xray:PutTraceSegments")
    return problems


def access_log_ids(template: Template) -> list[str]:
    """The Lambda API's access log carries the gateway's and the invocation's request ids
    (an HTTP API has no X-Ray trace id; the invocation's log lines have it); a REST stage
    traces and logs the trace id."""
    stages = [
        properties(stage)
        for stage in resources(template, "AWS::ApiGatewayV2::Stage").values()
        if ref_name(properties(stage).get("ApiId")) == "HttpApi"
    ]
    problems = [] if stages else ["HttpApi has no stage"]
    for stage in stages:
        text = str((stage.get("AccessLogSettings") or {}).get("Format"))
        problems += [
            f"HttpApi access log lacks {field}" for field in ACCESS_LOG_IDS if field not in text
        ]
    # A REST API traces at its stage: X-Ray on, the trace id in its access log.
    for name, stage in resources(template, "AWS::ApiGateway::Stage").items():
        p = properties(stage)
        if p.get("TracingEnabled") is not True:
            problems.append(f"{name}: a REST stage without X-Ray tracing (TracingEnabled)")
        if "$context.xrayTraceId" not in str((p.get("AccessLogSetting") or {}).get("Format")):
            problems.append(f"{name}: the REST access log lacks $context.xrayTraceId")
    return problems


def log_groups_retained(template: Template) -> list[str]:
    """Every log group expires its events; every function logs to one of them (else Lambda
    creates /aws/lambda/<name> itself, kept forever)."""
    groups = resources(template, "AWS::Logs::LogGroup")
    problems = [
        f"{name}: no RetentionInDays (its events would be kept forever)"
        for name, group in groups.items()
        if not properties(group).get("RetentionInDays")
    ]
    for name, function in resources(template, "AWS::Lambda::Function").items():
        group = ref_name((properties(function).get("LoggingConfig") or {}).get("LogGroup"))
        if group not in groups:
            problems.append(f"{name}: LoggingConfig.LogGroup is not a log group of this template")
    return problems


def alarms_notify(template: Template) -> list[str]:
    """Every alarm tells an SNS topic of this template when it fires."""
    topics = resources(template, "AWS::SNS::Topic")
    problems = []
    for name, alarm in resources(template, "AWS::CloudWatch::Alarm").items():
        actions = properties(alarm).get("AlarmActions") or []
        if not actions or any(ref_name(action) not in topics for action in actions):
            problems.append(f"{name}: AlarmActions is not a topic of this template")
    if not resources(template, "AWS::CloudWatch::Alarm"):
        problems.append("no alarms")
    return problems


def _alarm_metrics(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    """The metrics an alarm watches: {Namespace, MetricName, Dimensions}."""
    p = properties(alarm)
    if "MetricName" in p:
        return [{key: p.get(key) for key in ("Namespace", "MetricName", "Dimensions")}]
    return [
        (query.get("MetricStat") or {}).get("Metric") or {}
        for query in p.get("Metrics") or []
        if "MetricStat" in query
    ]


def alarm_coverage(template: Template) -> list[str]:
    """Errors and throttles of every function are alarmed, and every queue's depth."""
    watched = {
        (
            str(m.get("Namespace")),
            str(m.get("MetricName")),
            json.dumps(d.get("Value"), sort_keys=True),
        )
        for alarm in resources(template, "AWS::CloudWatch::Alarm").values()
        for m in _alarm_metrics(alarm)
        for d in m.get("Dimensions") or []
    }
    problems = []
    for name, function in resources(template, "AWS::Lambda::Function").items():
        names = {
            json.dumps({"Ref": name}),
            json.dumps(properties(function).get("FunctionName"), sort_keys=True),
        }
        for metric in ("Errors", "Throttles"):
            if not any(("AWS/Lambda", metric, value) in watched for value in names):
                problems.append(f"{name}: no alarm on its {metric}")
    for name in resources(template, "AWS::SQS::Queue"):
        value = json.dumps({"Fn::GetAtt": [name, "QueueName"]})
        if ("AWS/SQS", "ApproximateNumberOfMessagesVisible", value) not in watched:
            problems.append(f"{name}: no alarm on its depth")
    return problems


def _dashboard_metrics(
    template: Template,
) -> tuple[list[str], list[tuple[str, str, tuple[str, ...]]]]:
    """Problems reading the dashboards, and every (namespace, metric, dimension names) they
    show: rows of metric widgets and SEARCH expressions; the app's namespace as _NAMESPACE."""
    problems, found = [], []
    for name, dashboard in resources(template, "AWS::CloudWatch::Dashboard").items():
        sub = properties(dashboard).get("DashboardBody")
        args = sub.get("Fn::Sub") if isinstance(sub, dict) else None
        text, variables = (args[0], args[1]) if isinstance(args, list) else (args, {})
        if not isinstance(text, str):
            problems.append(f"{name}: DashboardBody is not a Fn::Sub of a JSON text")
            continue
        if variables.get("Namespace") != _metrics_namespace(template):
            problems.append(f"{name}: its Namespace is not the functions' METRICS_NAMESPACE")
        text = text.replace("${Namespace}", _NAMESPACE)
        try:
            body = json.loads(re.sub(r"\$\{[^}]+\}", "x", text))
        except ValueError as exc:
            problems.append(f"{name}: DashboardBody is not JSON once substituted ({exc})")
            continue
        for widget in body.get("widgets") or []:
            for row in (widget.get("properties") or {}).get("metrics") or []:
                plain = [item for item in row if isinstance(item, str)]
                if plain:
                    found.append((plain[0], plain[1], tuple(plain[2::2])))
                for item in row:
                    expression = item.get("expression", "") if isinstance(item, dict) else ""
                    for space, dimension, metric in _SEARCH.findall(expression):
                        found.append((space, metric, (dimension,)))
                    if "SEARCH(" in expression and not _SEARCH.search(expression):
                        problems.append(f"{name}: unreadable SEARCH {expression!r}")
    return problems, found


def _metrics_namespace(template: Template) -> Any:
    values = [variables.get("METRICS_NAMESPACE") for _, variables in _function_variables(template)]
    return values[0] if values and all(v == values[0] for v in values) else None


def emitted_metrics_only(template: Template) -> list[str]:
    """Alarms and dashboards read the app's namespace (the functions' METRICS_NAMESPACE)
    only for metrics apps/common/metrics.py emits, with one of its dimension sets: a
    misspelt name or dimension would graph nothing and alarm never."""
    allowed = {
        (metric, tuple(sorted(dimensions)))
        for group in EMITTED_GROUPS
        for metric, _unit in group.metrics
        for dimensions in group.dimension_sets
    }
    namespace = _metrics_namespace(template)
    problems, shown = _dashboard_metrics(template)
    if namespace is None:
        problems.append("the functions do not share one METRICS_NAMESPACE")
    for name, alarm in resources(template, "AWS::CloudWatch::Alarm").items():
        for m in _alarm_metrics(alarm):
            if m.get("Namespace") == namespace:
                dimensions = tuple(d.get("Name") for d in m.get("Dimensions") or [])
                shown.append((_NAMESPACE, str(m.get("MetricName")), dimensions))
            elif not str(m.get("Namespace")).startswith("AWS/"):
                problems.append(f"{name}: namespace {m.get('Namespace')!r} is not the app's")
    for space, metric, dimensions in shown:
        if space == _NAMESPACE and (metric, tuple(sorted(dimensions))) not in allowed:
            problems.append(f"{metric} by {list(dimensions)} is not a metric the app emits")
        elif space != _NAMESPACE and not space.startswith("AWS/"):
            problems.append(f"namespace {space!r} is neither AWS's nor the app's")
    return problems


RULES: dict[str, Rule] = {
    rule.__name__: rule
    for rule in (
        vpc_link_integration,
        claim_headers,
        lambda_routes,
        container_routes,
        jwt_and_cors,
        handlers,
        s3_events,
        internal_alb,
        target_type_ip,
        security_group_chain,
        function_timeouts,
        iam_scoped,
        bucket_public_access_block,
        tls_only,
        no_literal_secrets,
        proxy_tls,
        cache_tls,
        rds_db_connect_scoped,
        websocket_api,
        manage_connections_scoped,
        *rest_rules.RULES,
        functions_traced,
        access_log_ids,
        log_groups_retained,
        alarms_notify,
        alarm_coverage,
        emitted_metrics_only,
    )
}


def check(template: Template) -> dict[str, list[str]]:
    """Rule name -> violations, for the rules that do not hold."""
    results = {name: rule(template) for name, rule in RULES.items()}
    return {name: problems for name, problems in results.items() if problems}
