"""CORS as an HTTP API with a CORS configuration does it: the gateway answers preflights and
owns the CORS response headers (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html)."""

from __future__ import annotations

from localgateway.results import HttpResponse
from localgateway.spec import Cors


def origin_allowed(cors: Cors, origin: str) -> bool:
    for allowed in cors.allow_origins:
        if allowed == "*" or allowed == origin:
            return True
        # Scheme wildcards: "https://*" allows any https origin.
        if allowed.endswith("://*") and origin.startswith(allowed[:-1]):
            return True
    return False


def _allow_origin_value(cors: Cors, origin: str) -> str:
    return "*" if "*" in cors.allow_origins and not cors.allow_credentials else origin


def is_preflight(method: str, headers: dict[str, str]) -> bool:
    return (
        method == "OPTIONS" and "origin" in headers and "access-control-request-method" in headers
    )


def preflight(cors: Cors, headers: dict[str, str]) -> HttpResponse:
    """The gateway's own answer to a preflight; no route or integration is involved."""
    origin = headers["origin"]
    response = HttpResponse(204, [("vary", "Origin")])
    if not origin_allowed(cors, origin):
        return response
    requested = headers["access-control-request-method"].upper()
    if cors.allow_methods and "*" not in cors.allow_methods and requested not in cors.allow_methods:
        return response
    response.headers += [
        ("access-control-allow-origin", _allow_origin_value(cors, origin)),
        ("access-control-allow-methods", ",".join(cors.allow_methods) or requested),
    ]
    if cors.allow_headers:
        wanted = headers.get("access-control-request-headers", "")
        allowed = wanted if "*" in cors.allow_headers and wanted else ",".join(cors.allow_headers)
        response.headers.append(("access-control-allow-headers", allowed))
    if cors.max_age is not None:
        response.headers.append(("access-control-max-age", str(cors.max_age)))
    if cors.allow_credentials:
        response.headers.append(("access-control-allow-credentials", "true"))
    return response


def apply(cors: Cors, request_headers: dict[str, str], response: HttpResponse) -> HttpResponse:
    """Drop the backend's CORS headers and add the configured ones, as on AWS."""
    response.headers = [
        (n, v) for n, v in response.headers if not n.lower().startswith("access-control-")
    ]
    origin = request_headers.get("origin")
    if origin and origin_allowed(cors, origin):
        response.headers.append(("access-control-allow-origin", _allow_origin_value(cors, origin)))
        if cors.expose_headers:
            response.headers.append(
                ("access-control-expose-headers", ",".join(cors.expose_headers))
            )
        if cors.allow_credentials:
            response.headers.append(("access-control-allow-credentials", "true"))
        response.headers.append(("vary", "Origin"))
    return response
