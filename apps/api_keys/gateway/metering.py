"""Whether API Gateway already metered a request's key (so Django does not meter it again).

Only the REST API front door meters keys: its event says which key it checked and counted
against the key's usage plan in `requestContext.identity` (`apiKey`, `apiKeyId`), which no
client can set. The container behind a VPC link and the HTTP API never send it.
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html
"""

from __future__ import annotations

from typing import Any

from apps.api_keys import conf
from apps.api_keys.models import APIKey

EVENT_KEY = "aws.event"  # the Lambda event, put in the WSGI environ by lambda_runtime.adapter
HEADER_META = "HTTP_X_API_KEY"


def gateway_identity(meta: Any) -> dict[str, Any] | None:
    """`requestContext.identity` of the REST API event behind this request, if any."""
    event = meta.get(EVENT_KEY)
    context = event.get("requestContext") if isinstance(event, dict) else None
    identity = context.get("identity") if isinstance(context, dict) else None
    return identity if isinstance(identity, dict) else None


def metered_by_gateway(meta: Any, auth: Any) -> bool:
    """True when API_KEYS["GATEWAY_METERING"] is on and the gateway metered this very key:
    it names a key id and the key value it checked is the x-api-key this request presents."""
    if not isinstance(auth, APIKey) or not conf.api_key_settings().GATEWAY_METERING:
        return False
    identity = gateway_identity(meta)
    presented = meta.get(HEADER_META)
    return bool(
        identity is not None
        and identity.get("apiKeyId")
        and isinstance(presented, str)
        and identity.get("apiKey") == presented
    )
