"""Usage plans in API Gateway: made, brought in line with the admin's plan, or deleted.

Each function is idempotent: it compares what API Gateway holds with what the plan says and
sends only the difference, so running it again after a failure finishes the job. Only
changed plans are updated: the control plane allows one UpdateUsagePlan per 20 s per account.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from apps.api_keys.gateway import client, names
from apps.api_keys.gateway.client import GatewayError, call
from apps.api_keys.gateway.models import GatewayUsagePlan
from apps.api_keys.gateway.records import mark_failed, mark_synced
from apps.api_keys.models import UsagePlan

logger = logging.getLogger(__name__)


def number(value: Decimal | float | int) -> str:
    """A number as a patch value: "3" rather than "3.000" (patch values are strings)."""
    text = format(Decimal(str(value)).normalize(), "f")
    return text


def desired(plan: UsagePlan) -> dict[str, Any]:
    """The usage plan API Gateway should hold for `plan`, in CreateUsagePlan's shape.

    The quota's `offset` is this app's (WEEK: the weekday the week starts, 0 = Sunday;
    MONTH: days after the 1st), which is the meaning AWS's older QuotaSettings reference
    gives it; docs/rest-api.md notes that the current reference words it differently.
    """
    api_id, stage = client.target()
    document: dict[str, Any] = {
        "name": names.plan_name(plan.pk),
        "description": (plan.name + (f": {plan.description}" if plan.description else ""))[:1024],
        "apiStages": [{"apiId": api_id, "stage": stage}],
        "throttle": {"rateLimit": float(plan.rate), "burstLimit": int(plan.burst)},
    }
    if plan.limit is not None:
        document["quota"] = {"limit": int(plan.limit), "period": plan.period}
        document["quota"]["offset"] = int(plan.offset)
    return document


def patch_operations(current: dict[str, Any], wanted: dict[str, Any]) -> list[dict[str, str]]:
    """UpdateUsagePlan operations that turn `current` into `wanted` (empty: nothing to do)."""
    ops: list[dict[str, str]] = []
    for field in ("name", "description"):
        if (current.get(field) or "") != wanted[field]:
            ops.append({"op": "replace", "path": f"/{field}", "value": wanted[field]})
    have = current.get("throttle") or {}
    for field, value in wanted["throttle"].items():
        if have.get(field) is None or Decimal(str(have[field])) != Decimal(str(value)):
            ops.append({"op": "replace", "path": f"/throttle/{field}", "value": number(value)})
    quota, want_quota = current.get("quota") or {}, wanted.get("quota")
    if want_quota is None and quota:
        ops.append({"op": "remove", "path": "/quota"})
    for field, value in (want_quota or {}).items():
        if str(quota.get(field, "")) != str(value):
            ops.append({"op": "replace", "path": f"/quota/{field}", "value": str(value)})
    stages = {f"{s['apiId']}:{s['stage']}" for s in current.get("apiStages") or []}
    wanted_stages = {f"{s['apiId']}:{s['stage']}" for s in wanted["apiStages"]}
    ops += [{"op": "add", "path": "/apiStages", "value": s} for s in sorted(wanted_stages - stages)]
    return ops


def record_for(plan: UsagePlan) -> GatewayUsagePlan:
    return GatewayUsagePlan.objects.get_or_create(plan=plan)[0]


def plan_push(*, plan: UsagePlan, existing: dict[str, dict[str, Any]] | None = None) -> bool:
    """Make or update the plan in API Gateway; the outcome goes on its record. True if synced.

    `existing`: the gateway's plans by id, when the caller has listed them already.
    """
    record = record_for(plan)
    try:
        gateway_id = _ensure(plan, record, existing)
    except GatewayError as exc:
        mark_failed(record, exc)
        return False
    mark_synced(record, gateway_id)
    return True


def _ensure(
    plan: UsagePlan, record: GatewayUsagePlan, existing: dict[str, dict[str, Any]] | None
) -> str:
    wanted = desired(plan)
    current = _current(record, existing, wanted["name"])
    if current is None:
        created = call("create_usage_plan", **wanted)
        logger.info("Usage plan created in API Gateway", extra={"gatewayId": created["id"]})
        return str(created["id"])
    # Saved before the update: a failure below must not forget which plan is ours.
    if record.gateway_id != current["id"]:
        record.gateway_id = current["id"]
        record.save(update_fields=["gateway_id"])
    ops = patch_operations(current, wanted)
    if ops:
        call("update_usage_plan", usagePlanId=current["id"], patchOperations=ops)
    return str(current["id"])


def _current(
    record: GatewayUsagePlan, existing: dict[str, dict[str, Any]] | None, name: str
) -> dict[str, Any] | None:
    """The gateway's plan for this record: by its id, else (adopted) by its name."""
    plans = existing if existing is not None else list_plans()
    if record.gateway_id and record.gateway_id in plans:
        return plans[record.gateway_id]
    return next((p for p in plans.values() if p.get("name") == name), None)


def list_plans() -> dict[str, dict[str, Any]]:
    """Every usage plan of this stack in API Gateway, by id."""
    found: dict[str, dict[str, Any]] = {}
    position = None
    while True:
        page = call("get_usage_plans", limit=500, **({"position": position} if position else {}))
        for item in page.get("items", []):
            if str(item.get("name", "")).startswith(names.plan_prefix()):
                found[str(item["id"])] = item
        position = page.get("position")
        if not position:
            return found


def plan_delete(*, record: GatewayUsagePlan) -> bool:
    """Delete a deleted plan's gateway counterpart (its stages first, as AWS requires)."""
    try:
        if record.gateway_id:
            delete_by_id(record.gateway_id)
    except GatewayError as exc:
        mark_failed(record, exc)
        return False
    record.delete()
    return True


def delete_by_id(gateway_id: str) -> None:
    try:
        current = call("get_usage_plan", usagePlanId=gateway_id)
    except GatewayError as exc:
        if client.is_not_found(exc):
            return
        raise
    stages = [f"{s['apiId']}:{s['stage']}" for s in current.get("apiStages") or []]
    if stages:
        ops = [{"op": "remove", "path": "/apiStages", "value": s} for s in stages]
        call("update_usage_plan", usagePlanId=gateway_id, patchOperations=ops)
    call("delete_usage_plan", usagePlanId=gateway_id)
    logger.info("Usage plan deleted in API Gateway", extra={"gatewayId": gateway_id})
