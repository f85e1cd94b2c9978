"""HTTP wiring for GET /v1/usage."""

from __future__ import annotations

import datetime
from typing import Any, cast

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.api_keys import conf, selectors
from apps.api_keys.models import APIKey
from apps.api_keys.permissions import HasAPIKey
from apps.api_keys.serializers import UsageSerializer
from apps.api_keys.throttling import ADMISSION_ATTR


class UsageView(APIView):
    """The calling key's plan, throttle and quota; this request counts like any other."""

    permission_classes = (HasAPIKey,)
    token_scopes = None  # any token may read its own usage

    @extend_schema(
        operation_id="usage_retrieve",
        tags=["usage"],
        summary="Your key's plan and usage",
        description=(
            "The plan of the key in `x-api-key`: its throttle (token bucket) and its quota "
            "for the current UTC period. This request is metered like any other, so `used` "
            "includes it."
        ),
        responses={200: UsageSerializer},
    )
    def get(self, request: Request) -> Response:
        key = cast(APIKey, request.auth)
        admission = getattr(request._request, ADMISSION_ATTR, None)
        now = conf.now()
        if admission is not None and admission.resets_at <= now:
            # The period ended between the admission and this line: describe the period
            # the admission counted this request in, not the next one.
            now = admission.resets_at - datetime.timedelta(microseconds=1)
        document: dict[str, Any] = selectors.api_key_usage_document(
            key=key, now=now, used=admission.used if admission else None
        )
        return Response(UsageSerializer(document).data)
