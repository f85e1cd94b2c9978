"""A REST API in moto for the sync tests, what it holds, and failures injected into calls."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError
from moto import mock_aws

from apps.api_keys.gateway import client as gateway_client
from apps.api_keys.gateway import names
from apps.api_keys.gateway.keys import key_enabled
from apps.api_keys.gateway.models import GatewayAPIKey, GatewayUsagePlan, SyncState
from apps.api_keys.gateway.plans import desired
from apps.api_keys.models import APIKey, UsagePlan

REGION = "eu-west-1"
STAGE = "prod"


@dataclass
class RestGateway:
    """The moto REST API the sync targets, read through a client of the test's own."""

    aws: Any
    api_id: str
    stage: str = STAGE

    def plans(self) -> dict[str, dict[str, Any]]:
        items = self.aws.get_usage_plans(limit=500)["items"]
        return {p["id"]: p for p in items if p["name"].startswith(names.plan_prefix())}

    def api_keys(self) -> dict[str, dict[str, Any]]:
        items = self.aws.get_api_keys(includeValues=True, limit=500)["items"]
        return {k["id"]: k for k in items if k["name"].startswith(names.key_prefix())}

    def plan_keys(self, plan_id: str) -> set[str]:
        return {k["id"] for k in self.aws.get_usage_plan_keys(usagePlanId=plan_id)["items"]}

    def assert_converged(self) -> None:
        """API Gateway holds exactly the admin's plans and keys, each as it should be."""
        plans = self.plans()
        records = {r.plan_id: r for r in GatewayUsagePlan.objects.all()}
        assert None not in records, "a deleted plan is still in API Gateway"
        for plan in UsagePlan.objects.all():
            record = records[plan.pk]
            assert record.state == SyncState.SYNCED, (plan, record.last_error)
            have, want = plans[record.gateway_id], desired(plan)
            assert have["name"] == want["name"]
            assert float(have["throttle"]["rateLimit"]) == want["throttle"]["rateLimit"]
            assert int(have["throttle"]["burstLimit"]) == want["throttle"]["burstLimit"]
            assert {k: str(v) for k, v in (have.get("quota") or {}).items()} == {
                k: str(v) for k, v in (want.get("quota") or {}).items()
            }
            assert have["apiStages"] == want["apiStages"]
        assert set(plans) == {r.gateway_id for r in records.values()}
        keys = self.api_keys()
        synced = GatewayAPIKey.objects.exclude(state=SyncState.UNSYNCABLE)
        assert set(keys) == {r.gateway_id for r in synced}
        for record in synced.select_related("key__plan__gateway", "key__owner"):
            key: APIKey | None = record.key
            assert key is not None, "a deleted key is still in API Gateway"
            assert record.state == SyncState.SYNCED, (key, record.last_error)
            assert keys[record.gateway_id]["enabled"] is key_enabled(key)
            holders = {p for p in plans if record.gateway_id in self.plan_keys(p)}
            assert holders == {key.plan.gateway.gateway_id}


@contextmanager
def rest_gateway(monkeypatch: Any, settings: Any) -> Iterator[RestGateway]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    gateway_client._client.cache_clear()
    with mock_aws():
        aws = boto3.client("apigateway", region_name=REGION)
        api_id = aws.create_rest_api(name="tests")["id"]
        root = aws.get_resources(restApiId=api_id)["items"][0]["id"]
        aws.put_method(
            restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE"
        )
        aws.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK")
        aws.create_deployment(restApiId=api_id, stageName=STAGE)
        settings.API_KEYS = {
            **settings.API_KEYS,
            "GATEWAY_REST_API_ID": api_id,
            "GATEWAY_STAGE": STAGE,
        }
        try:
            yield RestGateway(aws, api_id)
        finally:
            gateway_client._client.cache_clear()


class FailingCalls:
    """Makes the sync's `nth` control-plane call (1-based) fail as AWS would, and counts."""

    def __init__(
        self, nth: int | None = None, code: str = "TooManyRequestsException", operation: str = ""
    ) -> None:
        self.nth, self.code, self.operation, self.calls = nth, code, operation, 0
        self.operations: list[str] = []

    def __call__(self, model: Any, **kwargs: Any) -> None:
        self.calls += 1
        self.operations.append(model.name)
        if self.calls == self.nth or model.name == self.operation:
            error = {"Error": {"Code": self.code, "Message": "injected failure"}}
            raise ClientError(error, model.name)  # type: ignore[arg-type]


@contextmanager
def failing(
    nth: int | None = None, code: str = "TooManyRequestsException", operation: str = ""
) -> Iterator[FailingCalls]:
    """Fail the `nth` call, or every call of `operation`, of the sync's own client."""
    failures = FailingCalls(nth, code, operation)
    events = gateway_client.client().meta.events
    events.register("before-call.apigateway", failures, unique_id="tests-failing")
    try:
        yield failures
    finally:
        events.unregister("before-call.apigateway", unique_id="tests-failing")
