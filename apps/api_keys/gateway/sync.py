"""The whole sync: API Gateway brought in line with every plan and key here (drift repair).

Plans first (keys are attached to them), then keys, then what API Gateway holds under this
stack's names that nothing here matches. A failure is recorded on its plan or key and the
sync goes on with the rest; running it again picks up from whatever state the failure left.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from apps.api_keys.gateway import keys, names, plans
from apps.api_keys.gateway.client import GatewayError, call
from apps.api_keys.gateway.models import GatewayAPIKey, GatewayUsagePlan
from apps.api_keys.models import APIKey, UsagePlan

logger = logging.getLogger(__name__)


@dataclass
class SyncReport:
    synced: int = 0
    unsyncable: int = 0
    deleted: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def sync_all() -> SyncReport:
    """Sync every plan and key; raises GatewayError only when API Gateway cannot be listed."""
    report = SyncReport()
    existing_plans = plans.list_plans()
    plan_ids = _sync_plans(existing_plans, report)
    memberships = {gid: _plan_keys(gid) for gid in set(plan_ids.values()) | set(existing_plans)}
    existing_keys = keys.list_keys()
    _sync_keys(existing_keys, memberships, plan_ids, report)
    _delete_orphans(existing_plans, existing_keys, report)
    logger.info(
        "API Gateway sync",
        extra={
            "synced": report.synced,
            "unsyncable": report.unsyncable,
            "deleted": report.deleted,
            "errors": len(report.errors),
        },
    )
    return report


def _sync_plans(existing: dict[str, dict[str, Any]], report: SyncReport) -> dict[int, str]:
    plan_ids: dict[int, str] = {}
    for plan in UsagePlan.objects.order_by("pk"):
        pushed = plans.plan_push(plan=plan, existing=existing)
        record = plans.record_for(plan)
        if pushed:
            report.synced += 1
        else:
            report.errors.append(f"plan {plan.name}: {record.last_error}")
        # A plan whose update failed still exists there: its keys can be attached to it.
        if pushed or record.gateway_id in existing:
            plan_ids[plan.pk] = record.gateway_id
    for record in GatewayUsagePlan.objects.filter(plan__isnull=True):
        gateway_id = record.gateway_id
        if plans.plan_delete(record=record):
            report.deleted += 1
            existing.pop(gateway_id, None)
        else:
            report.errors.append(f"deleted plan {gateway_id}: {record.last_error}")
    return plan_ids


def _plan_keys(gateway_plan_id: str) -> set[str]:
    found: set[str] = set()
    position = None
    while True:
        extra: dict[str, Any] = {"position": position} if position else {}
        page = call("get_usage_plan_keys", usagePlanId=gateway_plan_id, limit=500, **extra)
        found |= {str(item["id"]) for item in page.get("items", [])}
        position = page.get("position")
        if not position:
            return found


def _sync_keys(
    existing: dict[str, dict[str, Any]],
    memberships: keys.Memberships,
    plan_ids: dict[int, str],
    report: SyncReport,
) -> None:
    for key in APIKey.objects.select_related("plan", "owner").order_by("pk"):
        record = GatewayAPIKey.objects.get_or_create(key=key)[0]
        if keys.key_push(
            key=key, record=record, existing=existing, memberships=memberships, plan_ids=plan_ids
        ):
            report.synced += 1
        elif record.state == "unsyncable":
            report.unsyncable += 1
        else:
            report.errors.append(f"key {key.prefix}: {record.last_error}")
    for record in GatewayAPIKey.objects.filter(key__isnull=True):
        gateway_id = record.gateway_id
        if keys.key_delete(record=record):
            report.deleted += 1
            existing.pop(gateway_id, None)
        else:
            report.errors.append(f"deleted key {gateway_id}: {record.last_error}")


def _delete_orphans(
    existing_plans: dict[str, dict[str, Any]],
    existing_keys: dict[str, dict[str, Any]],
    report: SyncReport,
) -> None:
    """Delete this stack's gateway keys and plans that nothing here accounts for.

    They are what a crash leaves between a create call and the commit that records it. A
    key is spared while younger than the grace period (its creation may still be
    committing), and either is spared while its key or plan here has no gateway id yet.
    """
    recorded_keys = dict(GatewayAPIKey.objects.values_list("key__prefix", "gateway_id"))
    cutoff = timezone.now() - datetime.timedelta(seconds=keys.orphan_grace_seconds())
    for gateway_id, item in existing_keys.items():
        prefix = str(item.get("name", "")).removeprefix(names.key_prefix())
        created = item.get("createdDate")
        young = isinstance(created, datetime.datetime) and created > cutoff
        unrecorded = recorded_keys.get(prefix) == "" or (
            prefix not in recorded_keys and APIKey.objects.filter(prefix=prefix).exists()
        )
        if gateway_id in recorded_keys.values() or young or unrecorded:
            continue
        _delete(report, f"orphan key {gateway_id}", keys.delete_by_id, gateway_id)
    recorded_plans = dict(GatewayUsagePlan.objects.values_list("plan_id", "gateway_id"))
    for gateway_id, item in existing_plans.items():
        number = str(item.get("name", "")).removeprefix(names.plan_prefix())
        plan_pk = int(number) if number.isdigit() else -1
        unrecorded = recorded_plans.get(plan_pk) == "" or (
            plan_pk not in recorded_plans and UsagePlan.objects.filter(pk=plan_pk).exists()
        )
        if gateway_id in recorded_plans.values() or unrecorded:
            continue
        _delete(report, f"orphan plan {gateway_id}", plans.delete_by_id, gateway_id)


def _delete(report: SyncReport, what: str, delete: Any, gateway_id: str) -> None:
    try:
        delete(gateway_id)
    except GatewayError as exc:
        report.errors.append(f"{what}: {exc}")
        return
    report.deleted += 1
