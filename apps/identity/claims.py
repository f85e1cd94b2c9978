"""Token claims as API Gateway hands them over: in the Lambda event, or in mapped headers.

A JWT authorizer verifies the token (signature, issuer, audience, expiry, route scopes)
before the function runs and puts its claims in `requestContext.authorizer.jwt.claims`,
every value a string. Nothing here re-verifies a token: the claims are trusted because of
where they are, which a client cannot write to.
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NamedTuple

# Headers the container variant's parameter mapping overwrites with
# $context.authorizer.claims.<claim> (infra/template.yaml, ContainerJwtIntegration).
CLAIM_HEADERS = {
    "iss": "x-gateway-jwt-iss",
    "sub": "x-gateway-jwt-sub",
    "email": "x-gateway-jwt-email",
    "scope": "x-gateway-jwt-scope",
}
MAX_CLAIM_LENGTH = 255


class TokenClaims(NamedTuple):
    """What a verified token says about its bearer."""

    issuer: str
    subject: str
    email: str
    scopes: frozenset[str]


def _meta_name(header: str) -> str:
    return "HTTP_" + header.upper().replace("-", "_")


def claims_from_event(event: Any) -> TokenClaims | None:
    """The claims of a payload 2.0 (`authorizer.jwt.claims`) or 1.0 (`authorizer.claims`)
    event whose route has a JWT authorizer; None when there are none."""
    if not isinstance(event, Mapping):
        return None
    context = event.get("requestContext")
    authorizer = context.get("authorizer") if isinstance(context, Mapping) else None
    if not isinstance(authorizer, Mapping):
        return None
    jwt = authorizer.get("jwt")
    raw = jwt.get("claims") if isinstance(jwt, Mapping) else authorizer.get("claims")
    if not isinstance(raw, Mapping):
        return None
    scopes = jwt.get("scopes") if isinstance(jwt, Mapping) else None
    return _claims(raw, extra_scopes=scopes if isinstance(scopes, list) else [])


def claims_from_headers(meta: Mapping[str, Any]) -> TokenClaims | None:
    """The claims the parameter mapping wrote into the request's headers (WSGI environ)."""
    raw = {claim: _header_value(meta.get(_meta_name(h))) for claim, h in CLAIM_HEADERS.items()}
    return _claims({k: v for k, v in raw.items() if v is not None})


def _header_value(value: Any) -> str | None:
    """A mapped claim; JSON-quoted when API Gateway writes it as JSON text."""
    if not isinstance(value, str) or not value:
        return None
    if len(value) >= 2 and value[0] == value[-1] == '"':
        try:
            decoded = json.loads(value)
        except ValueError:
            return value
        return decoded if isinstance(decoded, str) else value
    return value


def _claims(raw: Mapping[str, Any], extra_scopes: list[Any] | None = None) -> TokenClaims | None:
    issuer, subject = raw.get("iss"), raw.get("sub")
    if not _usable(issuer) or not _usable(subject):
        return None
    email = raw.get("email")
    scopes = parse_scopes(raw.get("scope")) | parse_scopes(raw.get("scp"))
    scopes |= frozenset(s for s in (extra_scopes or []) if isinstance(s, str) and s)
    return TokenClaims(
        issuer=str(issuer),
        subject=str(subject),
        email=str(email) if _usable(email) else "",
        scopes=scopes,
    )


def _usable(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_CLAIM_LENGTH and value.isprintable()


def parse_scopes(value: Any) -> frozenset[str]:
    """`scope` ("a b", RFC 8693) or `scp` (a list, or API Gateway's "[a b]" rendering)."""
    if isinstance(value, list):
        return frozenset(str(v) for v in value if isinstance(v, str) and v)
    if not isinstance(value, str):
        return frozenset()
    text = value.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return frozenset(part for part in text.replace(",", " ").split() if part)
