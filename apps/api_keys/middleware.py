"""X-RateLimit-* headers on every response to a keyed request, whatever its status."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from apps.api_keys import conf
from apps.api_keys.counters import Admission
from apps.api_keys.periods import seconds_until
from apps.api_keys.throttling import ADMISSION_ATTR

UNLIMITED = "unlimited"


def rate_limit_headers(admission: Admission) -> dict[str, str]:
    """The quota after this request: limit, remaining, and seconds until it resets.

    An unlimited plan has no number to give: Limit and Remaining say "unlimited", and
    Reset still counts down to the end of the plan's period.
    """
    limit = UNLIMITED if admission.limit is None else str(admission.limit)
    remaining = UNLIMITED if admission.remaining is None else str(admission.remaining)
    return {
        "X-RateLimit-Limit": limit,
        "X-RateLimit-Remaining": remaining,
        "X-RateLimit-Reset": str(seconds_until(admission.resets_at, conf.now())),
    }


class RateLimitHeadersMiddleware:
    """Adds the headers the throttle left on the request: 2xx, 4xx, 429 and 5xx alike.

    DRF views have no hook that sees every response without changing each view; the
    throttle records the request's admission and this copies it onto the response.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        admission: Admission | None = getattr(request, ADMISSION_ATTR, None)
        if admission is not None:
            for name, value in rate_limit_headers(admission).items():
                response[name] = value
        return response
