"""HTTP wiring for GET /v1/usage."""

from __future__ import annotations

import datetime
from typing import Any

from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from apps.api_keys import conf, selectors
from apps.api_keys.gateway import client as gateway_client
from apps.api_keys.gateway.metering import metered_by_gateway
from apps.api_keys.gateway.usage import gateway_period_used
from apps.api_keys.permissions import IsMetered
from apps.api_keys.serializers import UsageSerializer
from apps.api_keys.throttling import ADMISSION_ATTR, METERED_ATTR, metered
from apps.common.viewsets import PrivateCacheMixin, conditional_read


class UsageView(PrivateCacheMixin):
    """The calling key's (or token user's) plan, throttle and quota; this request counts.

    Its ETag is a digest of the document; as `used` counts this request too, two reads
    never match, but the contract is the same as every other read's.
    """

    permission_classes = (IsMetered,)
    etag_methods = frozenset({"GET"})
    token_scopes = None  # any token may read its own usage

    def get(self, request: Request) -> Response:
        # What the throttle metered (the key, or the token user with their plan).
        key = getattr(request._request, METERED_ATTR, None) or metered(request.auth)
        if key is None:  # IsMetered let it through, so this cannot happen
            raise PermissionDenied("Forbidden")
        admission = getattr(request._request, ADMISSION_ATTR, None)
        now = conf.now()
        if admission is not None and admission.resets_at <= now:
            # The period ended between the admission and this line: describe the period
            # the admission counted this request in, not the next one.
            now = admission.resets_at - datetime.timedelta(microseconds=1)
        used = admission.used if admission else None
        # REST front door: API Gateway counted it (its figures lag by minutes). Without a
        # REST API to ask (the local gateway, `rungateway --api RestApi`), the key's meter
        # holds the gateway's count: the local REST API meters with it.
        gateway_metered = admission is None and metered_by_gateway(request._request.META, key)
        if gateway_metered and gateway_client.enabled():
            used = gateway_period_used(key=key, now=now)  # type: ignore[arg-type]
        document: dict[str, Any] = selectors.api_key_usage_document(key=key, now=now, used=used)
        return conditional_read(request, UsageSerializer(document).data)
