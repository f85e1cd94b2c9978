"""DRF authentication: the JWT that API Gateway verified, read from where only it writes.

On Lambda the claims come from the event's `requestContext` (the adapter puts the event in
the WSGI environ as `aws.event`); nothing a client sends can get there. Behind the VPC link
the claims come from headers that the template's parameter mapping overwrites, and only
where IDENTITY["GATEWAY_CLAIM_HEADERS"] says this process runs in that deployment.
Anywhere else a claim header is the client's and is ignored.
"""

from __future__ import annotations

import logging
from typing import Any, NamedTuple

from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from apps.api_keys.users import UserSubject, user_subject
from apps.identity import conf
from apps.identity.claims import TokenClaims, claims_from_event, claims_from_headers
from apps.identity.services import identity_user_get_or_create

logger = logging.getLogger(__name__)

EVENT_KEY = "aws.event"  # set by lambda_runtime.adapter


class TokenAuth(NamedTuple):
    """`request.auth` of a token user: the verified claims."""

    claims: TokenClaims
    user_id: int

    @property
    def scopes(self) -> frozenset[str]:
        return self.claims.scopes

    def usage_subject(self) -> UserSubject:
        """How the usage-plan throttle meters this user: like a key, on the user's plan."""
        return user_subject(
            user_id=self.user_id,
            identity={"issuer": self.claims.issuer, "subject": self.claims.subject},
        )


def gateway_claims(request: HttpRequest) -> TokenClaims | None:
    """The verified claims of this request, from the one place this deployment trusts."""
    meta = request.META
    if EVENT_KEY in meta:
        return claims_from_event(meta[EVENT_KEY])
    if conf.identity_settings().GATEWAY_CLAIM_HEADERS:
        return claims_from_headers(meta)
    return None


class GatewayJWTAuthentication(BaseAuthentication):
    """A token API Gateway accepted makes its linked user `request.user`.

    It runs before the API key: a request with both is the token's user (and the key is
    not looked at). No claims: None, and the next class (the key) decides. An issuer
    outside IDENTITY["ISSUERS"] or an inactive user: 403 {"message": "Forbidden"}.
    """

    def authenticate(self, request: Request) -> tuple[AbstractBaseUser, TokenAuth] | None:
        django_request = request._request
        claims = gateway_claims(django_request)
        if claims is None:
            return None
        issuers = conf.identity_settings().ISSUERS
        if issuers and claims.issuer not in issuers:
            logger.warning("Token from an issuer not configured", extra={"issuer": claims.issuer})
            raise exceptions.AuthenticationFailed()
        user = identity_user_get_or_create(
            issuer=claims.issuer, subject=claims.subject, email=claims.email
        )
        if not user.is_active:
            raise exceptions.AuthenticationFailed()
        # Read by the access log (apps.common.middleware).
        django_request.token_user_id = user.pk  # type: ignore[attr-defined]
        return user, TokenAuth(claims=claims, user_id=user.pk)

    def authenticate_header(self, request: Request) -> str | None:
        # None makes DRF answer 403 rather than 401, as for API keys.
        return None


def is_token_auth(auth: Any) -> bool:
    return isinstance(auth, TokenAuth)
