"""What the local gateway serves of a REST API: methods, validators, mocks, gateway responses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# REST API limits (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html)
REST_MAX_TIMEOUT_MS = 29_000
REST_MAX_PAYLOAD_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class IntegrationResponse:
    """A MOCK integration response: chosen by `pattern` (a regex on the status; None: default)."""

    status: int
    pattern: str | None = None
    # (header name, value expression): `'literal'`, `method.request.header.X`, ...
    headers: tuple[tuple[str, str], ...] = ()
    template: str = ""


@dataclass(frozen=True)
class MockIntegration:
    """`type: mock`: the request template says the status, a response maps it to HTTP."""

    request_template: str = '{"statusCode": 200}'
    responses: tuple[IntegrationResponse, ...] = ()


@dataclass(frozen=True)
class RestMethod:
    """One method on one resource: `GET /v1/{proxy+}`, `ANY /{proxy+}`, `OPTIONS /v1/pets`."""

    path: str  # the resource path, as in requestContext.resourcePath
    method: str  # GET, POST, ..., or ANY
    integration: str  # "lambda" or "mock"
    handler: str = ""
    function_timeout_ms: int = 3_000
    integration_timeout_ms: int = REST_MAX_TIMEOUT_MS
    mock: MockIntegration | None = None
    api_key_required: bool = False
    validate_body: bool = False
    validate_parameters: bool = False
    # ("querystring" | "header" | "path", name) that must be present and not blank.
    required_parameters: tuple[tuple[str, str], ...] = ()
    # Media type ("application/json", or "$default") -> JSON schema (draft 4) of the body.
    body_schemas: dict[str, Any] = field(default_factory=dict)
    # OpenAPI's `requestBody.required`: false lets an empty body through unvalidated.
    body_required: bool = True
    # The integration's `cacheKeyParameters` (`method.request.header.Host`, ...): what the
    # stage cache keys its entries on, besides the method; others share an entry.
    cache_key_parameters: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class MethodSetting:
    """A stage's `MethodSettings` entry; None fields inherit from `/*` `*`, then defaults."""

    path: str = "/*"  # the resource path (`~1` decoded), or /* for every method
    method: str = "*"
    throttle_rate: float | None = None
    throttle_burst: int | None = None
    caching: bool | None = None  # default: GET methods, when the stage has a cache
    cache_ttl: int | None = None  # default 300 s
    # Whether `Cache-Control: max-age=0` needs IAM authorization: without it any client
    # may invalidate an entry; locally, with it, nobody can (no IAM here).
    cache_control_needs_authorization: bool | None = None


@dataclass(frozen=True)
class GatewayResponse:
    """A gateway response the template customises; None fields keep the type's default."""

    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    template: str | None = None


@dataclass(frozen=True)
class RestSpec:
    """The emulated REST API and its stage."""

    name: str
    stage: str
    methods: tuple[RestMethod, ...]
    binary_media_types: tuple[str, ...] = ()
    gateway_responses: dict[str, GatewayResponse] = field(default_factory=dict)
    api_key_source: str = "HEADER"
    access_log_format: str | None = None
    stage_variables: dict[str, str] = field(default_factory=dict)
    method_settings: tuple[MethodSetting, ...] = ()
    cache_cluster: bool = False  # CacheClusterEnabled: the stage has a response cache

    def setting(self, method: RestMethod) -> MethodSetting:
        """The method's settings: its own entry over the stage-wide `/*` `*` one."""
        merged: dict[str, Any] = {}
        for candidate in sorted(self.method_settings, key=lambda s: s.path != "/*"):
            if candidate.path in ("/*", method.path) and candidate.method in ("*", method.method):
                merged |= {k: v for k, v in candidate.__dict__.items() if v is not None}
        return MethodSetting(**{**merged, "path": method.path, "method": method.method})
