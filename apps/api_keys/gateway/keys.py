"""API keys in API Gateway: imported with their value at creation, kept enabled or disabled
and attached to their plan's usage plan afterwards, deleted when deleted here.

Only the key's creation needs its raw value, and the raw value exists only while the key is
being made (only a hash is stored), so `key_import` runs inside the service that makes the
key: if API Gateway refuses the key, no key is made. Everything else is repairable later by
`key_push`, which needs only the gateway's key id.
"""

from __future__ import annotations

import logging
from typing import Any

from apps.api_keys import conf
from apps.api_keys.gateway import client, names, plans
from apps.api_keys.gateway.client import GatewayError, call
from apps.api_keys.gateway.models import GatewayAPIKey, SyncState
from apps.api_keys.gateway.records import mark_failed, mark_synced, mark_unsyncable
from apps.api_keys.models import APIKey

logger = logging.getLogger(__name__)

# Where a key is attached: gateway usage plan id -> ids of the gateway keys in it.
Memberships = dict[str, set[str]]


def key_enabled(key: APIKey) -> bool:
    """Whether API Gateway should accept the key: not revoked or expired, owner active."""
    return key.status == "active" and key.owner.is_active


def key_import(*, key: APIKey, raw_key: str) -> GatewayAPIKey:
    """Give API Gateway a key just made here, with its value, and attach it to its plan.

    Raises GatewayError when the key cannot be created there (the caller then does not make
    it either). A failure to attach it only marks the record: the sync attaches it later.
    """
    created = call(
        "create_api_key",
        name=names.key_name(key.prefix),
        description=key.name[:1024],
        value=names.gateway_value(raw_key),
        enabled=key_enabled(key),
    )
    record = GatewayAPIKey.objects.create(key=key, gateway_id=str(created["id"]))
    logger.info("API key created in API Gateway", extra={"keyPrefix": key.prefix})
    key_push(key=key, record=record)
    return record


def key_push(
    *,
    key: APIKey,
    record: GatewayAPIKey | None = None,
    existing: dict[str, dict[str, Any]] | None = None,
    memberships: Memberships | None = None,
    plan_ids: dict[int, str] | None = None,
) -> bool:
    """Bring the gateway key in line: enabled as the key is usable, in its plan's usage plan.

    A key made before the sync was on has no gateway counterpart and cannot get one (its
    value is unknown): its record says so. True if the key is in sync. `existing`,
    `memberships` and `plan_ids` (plan pk -> gateway id): what a full sync listed already.
    """
    record = record or GatewayAPIKey.objects.get_or_create(key=key)[0]
    if not record.gateway_id:
        adopted = _adopt(key, existing)
        if adopted is None:
            mark_unsyncable(record)
            return False
        record.gateway_id = adopted
        record.save(update_fields=["gateway_id"])
    try:
        plan_id = _plan_id(key, plan_ids)
        _update(record.gateway_id, key, existing)
        _attach(record, plan_id, memberships)
    except GatewayError as exc:
        mark_failed(record, exc)
        return False
    mark_synced(record, record.gateway_id, gateway_plan_id=plan_id)
    return True


def _adopt(key: APIKey, existing: dict[str, dict[str, Any]] | None) -> str | None:
    """The id of a gateway key already named for this key (its record was lost), if any."""
    try:
        found = existing if existing is not None else list_keys()
    except GatewayError:
        return None
    name = names.key_name(key.prefix)
    return next((gid for gid, item in found.items() if item.get("name") == name), None)


def _plan_id(key: APIKey, plan_ids: dict[int, str] | None) -> str:
    """The gateway id of the key's plan, making that usage plan first if needed."""
    if plan_ids is not None:
        if key.plan_id not in plan_ids:
            raise GatewayError("the key's usage plan is not in sync (see the plan)")
        return plan_ids[key.plan_id]
    record = plans.record_for(key.plan)
    if not record.gateway_id or record.state != SyncState.SYNCED:
        if not plans.plan_push(plan=key.plan):
            record.refresh_from_db()
            raise GatewayError(f"the key's usage plan is not in sync: {record.last_error}")
        record.refresh_from_db()
    return record.gateway_id


def _update(gateway_id: str, key: APIKey, existing: dict[str, dict[str, Any]] | None) -> None:
    current = existing.get(gateway_id) if existing is not None else None
    if current is None:
        current = call("get_api_key", apiKey=gateway_id, includeValue=False)
    ops = []
    if bool(current.get("enabled")) != key_enabled(key):
        ops.append({"op": "replace", "path": "/enabled", "value": str(key_enabled(key)).lower()})
    if (current.get("description") or "") != key.name[:1024]:
        ops.append({"op": "replace", "path": "/description", "value": key.name[:1024]})
    if ops:
        call("update_api_key", apiKey=gateway_id, patchOperations=ops)


def _attach(record: GatewayAPIKey, plan_id: str, memberships: Memberships | None) -> None:
    """In `plan_id`'s usage plan and no other of ours (a key may have one plan per stage)."""
    key_id = record.gateway_id
    if memberships is None:
        others = {record.gateway_plan_id} - {"", plan_id}
        inside = _in_plan(plan_id, key_id)
    else:
        others = {p for p, keys in memberships.items() if key_id in keys and p != plan_id}
        inside = key_id in memberships.get(plan_id, set())
    for other in sorted(others):
        try:
            call("delete_usage_plan_key", usagePlanId=other, keyId=key_id)
        except GatewayError as exc:
            if not client.is_not_found(exc):
                raise
    if not inside:
        call("create_usage_plan_key", usagePlanId=plan_id, keyId=key_id, keyType="API_KEY")


def _in_plan(plan_id: str, key_id: str) -> bool:
    try:
        call("get_usage_plan_key", usagePlanId=plan_id, keyId=key_id)
    except GatewayError as exc:
        if client.is_not_found(exc):
            return False
        raise
    return True


def list_keys() -> dict[str, dict[str, Any]]:
    """Every API key of this stack in API Gateway (no values), by id."""
    found: dict[str, dict[str, Any]] = {}
    position = None
    while True:
        extra: dict[str, Any] = {"position": position} if position else {}
        page = call(
            "get_api_keys", nameQuery=names.key_prefix(), includeValues=False, limit=500, **extra
        )
        for item in page.get("items", []):
            if str(item.get("name", "")).startswith(names.key_prefix()):
                found[str(item["id"])] = item
        position = page.get("position")
        if not position:
            return found


def key_delete(*, record: GatewayAPIKey) -> bool:
    """Delete a deleted key's gateway counterpart, then its record."""
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
        call("delete_api_key", apiKey=gateway_id)
    except GatewayError as exc:
        if not client.is_not_found(exc):
            raise
    logger.info("API key deleted in API Gateway", extra={"gatewayId": gateway_id})


def orphan_grace_seconds() -> int:
    return int(conf.api_key_settings().GATEWAY_ORPHAN_GRACE_SECONDS)
