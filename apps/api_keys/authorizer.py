"""The Lambda authorizer's decision for `x-api-key`, and the key it vouches for afterwards.

With the template's key authorizer (infra/template.yaml, EnableKeyAuthorizer) API Gateway
calls `decide` before the API function, caches the answer per key value for the TTL, and
passes the context to the function as `requestContext.authorizer.lambda`. The function then
builds the key from that context (`key_from_context`) instead of reading and hashing it:
the meter's UPDATE, which counts every request, still runs, so metering stays exact. A key
revoked while an answer is cached keeps working until the cache entry expires (the TTL).
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Model

from apps.api_keys.models import APIKey, KeyMeter, Period, UsagePlan
from apps.api_keys.selectors import KeyRejectedError, api_key_from_raw

logger = logging.getLogger(__name__)

HEADER = "x-api-key"
# The context's keys; every value is a string (REST APIs stringify them anyway).
CONTEXT_KEYS = (
    "keyId",
    "keyPrefix",
    "ownerId",
    "planId",
    "planName",
    "planRate",
    "planBurst",
    "planLimit",
    "planPeriod",
    "planOffset",
)
UNLIMITED = ""


def decide(event: Mapping[str, Any], *, now: datetime.datetime) -> dict[str, Any]:
    """A simple response for a payload 2.0 REQUEST authorizer event.

    `{"isAuthorized": false}` makes API Gateway answer 403 {"message":"Forbidden"}; the
    reason goes to the log with the prefix, never the key.
    """
    headers = event.get("headers") or {}
    raw = headers.get(HEADER) if isinstance(headers, Mapping) else None
    if not isinstance(raw, str) or not raw:
        logger.info("Key authorizer: no key")
        return {"isAuthorized": False}
    try:
        key = api_key_from_raw(raw_key=raw, now=now)
    except KeyRejectedError as rejected:
        extra = {"reason": rejected.reason, "keyPrefix": rejected.prefix}
        logger.info("Key authorizer: denied", extra=extra)
        return {"isAuthorized": False}
    logger.info("Key authorizer: allowed", extra={"keyPrefix": key.prefix})
    return {"isAuthorized": True, "context": key_context(key)}


def key_context(key: APIKey) -> dict[str, str]:
    """What the function needs to meter the key without reading it: key, owner and plan."""
    plan: UsagePlan = key.plan
    return {
        "keyId": str(key.pk),
        "keyPrefix": key.prefix,
        "ownerId": str(key.owner_id),
        "planId": str(plan.pk),
        "planName": plan.name,
        "planRate": str(plan.rate),
        "planBurst": str(plan.burst),
        "planLimit": UNLIMITED if plan.limit is None else str(plan.limit),
        "planPeriod": plan.period,
        "planOffset": str(plan.offset),
    }


def key_from_context(context: Any) -> APIKey | None:
    """The key the authorizer vouched for, built without a query; None if the context is not
    one `key_context` made (then the x-api-key header is checked as usual).

    Fields the context does not carry (the key's name, the owner's username) load on first
    use, as deferred fields do.
    """
    if not isinstance(context, Mapping) or not all(
        isinstance(context.get(name), str) for name in CONTEXT_KEYS
    ):
        return None
    try:
        key_id, owner_id, plan_id = (int(context[n]) for n in ("keyId", "ownerId", "planId"))
        rate, burst = Decimal(context["planRate"]), int(context["planBurst"])
        limit = None if context["planLimit"] == UNLIMITED else int(context["planLimit"])
        offset, period = int(context["planOffset"]), context["planPeriod"]
    except (ValueError, InvalidOperation):
        return None
    if period not in Period.values or rate <= 0 or burst < 1:
        return None
    plan = _partial(
        UsagePlan,
        id=plan_id,
        name=context["planName"],
        rate=rate,
        burst=burst,
        limit=limit,
        period=period,
        offset=offset,
    )
    owner = _partial(get_user_model(), id=owner_id, is_active=True)
    # `revoked` too: the library's __init__ reads it (a deferred field would cost a query).
    key = _partial(
        APIKey,
        id=key_id,
        prefix=context["keyPrefix"],
        revoked=False,
        owner_id=owner_id,
        plan_id=plan_id,
    )
    # Assigning through the relation descriptors caches the related objects (no query later).
    key.plan = plan
    key.owner = owner
    # The meter row's day is unknown here, so the counters treat the request as one that
    # may open a new day (their UPDATE then runs in a transaction with the archive).
    key.meter = KeyMeter(key_id=key_id)
    return key  # type: ignore[no-any-return]


def _partial(model: type[Model], **values: Any) -> Any:
    """An instance as a query for only these columns would make it (others load on use).

    `Model.from_db` is the documented hook for building instances from loaded columns:
    https://docs.djangoproject.com/en/5.2/ref/models/instances/#customizing-model-loading
    """
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db("default", names, [values[name] for name in names])
