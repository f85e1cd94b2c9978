"""DRF throttle policy: the key's usage plan (token bucket + quota), metered per request."""

from __future__ import annotations

import logging
from typing import Any

from rest_framework.exceptions import APIException, PermissionDenied, Throttled
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from apps.api_keys import conf
from apps.api_keys.authentication import APIKeyAuthentication
from apps.api_keys.counters import GONE, QUOTA, STALE, Admission, Metered, get_usage_store
from apps.api_keys.gateway.metering import metered_by_gateway
from apps.api_keys.lookup import api_key_read
from apps.api_keys.models import APIKey
from apps.api_keys.refusals import refusal_count
from apps.api_keys.users import NoPlanError

logger = logging.getLogger(__name__)

# Attribute on the Django HttpRequest: the quota state for the X-RateLimit-* headers
# (apps.api_keys.middleware) and for GET /v1/usage.
ADMISSION_ATTR = "api_key_admission"
# Attribute on the Django HttpRequest: what was metered (the key, or a token user).
METERED_ATTR = "usage_metered"


def metered(auth: Any) -> Metered | None:
    """What a request is metered as: its API key, or the subject its auth object names
    (a token user: apps.identity's TokenAuth.usage_subject()). None: not metered."""
    if isinstance(auth, APIKey):
        return auth
    subject = getattr(auth, "usage_subject", None)
    return subject() if callable(subject) else None


class PlanRefusal(Throttled):
    """A 429 whose message is exactly API Gateway's, with `wait` for Retry-After."""

    wait: int | None

    def __init__(self, wait: int | None = None) -> None:
        # Throttled.__init__ would append "Expected available in N seconds" to the message.
        APIException.__init__(self)
        self.wait = wait


class TooManyRequests(PlanRefusal):
    """The key's token bucket is empty (API Gateway's THROTTLED response)."""

    default_detail = "Too Many Requests"
    default_code = "throttled"


class LimitExceeded(PlanRefusal):
    """The key's quota for the period is used up (API Gateway's QUOTA_EXCEEDED response)."""

    default_detail = "Limit Exceeded"
    default_code = "limit_exceeded"


class UsagePlanThrottle(BaseThrottle):
    """Admits a keyed (or token) request if its plan has a token and quota left, and counts it.

    Requests without a key or token (staff sessions, open views) are not metered. A
    refused request is not counted; it raises 429 with Retry-After in seconds.
    """

    def allow_request(self, request: Request, view: Any) -> bool:
        try:
            key = metered(request.auth)
        except NoPlanError:
            logger.error("A token user has no usage plan", exc_info=True)
            raise PermissionDenied("Forbidden") from None
        if key is None:
            return True
        if isinstance(key, APIKey) and metered_by_gateway(request._request.META, key):
            # API Gateway's usage plan admitted and counted it already (REST front door).
            self._still_usable(request, key)
            return True
        now = conf.now()
        # A key from the x-api-key header may be one this process kept (apps.api_keys.lookup):
        # the UPDATE re-checks it, and STALE means it changed since it was read.
        recheck = isinstance(request.successful_authenticator, APIKeyAuthentication)
        admission = get_usage_store().admit(key=key, now=now, recheck=recheck)
        if admission.reason == STALE:
            key = self._authenticate_again(request)
            # Just read: metered as an uncached key always was (no re-check, no loop).
            admission = get_usage_store().admit(key=key, now=now)
        setattr(request._request, METERED_ATTR, key)
        if admission.reason == GONE:
            # A key deleted while a Lambda authorizer's answer for it is still cached.
            raise PermissionDenied("Forbidden")
        setattr(request._request, ADMISSION_ATTR, admission)
        if admission.admitted:
            return True
        # Per key (or token user) and day, for the admin's usage overview.
        kind = type(key.meter).bucket_kind
        refusal_count(key_id=key.pk, reason=admission.reason, now=now, kind=kind)
        raise self.exception_for(admission)

    @staticmethod
    def _still_usable(request: Request, key: APIKey) -> None:
        """No metering UPDATE re-checks a key this process kept (apps.api_keys.lookup): read
        it as stored now, so a revocation applies from the next request here too."""
        if not isinstance(request.successful_authenticator, APIKeyAuthentication):
            return
        stored = api_key_read(key.prefix)
        if stored is None or stored.pk != key.pk:
            reason: str | None = "unknown prefix"
        else:
            reason = stored.refusal_reason(conf.now())
        if reason:
            request._request.api_key_rejected = reason  # type: ignore[attr-defined]
            raise PermissionDenied("Forbidden")
        request.user, request.auth = stored.owner, stored  # type: ignore[union-attr]

    @staticmethod
    def _authenticate_again(request: Request) -> APIKey:
        """The key as stored now, or AuthenticationFailed (403) naming why in the access log."""
        authenticator = request.successful_authenticator
        result = authenticator.authenticate(request) if authenticator else None
        key = result[1] if result is not None else None
        if not isinstance(key, APIKey):  # cannot happen: the header is still there
            raise PermissionDenied("Forbidden")
        request.user, request.auth = key.owner, key
        return key

    @staticmethod
    def exception_for(admission: Admission) -> PlanRefusal:
        exception_class = LimitExceeded if admission.reason == QUOTA else TooManyRequests
        return exception_class(admission.retry_after)
