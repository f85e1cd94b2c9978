"""API keys and usage plans enforced as a REST API does, from the admin's keys and plans.

On AWS the admin's plans and keys are synchronised to API Gateway (apps.api_keys.gateway),
which then refuses a missing, unknown or disabled key with 403 and meters the rest against
the key's usage plan (429 throttled, 429 quota) before the function runs. Locally the
gateway reads the same rows and meters with the app's own counters (the exact ones the HTTP
API front door uses: a refused request uses neither a token nor quota), so the app, which
then sees `requestContext.identity.apiKeyId`, meters nothing again (API_KEYS_GATEWAY_METERING).
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, close_old_connections

from apps.api_keys import conf
from apps.api_keys.counters import QUOTA, THROTTLE, get_usage_store
from apps.api_keys.refusals import refusal_record
from apps.api_keys.selectors import KeyRejectedError, api_key_from_raw
from localgateway.rest.events import KeyIdentity
from localgateway.rest.responses import Refusal

logger = logging.getLogger("localgateway")

FORBIDDEN = "Forbidden"


def key_id(pk: int) -> str:
    """The key's id as `identity.apiKeyId` names it (API Gateway's are 10 characters)."""
    return f"local{pk:05d}"


def check_key(raw_key: str | None) -> KeyIdentity | Refusal:
    """The key identity to put in the event, or the gateway's refusal. Blocking (database)."""
    if not raw_key:
        return Refusal("INVALID_API_KEY", FORBIDDEN, reason="no API key")
    close_old_connections()
    try:
        return _admit(raw_key)
    except DatabaseError:
        # API Gateway serves the request un-metered when its usage plan check fails.
        logger.exception("usage plan check failed; request served un-metered")
        return KeyIdentity(raw_key, "unmetered")
    finally:
        close_old_connections()


def _admit(raw_key: str) -> KeyIdentity | Refusal:
    now = conf.now()
    try:
        key = api_key_from_raw(raw_key=raw_key, now=now)
    except KeyRejectedError as exc:
        # Unknown, revoked (disabled by the sync), expired or its owner inactive.
        return Refusal("INVALID_API_KEY", FORBIDDEN, reason=f"API key {exc.reason}")
    admission = get_usage_store().admit(key=key, now=now)
    identity = KeyIdentity(raw_key, key_id(key.pk), f"localplan{key.plan_id}")
    if admission.admitted:
        return identity
    # Counted per key and day for the admin's usage overview, as the app's metering does.
    refusal_record(key_id=key.pk, reason=admission.reason, now=now)
    if admission.reason == THROTTLE:
        return Refusal(
            "THROTTLED", "Too Many Requests", reason="usage plan throttle", api_key=identity
        )
    if admission.reason == QUOTA:
        return Refusal(
            "QUOTA_EXCEEDED", "Limit Exceeded", reason="usage plan quota", api_key=identity
        )
    return Refusal("INVALID_API_KEY", FORBIDDEN, reason=f"API key {admission.reason}")
