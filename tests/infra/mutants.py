"""Deliberately broken copies of infra/template.yaml, each with the stage that must catch it.

A mutant replaces one exact snippet of the template (`old`, which must occur, at occurrence
`nth`) with `new`. `stage` is the first pipeline stage that must fail; `rule`, for mutants the
project rules must catch, is the rule that must report it even when an earlier stage already
failed. Add a row here for every new rule, so each rule is proved able to fail.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.infra.pipeline import (
    CFN_LINT_SOURCE,
    CFN_LINT_TRANSFORMED,
    CHECKOV,
    RULES,
    SAM_TRANSFORM,
)


@dataclass(frozen=True)
class Mutant:
    name: str
    old: str
    new: str
    stage: str
    rule: str | None = None
    nth: int = 1

    def apply(self, text: str) -> str:
        parts = text.split(self.old)
        if len(parts) <= self.nth:
            raise AssertionError(f"{self.name}: {self.old!r} occurs fewer than {self.nth} times")
        return self.old.join(parts[: self.nth]) + self.new + self.old.join(parts[self.nth :])


LITERAL_PASSWORD = "MasterUserPassword: Sup3r-Secret-Literal"
MUTANTS = [
    # The "bad input" list.
    Mutant(
        "typo in a property",
        "IntegrationUri: !Ref Listener",
        "IntegrationUrl: !Ref Listener",
        CFN_LINT_SOURCE,
    ),
    Mutant("wrong Ref", "ConnectionId: !Ref VpcLink", "ConnectionId: !Ref VpcLnk", CFN_LINT_SOURCE),
    Mutant(
        "timeout over the API's limit",
        "    Timeout: 25\n",
        "    Timeout: 45\n",
        RULES,
        "function_timeouts",
    ),
    Mutant(
        "bucket without public-access block",
        "      PublicAccessBlockConfiguration:\n        BlockPublicAcls: true\n"
        "        BlockPublicPolicy: true\n        IgnorePublicAcls: true\n"
        "        RestrictPublicBuckets: true\n",
        "",
        RULES,
        "bucket_public_access_block",
    ),
    # cfn-lint's W2501 knows password properties; the project rule must catch it too.
    Mutant(
        "literal password",
        "MasterUserPassword: !Sub "
        '"{{resolve:secretsmanager:${DatabaseSecret}:SecretString:password}}"',
        LITERAL_PASSWORD,
        CFN_LINT_SOURCE,
        "no_literal_secrets",
    ),
    # The semantic mistakes only the project rules see (infra-validation.md).
    Mutant(
        "VPCLINK enum",
        "ConnectionType: VPC_LINK",
        "ConnectionType: VPCLINK",
        RULES,
        "vpc_link_integration",
    ),
    Mutant(
        "route target as a Ref",
        "Target: !Sub integrations/${ContainerIntegration}",
        "Target: !Ref ContainerIntegration",
        RULES,
        "container_routes",
    ),
    Mutant(
        "HTTP_PROXY with payload 2.0",
        'PayloadFormatVersion: "1.0"',
        'PayloadFormatVersion: "2.0"',
        RULES,
        "vpc_link_integration",
    ),
    Mutant(
        "target type instance", "TargetType: ip", "TargetType: instance", RULES, "target_type_ip"
    ),
    Mutant(
        "internet-facing ALB", "Scheme: internal", "Scheme: internet-facing", RULES, "internal_alb"
    ),
    Mutant(
        "S3 event typo",
        "Events: s3:ObjectCreated:*",
        "Events: s3:ObjectCreate:*",
        RULES,
        "s3_events",
    ),
    Mutant(
        "stage left in the path",
        "        overwrite:path: $request.path\n",
        "",
        RULES,
        "vpc_link_integration",
    ),
    Mutant("upload prefix mismatch", "Value: uploads/", "Value: incoming/", RULES, "s3_events"),
    Mutant(
        "route key typo",
        "RouteKey: GET /v1/{proxy+}",
        "RouteKey: GETS /v1/{proxy+}",
        RULES,
        "container_routes",
    ),
    Mutant(
        "Lambda route lost",
        "        ApiDocs:\n          Type: HttpApi\n"
        "          Properties: {ApiId: !Ref HttpApi, Method: GET, Path: /v1/docs}\n",
        "",
        RULES,
        "lambda_routes",
    ),
    Mutant(
        "JWT missing on a /v1 route",
        "            get:\n"
        "              security: !If [JwtEnabled, [{JwtAuth: [pets/read, pets/write]}], "
        "!If [KeyAuthorizerEnabled, [{KeyAuth: []}], !Ref AWS::NoValue]]\n",
        "            get: {}\n",
        RULES,
        "jwt_and_cors",
    ),
    Mutant(
        "a write route asks only for the read scope",
        "            post:\n              security: !If [JwtEnabled, [{JwtAuth: [pets/write]}]",
        "            post:\n              security: !If [JwtEnabled, [{JwtAuth: [pets/read]}]",
        RULES,
        "jwt_and_cors",
    ),
    Mutant(
        "key authorizer cached per Authorization header, not per key",
        "                    identitySource: $request.header.x-api-key\n",
        "                    identitySource: $request.header.Authorization\n",
        RULES,
        "jwt_and_cors",
    ),
    Mutant(
        "container route without scopes",
        "      AuthorizationScopes: !If [ContainerJwt, [pets/write], !Ref AWS::NoValue]\n",
        "",
        RULES,
        "jwt_and_cors",
    ),
    Mutant(
        "a client's claim header passes to the container",
        "        remove:header.x-gateway-jwt-sub: \"''\"\n",
        "",
        RULES,
        "claim_headers",
    ),
    Mutant(
        "a claim header mapped from the client's header",
        "overwrite:header.x-gateway-jwt-scope: $context.authorizer.claims.scope",
        "overwrite:header.x-gateway-jwt-scope: $request.header.x-gateway-jwt-scope",
        RULES,
        "claim_headers",
    ),
    Mutant(
        "CORS origins hard-coded",
        'AllowOrigins: !Split [",", !Ref CorsAllowedOrigins]',
        'AllowOrigins: ["*"]',
        RULES,
        "jwt_and_cors",
    ),
    Mutant(
        "wrong handler",
        "Handler: lambda_runtime.handler.process_photos",
        "Handler: lambda_runtime.handler.photos",
        RULES,
        "handlers",
    ),
    Mutant(
        "ALB open to the VPC",
        "          SourceSecurityGroupId: !Ref VpcLinkSecurityGroup",
        "          CidrIp: 10.0.0.0/8",
        RULES,
        "security_group_chain",
    ),
    Mutant(
        "unscoped IAM statement",
        "                Action: sqs:SendMessage\n"
        "                Resource: !GetAtt PhotoFailuresQueue.Arn",
        '                Action: sqs:SendMessage\n                Resource: "*"',
        RULES,
        "iam_scoped",
    ),
    Mutant(
        "TLS-only policy inverted",
        'aws:SecureTransport: "false"',
        'aws:SecureTransport: "true"',
        RULES,
        "tls_only",
    ),
    Mutant(
        "secret key in the environment",
        "DJANGO_SECRET_KEY_SECRET_ARN: !Ref DjangoSecretKey",
        "DJANGO_SECRET_KEY: not-really-secret-at-all",
        RULES,
        "no_literal_secrets",
    ),
    # cfn-lint's E1051 refuses dynamic references in environments; the rule agrees.
    Mutant(
        "secret resolved into the environment",
        "DATABASE_SECRET_ARN: !If [DatabaseProxyEnabled, !Ref AWS::NoValue, !Ref DatabaseSecret]",
        'DATABASE_PASSWORD: "{{resolve:secretsmanager:db:SecretString:password}}"',
        CFN_LINT_SOURCE,
        "no_literal_secrets",
    ),
    # Scale (issue 19): TLS on the proxy and the cache, least-privilege rds-db:connect.
    Mutant("proxy without TLS", "RequireTLS: true", "RequireTLS: false", RULES, "proxy_tls"),
    Mutant("proxy accepts passwords", "IAMAuth: REQUIRED", "IAMAuth: DISABLED", RULES, "proxy_tls"),
    Mutant(
        "functions reach the proxy without TLS",
        "${DatabaseProxy.Endpoint}:5432/${DatabaseName}?sslmode=require",
        "${DatabaseProxy.Endpoint}:5432/${DatabaseName}",
        RULES,
        "proxy_tls",
    ),
    Mutant(
        "functions bypass the proxy",
        "DATABASE_POOLER: !If [DatabaseProxyEnabled, proxy, none]",
        "DATABASE_POOLER: none",
        RULES,
        "proxy_tls",
    ),
    Mutant(
        "counter cache without TLS",
        "- !Sub rediss://app@${CounterCache.Endpoint.Address}",
        "- !Sub redis://app@${CounterCache.Endpoint.Address}",
        RULES,
        "cache_tls",
    ),
    Mutant(
        "counter cache without AUTH",
        "      UserGroupId: !Ref CounterCacheUserGroup\n",
        "",
        RULES,
        "cache_tls",
    ),
    Mutant(
        "counter cache's default user left on",
        "AccessString: off -@all",
        "AccessString: on ~* +@all",
        RULES,
        "cache_tls",
    ),
    Mutant(
        "rds-db:connect as any database user",
        ":dbuser:${ProxyId}/${DatabaseUsername}",
        ":dbuser:${ProxyId}/*",
        RULES,
        "rds_db_connect_scoped",
    ),
    Mutant(
        "rds-db actions beyond connect",
        "Action: rds-db:connect",
        "Action: rds-db:*",
        RULES,
        "rds_db_connect_scoped",
    ),
    # What only the transform, or only cfn-lint after it, can see.
    Mutant(
        "event type in the wrong case",
        "          Type: HttpApi\n",
        "          Type: HttpAPI\n",
        SAM_TRANSFORM,
    ),
    # cfn-lint warns first (W2533); warnings fail the build too.
    Mutant(
        "handler removed",
        "      Handler: lambda_runtime.handler.manage\n",
        "",
        CFN_LINT_SOURCE,
    ),
    Mutant("runtime typo", "Runtime: python3.12", "Runtime: python3.21", CFN_LINT_TRANSFORMED),
    Mutant(
        "bucket Ref from a notified function (cycle)",
        "        AWS_STORAGE_BUCKET_NAME: !Sub ${AWS::StackName}-photos-${AWS::AccountId}",
        "        AWS_STORAGE_BUCKET_NAME: !Ref PhotosBucket",
        CFN_LINT_TRANSFORMED,
    ),
    # The WebSocket API (docs/realtime.md).
    Mutant(
        "WebSocket routes chosen by a header",
        "RouteSelectionExpression: $request.body.action",
        "RouteSelectionExpression: $request.header.action",
        RULES,
        "websocket_api",
    ),
    Mutant(
        "WebSocket deployment that may deploy before its routes",
        "      - WebSocketSubscribeRoute\n      - WebSocketDefaultRouteResponse\n",
        "      - WebSocketDefaultRouteResponse\n",
        RULES,
        "websocket_api",
    ),
    Mutant(
        "a two-way route that answers nothing",
        "      RouteId: !Ref WebSocketPingRoute\n",
        "      RouteId: !Ref WebSocketDefaultRoute\n",
        RULES,
        "websocket_api",
    ),
    Mutant(
        "WebSocket stage without throttling",
        "      DeploymentId: !Ref WebSocketDeployment\n"
        "      # Every message and connection attempt; the app meters each key's plan as well.\n"
        "      DefaultRouteSettings:\n"
        "        ThrottlingRateLimit: !Ref ThrottlingRateLimit\n"
        "        ThrottlingBurstLimit: !Ref ThrottlingBurstLimit\n",
        "      DeploymentId: !Ref WebSocketDeployment\n",
        RULES,
        "websocket_api",
    ),
    Mutant(
        "realtime function invocable from any API",
        "SourceArn: !Sub arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:"
        "${WebSocketApi}/*",
        "SourceArn: !Sub arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:*/*",
        RULES,
        "websocket_api",
    ),
    Mutant(
        "ManageConnections on every API",
        "${AWS::AccountId}:${WebSocketApi}/${Stage}/POST/@connections/*",
        "${AWS::AccountId}:*/*/POST/@connections/*",
        RULES,
        "manage_connections_scoped",
    ),
    Mutant(
        "a function that never pushes may manage connections",
        "        - PolicyName: manage\n          PolicyDocument:\n"
        '            Version: "2012-10-17"\n            Statement:\n',
        "        - PolicyName: manage\n          PolicyDocument:\n"
        '            Version: "2012-10-17"\n            Statement:\n'
        "              - Sid: Extra\n"
        "                Effect: Allow\n"
        "                Action: execute-api:ManageConnections\n"
        "                Resource: !Sub arn:${AWS::Partition}:execute-api:${AWS::Region}:"
        "${AWS::AccountId}:${WebSocketApi}/${Stage}/POST/@connections/*\n",
        RULES,
        "manage_connections_scoped",
    ),
    # The REST API front door (tests/infra/rest_rules.py).
    Mutant(
        "a metered REST route without the API key",
        "                - {Ref: 'AWS::NoValue'}\n                - - api_key: []\n",
        "                - {Ref: 'AWS::NoValue'}\n                - {Ref: 'AWS::NoValue'}\n",
        RULES,
        "rest_api_routes",
    ),
    Mutant(
        "REST integrations naming no alias",
        "      Variables:\n        functionAlias: live\n",
        "      Variables:\n        functionAlias: latest\n",
        RULES,
        "rest_api_routes",
    ),
    Mutant(
        "maintenance answering 200",
        "                      statusCode: '503'\n",
        "                      statusCode: '200'\n",
        RULES,
        "rest_api_routes",
    ),
    Mutant(
        "private REST API open to the VPC, not the endpoint",
        "aws:SourceVpce: !Ref RestVpcEndpointId",
        "aws:SourceVpc: !Ref RestVpcEndpointId",
        RULES,
        "rest_private_endpoint",
    ),
    Mutant(
        "caching on every REST method",
        "          MetricsEnabled: true\n          CachingEnabled: false\n",
        "          MetricsEnabled: true\n          CachingEnabled: true\n",
        RULES,
        "rest_caching_public_only",
    ),
    Mutant(
        "caching on owner routes",
        "        - ResourcePath: /~1v1~1docs\n",
        "        - ResourcePath: /~1v1~1{proxy+}\n",
        RULES,
        "rest_caching_public_only",
    ),
    Mutant(
        "a gateway response in HTML",
        """              application/json: '{"message": "Limit Exceeded"}'""",
        """              text/html: '<h1>Limit Exceeded</h1>'""",
        RULES,
        "rest_gateway_responses",
    ),
    Mutant(
        "throttling answered 503",
        "          THROTTLED:\n            statusCode: 429\n",
        "          THROTTLED:\n            statusCode: 503\n",
        RULES,
        "rest_gateway_responses",
    ),
    Mutant(
        "a preflight allowing any origin",
        '#set($allowed = ",${CorsAllowedOrigins},")',
        '#set($allowed = ",${CorsAllowedOrigins},*,")',
        RULES,
        "rest_preflight",
    ),
    Mutant(
        "REST access logs kept forever",
        "      LogGroupName: !Sub /aws/apigateway/${AWS::StackName}-rest-access\n"
        "      RetentionInDays: !Ref LogRetentionDays\n",
        "      LogGroupName: !Sub /aws/apigateway/${AWS::StackName}-rest-access\n",
        RULES,
        "rest_stage_logs_and_throttle",
    ),
    Mutant(
        "an access-log variable left unquoted (lines that are not JSON)",
        '"resourcePath":"$context.resourcePath"',
        '"resourcePath":$context.resourcePath',
        RULES,
        "rest_stage_logs_and_throttle",
    ),
    Mutant(
        "the usage-plan sync may change every REST API",
        "              - !Sub arn:${AWS::Partition}:apigateway:${AWS::Region}::/apikeys/*\n",
        "              - !Sub arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/*\n",
        RULES,
        "gateway_sync_scoped",
    ),
    Mutant(
        "anyone's cached data may be invalidated",
        "${RestApi}/${Stage}/GET/v1/docs",
        "${RestApi}/${Stage}/GET/v1/*",
        RULES,
        "rest_cache_invalidation",
    ),
    # Observability (issue 18, docs/observability.md).
    Mutant(
        "functions without active tracing",
        "    Tracing: Active\n",
        "",
        RULES,
        "functions_traced",
    ),
    Mutant(
        "a role that cannot send its function's traces",
        "              - Sid: WriteTraces\n"
        "                Effect: Allow\n"
        "                Action: [xray:PutTraceSegments, xray:PutTelemetryRecords]\n"
        '                Resource: "*"\n',
        "",
        RULES,
        "functions_traced",
        nth=2,
    ),
    Mutant(
        "access log without the invocation's request id",
        '"integrationRequestId":"$context.integration.requestId",',
        "",
        RULES,
        "access_log_ids",
    ),
    Mutant(
        "a REST stage that does not trace",
        "      TracingEnabled: true\n",
        "",
        RULES,
        "access_log_ids",
    ),
    Mutant(
        "a log group kept forever",
        "      RetentionInDays: !Ref LogRetentionDays\n",
        "",
        RULES,
        "log_groups_retained",
    ),
    Mutant(
        "a function whose log group Lambda creates (no retention)",
        "      LoggingConfig:\n        LogGroup: !Ref ManageFunctionLogGroup\n",
        "",
        RULES,
        "log_groups_retained",
    ),
    Mutant(
        "an alarm that tells nobody",
        "      AlarmActions: [!Ref AlarmTopic]\n",
        "",
        RULES,
        "alarms_notify",
        nth=3,
    ),
    Mutant(
        "a function's throttles left unwatched (copy-paste)",
        "              MetricName: Throttles\n              Dimensions:\n"
        "                - {Name: FunctionName, Value: !Ref ManageFunction}",
        "              MetricName: Throttles\n              Dimensions:\n"
        "                - {Name: FunctionName, Value: !Ref PhotoFunction}",
        RULES,
        "alarm_coverage",
    ),
    Mutant(
        "dead letters counted in flight instead of waiting",
        "      MetricName: ApproximateNumberOfMessagesVisible\n",
        "      MetricName: ApproximateNumberOfMessagesNotVisible\n",
        RULES,
        "alarm_coverage",
    ),
    Mutant(
        "a dashboard metric the app never emits",
        '"Errors5xx",{"id":"e5"',
        '"Errors5XX",{"id":"e5"',
        RULES,
        "emitted_metrics_only",
    ),
    Mutant(
        "a per-plan search for a metric name the app does not write",
        'MetricName=\\"Throttled\\"',
        'MetricName=\\"Throttles\\"',
        RULES,
        "emitted_metrics_only",
    ),
    Mutant(
        "an alarm on a dimension the app never writes",
        "                - {Name: Outcome, Value: failed}",
        "                - {Name: Result, Value: failed}",
        RULES,
        "emitted_metrics_only",
    ),
    Mutant(
        "a dashboard reading another namespace than the functions write",
        "        - Namespace: !Ref AWS::StackName\n",
        "        - Namespace: PetsApi\n",
        RULES,
        "emitted_metrics_only",
    ),
    # Posture only checkov judges.
    Mutant("database not encrypted", "StorageEncrypted: true", "StorageEncrypted: false", CHECKOV),
]
