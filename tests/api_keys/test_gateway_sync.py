"""The admin's plans and keys in API Gateway (moto): made, changed, revoked, deleted, repaired."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from apps.api_keys import services
from apps.api_keys.gateway import keys, names, plans
from apps.api_keys.gateway.client import GatewayError
from apps.api_keys.gateway.models import GatewayAPIKey, GatewayUsagePlan, SyncState
from apps.api_keys.gateway.sync import sync_all
from apps.api_keys.models import APIKey, KeyMeter, UsagePlan
from apps.api_keys.selectors import api_key_from_raw
from tests.api_keys.factories import UsagePlanFactory
from tests.api_keys.moto_gateway import RestGateway, failing
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def make_key(plan: UsagePlan | None = None, **fields: Any) -> tuple[APIKey, str]:
    return services.api_key_create(
        owner=fields.pop("owner", None) or UserFactory(),
        plan=plan or UsagePlanFactory(rate=Decimal("5"), burst=10, limit=1000),
        name=fields.pop("name", "a key"),
        **fields,
    )


def test_a_new_plan_becomes_a_usage_plan_on_the_stage(rest_gateway: RestGateway) -> None:
    plan = UsagePlanFactory(rate=Decimal("2.5"), burst=7, limit=500, period="WEEK", offset=1)

    assert plans.plan_push(plan=plan)

    record = GatewayUsagePlan.objects.get(plan=plan)
    held = rest_gateway.plans()[record.gateway_id]
    assert held["name"] == names.plan_name(plan.pk)
    assert held["throttle"] == {"rateLimit": 2.5, "burstLimit": 7}
    assert held["quota"] == {"limit": 500, "period": "WEEK", "offset": 1}
    assert held["apiStages"] == [{"apiId": rest_gateway.api_id, "stage": "prod"}]
    assert (record.state, record.last_error) == (SyncState.SYNCED, "")


def test_an_unlimited_plan_has_no_quota(rest_gateway: RestGateway) -> None:
    plan = UsagePlanFactory(limit=None)

    plans.plan_push(plan=plan)

    assert (
        "quota" not in rest_gateway.plans()[plan.gateway.gateway_id]
        or not (rest_gateway.plans()[plan.gateway.gateway_id]["quota"])
    )


def test_a_new_key_is_imported_with_its_value_and_attached(rest_gateway: RestGateway) -> None:
    key, raw = make_key()

    record = GatewayAPIKey.objects.get(key=key)
    held = rest_gateway.api_keys()[record.gateway_id]
    # The spelling API Gateway documents (alphanumeric), and the one the client is given.
    assert raw.isalnum()
    assert len(raw) == 40
    assert held["value"] == raw
    assert held["enabled"] is True
    assert held["name"] == names.key_name(key.prefix)
    assert record.gateway_id in rest_gateway.plan_keys(key.plan.gateway.gateway_id)
    assert record.state == SyncState.SYNCED
    # The same key works against Django in either spelling.
    now = datetime.datetime.now(datetime.UTC)
    assert api_key_from_raw(raw_key=raw, now=now).pk == key.pk
    dotted = f"{raw[:8]}.{raw[8:]}"
    assert api_key_from_raw(raw_key=dotted, now=now).pk == key.pk


def test_a_key_api_gateway_refuses_is_not_made(rest_gateway: RestGateway) -> None:
    plan = UsagePlanFactory()
    owner = UserFactory()

    with failing(nth=1, code="BadRequestException"), pytest.raises(services.KeyNotCreatedError):
        services.api_key_create(owner=owner, plan=plan, name="refused")

    assert not APIKey.objects.filter(name="refused").exists()
    assert not KeyMeter.objects.exists()
    assert not GatewayAPIKey.objects.exists()
    assert rest_gateway.api_keys() == {}


def test_a_key_that_cannot_be_attached_yet_is_made_and_repaired(
    rest_gateway: RestGateway,
) -> None:
    plan = UsagePlanFactory()
    plans.plan_push(plan=plan)

    # Calls: CreateApiKey, GetApiKey, GetUsagePlanKey, CreateUsagePlanKey (fails).
    with failing(nth=4) as calls:
        key, _ = make_key(plan=plan)

    assert calls.operations[-1] == "CreateUsagePlanKey"
    record = GatewayAPIKey.objects.get(key=key)
    assert record.state == SyncState.ERROR
    assert "injected failure" in record.last_error
    assert sync_all().ok
    rest_gateway.assert_converged()


def test_revoking_a_key_disables_it_in_api_gateway(
    rest_gateway: RestGateway, django_capture_on_commit_callbacks: Any
) -> None:
    key, _ = make_key()

    with django_capture_on_commit_callbacks(execute=True):
        services.api_key_revoke(key=key)

    assert rest_gateway.api_keys()[key.gateway.gateway_id]["enabled"] is False


def test_a_plan_edit_updates_the_usage_plan_and_only_when_it_changed(
    rest_gateway: RestGateway,
) -> None:
    plan = UsagePlanFactory(rate=Decimal("5"), burst=10, limit=100)
    plans.plan_push(plan=plan)
    plan.rate, plan.burst, plan.limit, plan.period = Decimal("8"), 20, 50, "MONTH"
    plan.save()

    with failing() as calls:
        plans.plan_push(plan=plan)
    with failing() as again:
        plans.plan_push(plan=plan)

    held = rest_gateway.plans()[plan.gateway.gateway_id]
    assert float(held["throttle"]["rateLimit"]) == 8
    assert int(held["throttle"]["burstLimit"]) == 20
    assert str(held["quota"]["limit"]) == "50"
    assert held["quota"]["period"] == "MONTH"
    assert calls.operations.count("UpdateUsagePlan") == 1
    # UpdateUsagePlan is limited to one call per 20 s per account: none when nothing changed.
    assert "UpdateUsagePlan" not in again.operations


def test_moving_a_key_to_another_plan_moves_it_in_api_gateway(rest_gateway: RestGateway) -> None:
    key, _ = make_key()
    old = key.plan
    new = UsagePlanFactory()
    key.plan = new
    key.save(update_fields=["plan"])

    assert keys.key_push(key=key)

    gateway_key = key.gateway.gateway_id
    assert gateway_key not in rest_gateway.plan_keys(old.gateway.gateway_id)
    assert gateway_key in rest_gateway.plan_keys(new.gateway.gateway_id)


def test_deleted_plans_and_keys_are_deleted_in_api_gateway(rest_gateway: RestGateway) -> None:
    key, _ = make_key()
    plan = key.plan
    key_id, plan_id = key.gateway.gateway_id, plan.gateway.gateway_id
    key.delete()
    plan.delete()

    report = sync_all()

    assert report.ok, report.errors
    assert report.deleted == 2
    assert key_id not in rest_gateway.api_keys()
    assert plan_id not in rest_gateway.plans()
    assert not GatewayAPIKey.objects.exists()
    assert not GatewayUsagePlan.objects.filter(plan__isnull=True).exists()


def test_keys_made_before_the_sync_are_reported_not_invented(
    rest_gateway: RestGateway, settings: Any
) -> None:
    api_keys = settings.API_KEYS
    settings.API_KEYS = {**api_keys, "GATEWAY_REST_API_ID": ""}
    old, raw = make_key()
    assert "." in raw  # the sync was off: the usual spelling
    settings.API_KEYS = api_keys

    report = sync_all()

    assert report.ok
    assert report.unsyncable == 1
    record = GatewayAPIKey.objects.get(key=old)
    assert record.state == SyncState.UNSYNCABLE
    assert "Issue a new key" in record.last_error
    assert rest_gateway.api_keys() == {}
    # Its plan is in API Gateway all the same, ready for new keys.
    assert old.plan.gateway.gateway_id in rest_gateway.plans()


def test_the_sync_repairs_drift_made_in_the_console(rest_gateway: RestGateway) -> None:
    revoked, _ = make_key()
    services.api_key_revoke(key=revoked)
    keys.key_push(key=revoked)
    kept, _ = make_key()
    aws = rest_gateway.aws
    # Someone re-enables the revoked key, edits a plan and deletes another by hand.
    aws.update_api_key(
        apiKey=revoked.gateway.gateway_id,
        patchOperations=[{"op": "replace", "path": "/enabled", "value": "true"}],
    )
    aws.update_usage_plan(
        usagePlanId=revoked.plan.gateway.gateway_id,
        patchOperations=[{"op": "replace", "path": "/throttle/burstLimit", "value": "99"}],
    )
    doomed = kept.plan.gateway.gateway_id
    aws.delete_usage_plan_key(usagePlanId=doomed, keyId=kept.gateway.gateway_id)
    aws.delete_usage_plan(usagePlanId=doomed)

    assert sync_all().ok

    rest_gateway.assert_converged()
    kept.plan.gateway.refresh_from_db()
    assert kept.plan.gateway.gateway_id != doomed


def test_orphans_of_this_stack_are_deleted_once_old_enough(
    rest_gateway: RestGateway, settings: Any
) -> None:
    aws = rest_gateway.aws
    orphan = aws.create_api_key(name=names.key_prefix() + "zzzzzzzz", value="z" * 40)["id"]
    foreign = aws.create_api_key(name="another-stack-key-zzzzzzzz", value="y" * 40)["id"]
    orphan_plan = aws.create_usage_plan(name=names.plan_prefix() + "999")["id"]
    foreign_plan = aws.create_usage_plan(name="another-stack-plan-1")["id"]

    young = sync_all()
    settings.API_KEYS = {**settings.API_KEYS, "GATEWAY_ORPHAN_GRACE_SECONDS": 0}
    old = sync_all()

    assert young.ok
    assert old.ok
    # A key is spared while its creation might still be committing; a plan is not.
    assert orphan_plan not in rest_gateway.plans()
    assert young.deleted == 1
    assert old.deleted == 1
    held_keys = {k["id"] for k in aws.get_api_keys(limit=500)["items"]}
    assert orphan not in held_keys
    assert foreign in held_keys
    assert foreign_plan in {p["id"] for p in aws.get_usage_plans(limit=500)["items"]}


def _world() -> None:
    """Two plans (one deleted), three keys (one revoked, one deleted, one moved)."""
    gold = UsagePlanFactory(name="Gold", rate=Decimal("10"), burst=20, limit=1000)
    silver = UsagePlanFactory(name="Silver", rate=Decimal("2"), burst=4, limit=None)
    gone = UsagePlanFactory(name="Gone")
    make_key(plan=gold, name="a")
    b, _ = make_key(plan=gold, name="b")
    c, _ = make_key(plan=silver, name="c")
    d, _ = make_key(plan=gone, name="d")
    services.api_key_revoke(key=b)
    c.plan = gold
    c.save(update_fields=["plan"])
    d.delete()
    gone.delete()
    silver.burst = 9
    silver.save()


def test_every_failure_midway_leaves_a_state_the_next_sync_repairs(
    rest_gateway: RestGateway,
) -> None:
    """A control-plane error at each call of a full sync in turn: the next run converges."""
    _world()
    savepoint = _snapshot()
    nth = 0
    while True:
        nth += 1
        _restore(rest_gateway, savepoint)
        with failing(nth=nth) as broken:
            try:
                failed = not sync_all().ok
            except GatewayError:  # a listing failed: the run stops before changing anything
                failed = True
        if broken.calls < nth:  # the run made fewer calls: every position has been tried
            assert not failed
            break
        assert failed, (nth, broken.operations[nth - 1])
        assert sync_all().ok, (nth, broken.operations[nth - 1])
        rest_gateway.assert_converged()
    assert nth > 10, nth


def _snapshot() -> dict[str, Any]:
    return {
        "plans": list(GatewayUsagePlan.objects.values()),
        "keys": list(GatewayAPIKey.objects.values()),
    }


def _restore(rest_gateway: RestGateway, snapshot: dict[str, Any]) -> None:
    """Back to the world before any sync: no gateway objects, the original records."""
    aws = rest_gateway.aws
    for plan_id in rest_gateway.plans():
        for key_id in rest_gateway.plan_keys(plan_id):
            aws.delete_usage_plan_key(usagePlanId=plan_id, keyId=key_id)
        aws.delete_usage_plan(usagePlanId=plan_id)
    GatewayUsagePlan.objects.all().delete()
    GatewayUsagePlan.objects.bulk_create(GatewayUsagePlan(**row) for row in snapshot["plans"])
    GatewayAPIKey.objects.all().delete()
    GatewayAPIKey.objects.bulk_create(GatewayAPIKey(**row) for row in snapshot["keys"])


def test_the_command_reports_and_fails_on_errors(rest_gateway: RestGateway, capsys: Any) -> None:
    key, _ = make_key()
    key.plan.burst += 1
    key.plan.save()

    with failing(operation="UpdateUsagePlan"), pytest.raises(CommandError, match="1 left out"):
        call_command("sync_usage_plans")
    assert "update_usage_plan: TooManyRequestsException" in capsys.readouterr().err
    with failing(operation="GetApiKeys"), pytest.raises(CommandError, match="could not be read"):
        call_command("sync_usage_plans")
    call_command("sync_usage_plans")

    # The migration's Default plan, the key's plan, the key.
    assert "In sync: 3." in capsys.readouterr().out
    rest_gateway.assert_converged()


def test_the_command_refuses_when_the_sync_is_off(settings: Any) -> None:
    settings.API_KEYS = {**settings.API_KEYS, "GATEWAY_REST_API_ID": ""}

    with pytest.raises(CommandError, match="sync is off"):
        call_command("sync_usage_plans")
