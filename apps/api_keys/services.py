"""Writes: create a key (the raw key is returned once), revoke it, reset its period usage."""

from __future__ import annotations

import datetime
import logging

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from apps.api_keys import events
from apps.api_keys.counters import Metered
from apps.api_keys.gateway import client as gateway
from apps.api_keys.gateway import hooks as gateway_hooks
from apps.api_keys.gateway.client import GatewayError
from apps.api_keys.gateway.keys import key_import
from apps.api_keys.gateway.names import gateway_value
from apps.api_keys.models import APIKey, UsagePlan
from apps.api_keys.periods import period_start
from apps.common.events import publish

logger = logging.getLogger(__name__)

# Prefixes are 8 random alphanumerics (62**8); a clash is rare but must not be a 500.
_PREFIX_ATTEMPTS = 5


class KeyNotCreatedError(Exception):
    """The REST API front door's API Gateway did not take the new key, so none was made.

    The message says why (fit for the admin); trying again later is safe.
    """


def api_key_create(
    *,
    owner: User,
    plan: UsagePlan,
    name: str,
    expiry_date: datetime.datetime | None = None,
) -> tuple[APIKey, str]:
    """Create a key and its meter; returns the key and the raw `prefix.secret`.

    The raw key exists only in the return value: store it now, it cannot be shown again.
    """
    key = APIKey(owner=owner, plan=plan, name=name, expiry_date=expiry_date)
    key.full_clean(exclude=["owner", "plan", "prefix", "hashed_key"], validate_unique=False)
    return key, api_key_save_new(key=key)


def api_key_save_new(*, key: APIKey) -> str:
    """Give an unsaved key its prefix and hashed secret, save it; returns the raw key.

    With the REST API front door (API_KEYS["GATEWAY_REST_API_ID"]) the key is created in
    API Gateway too, with its value, in the same transaction: the value exists only now.
    Then the raw key returned is the spelling API Gateway takes (no dot); if API Gateway
    refuses, nothing is saved and KeyNotCreatedError says why.
    """
    for attempt in range(1, _PREFIX_ATTEMPTS + 1):
        raw_key = APIKey.objects.assign_key(key)
        try:
            with transaction.atomic():
                key.save()
                if gateway.enabled():
                    key_import(key=key, raw_key=raw_key)
                    raw_key = gateway_value(raw_key)
        except IntegrityError:
            if attempt == _PREFIX_ATTEMPTS or not _prefix_taken(key.prefix):
                raise
            continue
        except GatewayError as exc:
            key.pk, key._state.adding = None, True
            logger.warning("API key not created: API Gateway refused it", extra={"error": str(exc)})
            raise KeyNotCreatedError(f"API Gateway did not take the key: {exc}") from exc
        logger.info("API key created", extra={"keyPrefix": key.prefix, "ownerId": key.owner_id})
        return raw_key
    raise AssertionError("unreachable")  # pragma: no cover


def _prefix_taken(prefix: str) -> bool:
    return APIKey.objects.filter(prefix=prefix).exists()


@transaction.atomic
def api_key_revoke(*, key: APIKey) -> bool:
    """Revoke for good; False when it already was. Requests with it are then a 403, and
    once committed `api_key.revoked` is published (live connections close on it)."""
    updated = APIKey.objects.filter(pk=key.pk, revoked=False).update(revoked=True)
    key.revoked = True
    if updated:
        logger.info("API key revoked", extra={"keyPrefix": key.prefix})
        publish(events.api_key_event(events.REVOKED, key))
        # Disabled in API Gateway too (REST front door); Django refuses it from now on.
        gateway_hooks.push_key_on_commit(key)
    return bool(updated)


def api_key_usage_reset(*, key: APIKey, now: datetime.datetime) -> int:
    """Forget the requests counted in the current period (the quota starts again).

    Returns how many were forgotten. The daily history keeps them: they did happen.
    """
    return meter_usage_reset(key=key, now=now)


@transaction.atomic
def meter_usage_reset(*, key: Metered, now: datetime.datetime) -> int:
    """api_key_usage_reset for any meter: a key's, or a token user's (UserSubject)."""
    model = type(key.meter)
    meter = model._default_manager.select_for_update().get(pk=key.pk)
    plan = key.plan
    start = period_start(now, plan.period, plan.offset)
    forgotten = meter.period_count if meter.period_start and meter.period_start >= start else 0
    model._default_manager.filter(pk=key.pk).update(period_count=0)
    name = {"keyPrefix": key.prefix} if isinstance(key, APIKey) else {"userId": key.pk}
    logger.info("Usage reset", extra={**name, "forgotten": forgotten})
    return forgotten
