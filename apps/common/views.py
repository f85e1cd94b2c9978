"""Project-level views: the health check."""

from __future__ import annotations

import logging

from django.db import Error as DatabaseError
from django.db import connection
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import APIException
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.common.deadlines import deadline
from apps.common.errors import RETRY_AFTER_UNAVAILABLE
from apps.common.schema import ErrorSerializer

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


class HealthView(APIView):
    """`GET /health`: ok after a real database round trip; 503 when the database is down."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = ()
    # JSON whatever the prober accepts: the ALB sample's browser-like Accept got an HTML page.
    renderer_classes = (JSONRenderer,)

    @extend_schema(
        operation_id="getHealth",
        tags=["health"],
        summary="Health check",
        description="No authentication. Answers after a real database round trip.",
        responses={
            200: inline_serializer("Health", {"status": serializers.CharField()}),
            503: OpenApiResponse(ErrorSerializer, "The database is unreachable."),
        },
    )
    def get(self, request: Request) -> Response:
        try:
            with deadline(HEALTH_DEADLINE_SECONDS), connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except DatabaseError:
            logger.exception("Health check failed: database unreachable")
            raise ServiceUnavailable() from None
        return Response({"status": "ok"})
