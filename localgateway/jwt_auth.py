"""The JWT authorizer, emulated: the checks API Gateway makes before a route's integration.

Signature against the issuer's JWKS (RSA only), `kid`, `iss`, `aud` (else `client_id`),
`exp`, `nbf`, `iat`, and the route's scopes. A failure is API Gateway's
`401 {"message":"Unauthorized"}` with a `www-authenticate` header, a missing scope its
`403 {"message":"Forbidden"}`. Claims pass on as strings, as in
`requestContext.authorizer.jwt.claims`.
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
from jwt.exceptions import InvalidSignatureError, PyJWKError, PyJWTError

from localgateway import local_issuer
from localgateway.authorizers import JwtAuthorizer

RSA_ALGORITHMS = frozenset({"RS256", "RS384", "RS512"})
# API Gateway's limits for fetching OIDC discovery and the JWKS.
FETCH_TIMEOUT_S = 1.5
# An unknown `kid` makes the keys be fetched again, at most this often per issuer.
REFETCH_AFTER_S = 10.0

Fetch = Callable[[str], dict[str, Any]]


@dataclass(frozen=True)
class Verdict:
    """Allowed (claims for the event) or refused (status, message, www-authenticate)."""

    status: int = 200
    message: str = ""
    www_authenticate: str | None = None
    claims: dict[str, str] | None = None
    scopes: list[str] | None = None

    @property
    def allowed(self) -> bool:
        return self.status == 200


def _unauthorized(description: str) -> Verdict:
    header = f'Bearer scope="" error="invalid_token" error_description="{description}"'
    return Verdict(401, "Unauthorized", header)


def http_fetch(url: str) -> dict[str, Any]:
    response = httpx.get(url, timeout=FETCH_TIMEOUT_S, follow_redirects=False)
    response.raise_for_status()
    document = response.json()
    if not isinstance(document, dict):
        raise ValueError(f"{url} did not return a JSON object")
    return document


class KeySets:
    """Each issuer's JWKS: the local issuer's read from its key directory, any other's found
    through OIDC discovery (`<issuer>/.well-known/openid-configuration`) and cached."""

    def __init__(
        self,
        *,
        local_issuer_url: str | None = None,
        local_keys: Path | None = None,
        fetch: Fetch = http_fetch,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.local_issuer_url = local_issuer_url
        self.local_keys = local_keys
        self.fetch = fetch
        self.clock = clock
        self._cache: dict[str, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def key(self, issuer: str, kid: str) -> Any | None:
        """The public key for `kid`, fetching the set again once if `kid` is new."""
        for refresh in (False, True):
            keys = self._keys(issuer, refresh=refresh)
            for document in keys.get("keys", []):
                if isinstance(document, dict) and document.get("kid") == kid:
                    try:
                        return jwt.PyJWK.from_dict(document).key
                    except PyJWKError:
                        return None
        return None

    def _keys(self, issuer: str, *, refresh: bool) -> dict[str, Any]:
        if issuer == self.local_issuer_url and self.local_keys is not None:
            return local_issuer.jwks(self.local_keys)  # always current: rotation shows at once
        with self._lock:
            cached = self._cache.get(issuer)
            fresh = cached is not None and self.clock() - cached[0] < REFETCH_AFTER_S
            if cached is not None and (not refresh or fresh):
                return cached[1]
        discovery = self.fetch(issuer.rstrip("/") + "/.well-known/openid-configuration")
        keys = self.fetch(str(discovery["jwks_uri"]))
        with self._lock:
            self._cache[issuer] = (self.clock(), keys)
        return keys


def token_from(headers: dict[str, str], source: str) -> str | None:
    """The token in the identity source header, with or without `Bearer `."""
    name = source.removeprefix("$request.header.").lower()
    value = headers.get(name, "").strip()
    if value[:7].lower() == "bearer ":
        value = value[7:].strip()
    return value or None


def verify(
    token: str,
    authorizer: JwtAuthorizer,
    route_scopes: tuple[str, ...],
    keys: KeySets,
    *,
    now: float,
) -> Verdict:
    """API Gateway's checks, in its order; `now` in epoch seconds."""
    try:
        header = jwt.get_unverified_header(token)
    except PyJWTError:
        return _unauthorized("the token is not a valid JWT")
    if header.get("alg") not in RSA_ALGORITHMS:
        return _unauthorized("the token's signing algorithm is not supported")
    try:
        public_key = keys.key(authorizer.issuer, str(header.get("kid", "")))
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        return _unauthorized(f"the issuer's keys could not be fetched: {type(exc).__name__}")
    if public_key is None:
        return _unauthorized("the token's kid does not match a key of the issuer")
    try:
        claims = jwt.decode(
            token,
            public_key,
            algorithms=[str(header["alg"])],
            # Times and audience are checked below, against the injected clock.
            options={
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
                "verify_aud": False,
            },
        )
    except InvalidSignatureError:
        return _unauthorized("the token's signature is invalid")
    except PyJWTError:
        return _unauthorized("the token is not a valid JWT")
    refusal = _check_claims(claims, authorizer, now)
    if refusal is not None:
        return refusal
    scopes = token_scopes(claims)
    if route_scopes and not set(route_scopes) & set(scopes):
        expected = " ".join(route_scopes)
        challenge = (
            f'Bearer scope="{expected}" error="insufficient_scope" '
            f'error_description="the token does not have the required scopes"'
        )
        return Verdict(403, "Forbidden", challenge)
    return Verdict(claims=string_claims(claims), scopes=scopes if route_scopes else None)


def _check_claims(claims: dict[str, Any], authorizer: JwtAuthorizer, now: float) -> Verdict | None:
    if claims.get("iss") != authorizer.issuer:
        return _unauthorized("the token does not have a valid issuer")
    audience = claims.get("aud")
    given: set[Any]
    if audience is not None:
        given = {audience} if isinstance(audience, str) else set(audience or [])
    else:
        given = {claims.get("client_id")}
    if not given & set(authorizer.audiences):
        return _unauthorized("the token does not have a valid audience")
    exp, nbf, iat = (_number(claims.get(name)) for name in ("exp", "nbf", "iat"))
    if exp is None or exp <= now:
        return _unauthorized("the token has expired")
    if "nbf" in claims and (nbf is None or nbf > now):
        return _unauthorized("the token is not valid yet")
    if "iat" in claims and (iat is None or iat > now):
        return _unauthorized("the token was issued in the future")
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def token_scopes(claims: dict[str, Any]) -> list[str]:
    """`scope` (space-separated) or `scp` (a list or a string)."""
    found: list[str] = []
    for name in ("scope", "scp"):
        value = claims.get(name)
        items = (
            value.split() if isinstance(value, str) else value if isinstance(value, list) else []
        )
        found += [str(item) for item in items if str(item) not in found]
    return found


def string_claims(claims: dict[str, Any]) -> dict[str, str]:
    """Claims as a Lambda receives them: strings; arrays as `[a b]` (observed on AWS)."""
    result = {}
    for name, value in claims.items():
        if isinstance(value, str):
            result[name] = value
        elif isinstance(value, bool):
            result[name] = "true" if value else "false"
        elif isinstance(value, list):
            result[name] = "[" + " ".join(str(v) for v in value) + "]"
        elif isinstance(value, dict):
            result[name] = json.dumps(value, separators=(",", ":"))
        else:
            result[name] = str(value)
    return result
