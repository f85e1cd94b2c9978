"""Project-level views: the health check (and its deep variant for operators); the OpenAPI
document and its docs page, whose generator loads with the first request for them."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.db import Error as DatabaseError
from django.db import connection
from django.http import HttpRequest, HttpResponseBase
from django.utils.module_loading import import_string
from django.views.decorators.csrf import csrf_exempt
from rest_framework.exceptions import APIException
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.common.deadlines import deadline
from apps.common.errors import RETRY_AFTER_UNAVAILABLE

logger = logging.getLogger(__name__)


# The health check's own deadline on the database round trip: a load balancer (and the
# issue's requirement) wants an answer within 5 s, and connecting is bounded by
# DATABASE_CONNECT_TIMEOUT (3 s) already.
HEALTH_DEADLINE_SECONDS = 3.0


class ServiceUnavailable(APIException):
    status_code = 503
    default_detail = "Service Unavailable"
    default_code = "service_unavailable"
    wait = RETRY_AFTER_UNAVAILABLE  # Retry-After (apps.common.errors.exception_handler)


# Exactly the documented values: anything else (another case, empty) is a 400, as the schema says.
DEEP_VALUES = {"1": True, "true": True, "0": False, "false": False}


class HealthView(APIView):
    """`GET /health`: ok after a real database round trip; 503 when the database is down.

    `?deep=1` checks every dependency instead (apps.common.health), with timings.
    """

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = ()
    # JSON whatever the prober accepts: the ALB sample's browser-like Accept got an HTML page.
    renderer_classes = (JSONRenderer,)

    def get(self, request: Request) -> Response:
        deep = DEEP_VALUES.get(request.query_params.get("deep", "0"))
        if deep is None:
            return Response({"message": "deep must be 1, 0, true or false."}, status=400)
        if deep:
            return self.deep()
        try:
            with deadline(HEALTH_DEADLINE_SECONDS), connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except DatabaseError:
            logger.exception("Health check failed: database unreachable")
            raise ServiceUnavailable() from None
        return Response({"status": "ok"})

    @staticmethod
    def deep() -> Response:
        # The dependency checks load with the first deep check, not with the URLconf.
        from apps.common import health

        report = health.deep_health()
        if report.ok:
            return Response(report.as_dict())
        # The error shape's message too, so a client reading only that still understands.
        body = {"message": ServiceUnavailable.default_detail, **report.as_dict()}
        retry = {"Retry-After": str(RETRY_AFTER_UNAVAILABLE)}
        return Response(body, status=503, headers=retry)


def lazy_view(view_class: str, **initkwargs: Any) -> Callable[..., HttpResponseBase]:
    """`import_string(view_class).as_view(**initkwargs)`, imported by the first request it
    serves. drf-spectacular's views import its whole generator (and, through DRF's test
    client, django.test and unittest): the URLconf loads at a Lambda's init, and the first
    API request should not pay for the OpenAPI document."""

    @functools.cache
    def load() -> Callable[..., HttpResponseBase]:
        return import_string(view_class).as_view(**initkwargs)  # type: ignore[no-any-return]

    @csrf_exempt  # as the DRF view it stands for is
    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return load()(request, *args, **kwargs)

    return view
