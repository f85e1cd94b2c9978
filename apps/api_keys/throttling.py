"""DRF throttle policy: the key's usage plan (token bucket + quota), metered per request."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import APIException, Throttled
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from apps.api_keys import conf
from apps.api_keys.counters import QUOTA, Admission, get_usage_store
from apps.api_keys.models import APIKey

# Attribute on the Django HttpRequest: the quota state for the X-RateLimit-* headers
# (apps.api_keys.middleware) and for GET /v1/usage.
ADMISSION_ATTR = "api_key_admission"


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
    """Admits a keyed request if its plan has a token and quota left, and counts it.

    Requests without a key (staff sessions, open views) are not metered. A refused
    request is not counted; it raises 429 with Retry-After in seconds.
    """

    def allow_request(self, request: Request, view: Any) -> bool:
        key = request.auth
        if not isinstance(key, APIKey):
            return True
        admission = get_usage_store().admit(key=key, now=conf.now())
        setattr(request._request, ADMISSION_ATTR, admission)
        if admission.admitted:
            return True
        raise self.exception_for(admission)

    @staticmethod
    def exception_for(admission: Admission) -> PlanRefusal:
        exception_class = LimitExceeded if admission.reason == QUOTA else TooManyRequests
        return exception_class(admission.retry_after)
