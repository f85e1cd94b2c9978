"""DRF authentication: the `x-api-key` header, and staff-only sessions for the browsable API."""

from __future__ import annotations

import logging
from typing import Any

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.request import Request

from apps.api_keys import conf
from apps.api_keys.authorizer import key_from_context
from apps.api_keys.models import APIKey
from apps.api_keys.selectors import KeyRejectedError, api_key_from_raw

logger = logging.getLogger(__name__)

HEADER = "x-api-key"
EVENT_KEY = "aws.event"  # set by lambda_runtime.adapter
META_KEY = "HTTP_X_API_KEY"


class APIKeyAuthentication(BaseAuthentication):
    """`x-api-key: <prefix>.<secret>` makes the key's owner `request.user`, the key `request.auth`.

    No header: None, so views that allow anyone stay open and the permission check
    answers the rest. Any unusable key: 403 {"message": "Forbidden"}, as API Gateway
    answers for a missing or invalid key; the reason goes to the access log with the
    prefix, never the key.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-key-source.html
    """

    def authenticate(self, request: Request) -> tuple[object, APIKey] | None:
        raw_key = request.META.get(META_KEY)
        if raw_key is None:
            return None
        try:
            # Kept keys are fine here: the usage-plan throttle's UPDATE re-checks them.
            key = api_key_from_raw(raw_key=raw_key, now=conf.now(), kept=True)
        except KeyRejectedError as rejected:
            # The request's one INFO line (the access log) carries the reason; here DEBUG only.
            logger.debug(
                "API key rejected", extra={"reason": rejected.reason, "keyPrefix": rejected.prefix}
            )
            request._request.api_key_rejected = rejected.reason  # type: ignore[attr-defined]
            if rejected.prefix:
                request._request.api_key_prefix = rejected.prefix  # type: ignore[attr-defined]
            raise exceptions.AuthenticationFailed() from None
        # Read by the access log (apps.common.middleware) on the Django request.
        request._request.api_key_prefix = key.prefix  # type: ignore[attr-defined]
        return key.owner, key

    def authenticate_header(self, request: Request) -> str | None:
        # None makes DRF answer 403 rather than 401, like API Gateway.
        return None


class AuthorizerKeyAuthentication(BaseAuthentication):
    """The key the Lambda authorizer checked: read from `requestContext.authorizer.lambda`.

    Only the Lambda event can carry it (the adapter puts the event in the WSGI environ as
    `aws.event`; no header reaches there), so no client can claim a key this way. No
    such context: None, and APIKeyAuthentication checks the header as usual.
    """

    def authenticate(self, request: Request) -> tuple[object, APIKey] | None:
        django_request = request._request
        key = key_from_context(authorizer_context(django_request.META.get(EVENT_KEY)))
        if key is None:
            return None
        django_request.api_key_prefix = key.prefix  # type: ignore[attr-defined]
        return key.owner, key

    def authenticate_header(self, request: Request) -> str | None:
        return None


def authorizer_context(event: Any) -> Any:
    """`requestContext.authorizer.lambda` of a Lambda event, if any."""
    if not isinstance(event, dict):
        return None
    authorizer = (event.get("requestContext") or {}).get("authorizer")
    return authorizer.get("lambda") if isinstance(authorizer, dict) else None


class StaffSessionAuthentication(SessionAuthentication):
    """Django's session login, for staff only (the browsable API); others need a key."""

    def authenticate(self, request: Request) -> tuple[object, None] | None:
        result = super().authenticate(request)  # also enforces CSRF for unsafe methods
        if result is None or not getattr(result[0], "is_staff", False):
            return None
        return result
