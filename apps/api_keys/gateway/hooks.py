"""What the admin and the services call after a write: the matching sync, once committed.

Run after the commit (a rolled-back change must not reach API Gateway) and never raising:
a failure is recorded on the plan's or key's record, shown in the admin, and repaired by
the next `manage.py sync_usage_plans`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

from django.db import transaction

from apps.api_keys.gateway import client, keys, plans
from apps.api_keys.gateway.client import GatewayError
from apps.api_keys.gateway.models import GatewayAPIKey, GatewayUsagePlan
from apps.api_keys.models import APIKey, UsagePlan

logger = logging.getLogger(__name__)


def push_plan_on_commit(plan: UsagePlan) -> None:
    if client.enabled():
        transaction.on_commit(partial(_guarded, partial(plans.plan_push, plan=plan)))


def push_key_on_commit(key: APIKey) -> None:
    if client.enabled():
        transaction.on_commit(partial(_guarded, partial(_push_key, key.pk)))


def delete_removed_on_commit() -> None:
    """Delete the gateway plans and keys of plans and keys deleted here."""
    if client.enabled():
        transaction.on_commit(partial(_guarded, _delete_removed))


def _push_key(pk: int) -> None:
    key = APIKey.objects.select_related("plan", "owner").filter(pk=pk).first()
    if key is not None:
        keys.key_push(key=key)


def _delete_removed() -> None:
    for key_record in GatewayAPIKey.objects.filter(key__isnull=True):
        keys.key_delete(record=key_record)
    for plan_record in GatewayUsagePlan.objects.filter(plan__isnull=True):
        plans.plan_delete(record=plan_record)


def _guarded(action: Callable[[], object]) -> None:
    try:
        action()
    except GatewayError:
        # Failures of single items are on their records; this is a listing that failed.
        logger.warning("API Gateway sync after a change failed", exc_info=True)
