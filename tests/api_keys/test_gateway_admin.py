"""The admin as API Gateway's control plane (moto): plans and keys made there reach the
REST API's usage plans, with their sync state and last error on their pages."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from botocore.stub import Stubber
from django.contrib.admin.models import LogEntry
from django.test import Client

from apps.api_keys.gateway import client as gateway_client
from apps.api_keys.gateway.models import GatewayAPIKey, SyncState
from apps.api_keys.models import APIKey, UsagePlan
from tests.api_keys.clock import FakeClock
from tests.api_keys.moto_gateway import RestGateway, failing
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PLAN_FORM = {
    "name": "Gold",
    "description": "for partners",
    "rate": "5",
    "burst": "10",
    "limit": "1000",
    "period": "DAY",
    "offset": "0",
}


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(UserFactory(username="staff", is_staff=True, is_superuser=True))
    return client


def key_form(plan: UsagePlan, owner: Any, name: str = "laptop") -> dict[str, Any]:
    return {
        "owner": owner.pk,
        "plan": plan.pk,
        "name": name,
        "expiry_date_0": "",
        "expiry_date_1": "",
    }


def test_a_plan_made_in_the_admin_is_a_usage_plan_with_its_state_shown(
    admin_client: Client, rest_gateway: RestGateway, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/admin/api_keys/usageplan/add/", PLAN_FORM)
    assert response.status_code == 302
    plan = UsagePlan.objects.get(name="Gold")

    held = rest_gateway.plans()[plan.gateway.gateway_id]
    page = admin_client.get(f"/admin/api_keys/usageplan/{plan.pk}/change/").content.decode()
    listing = admin_client.get("/admin/api_keys/usageplan/").content.decode()

    assert held["description"] == "Gold: for partners"
    assert held["quota"] == {"limit": 1000, "period": "DAY", "offset": 0}
    assert "API Gateway (REST front door)" in page
    assert plan.gateway.gateway_id in page
    assert "Synced" in page
    assert "Synced" in listing


def test_a_key_made_in_the_admin_is_enforceable_with_the_value_shown_once(
    admin_client: Client, rest_gateway: RestGateway, user: Any, make_plan: Any
) -> None:
    plan = make_plan()

    response = admin_client.post("/admin/api_keys/apikey/add/", key_form(plan, user))

    assert response.status_code == 200
    key = APIKey.objects.get(name="laptop")
    found = re.search(r'value="([A-Za-z0-9]{40})"', response.content.decode())
    assert found is not None
    raw = found.group(1)
    held = rest_gateway.api_keys()[key.gateway.gateway_id]
    assert held["value"] == raw
    assert held["enabled"] is True
    assert key.gateway.gateway_id in rest_gateway.plan_keys(plan.gateway.gateway_id)
    # The client sends it as is; Django takes it too (both front doors).
    assert Client().get("/v1/usage", HTTP_X_API_KEY=raw).status_code == 200
    assert raw[8:] not in str(list(LogEntry.objects.values()))


def test_a_key_api_gateway_refuses_is_not_made_and_the_admin_says_why(
    admin_client: Client, rest_gateway: RestGateway, user: Any, make_plan: Any
) -> None:
    plan = make_plan()

    with failing(operation="CreateApiKey", code="LimitExceededException"):
        response = admin_client.post(
            "/admin/api_keys/apikey/add/", key_form(plan, user), follow=True
        )

    html = response.content.decode()
    assert response.redirect_chain[-1][0].endswith("/admin/api_keys/apikey/add/")
    assert "No key was made" in html
    assert "LimitExceededException" in html
    assert not APIKey.objects.exists()
    assert not LogEntry.objects.exists()
    assert rest_gateway.api_keys() == {}


def test_the_last_error_is_on_the_key_page_and_the_sync_action_repairs_it(
    admin_client: Client, rest_gateway: RestGateway, make_key: Any
) -> None:
    with failing(operation="CreateUsagePlanKey"):
        key = make_key()
    record = GatewayAPIKey.objects.get(key=key)
    assert record.state == SyncState.ERROR

    page = admin_client.get(f"/admin/api_keys/apikey/{key.pk}/change/").content.decode()
    assert "create_usage_plan_key: TooManyRequestsException: injected failure" in page
    response = admin_client.post(
        "/admin/api_keys/apikey/",
        {"action": "sync_with_gateway", "_selected_action": [key.pk]},
        follow=True,
    )

    assert "In sync with API Gateway." in response.content.decode()
    record.refresh_from_db()
    assert (record.state, record.last_error) == (SyncState.SYNCED, "")
    assert record.gateway_id in rest_gateway.plan_keys(key.plan.gateway.gateway_id)


def test_deleting_a_key_in_the_admin_deletes_it_in_api_gateway(
    admin_client: Client,
    rest_gateway: RestGateway,
    make_key: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    key = make_key()
    gateway_id = key.gateway.gateway_id

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/admin/api_keys/apikey/{key.pk}/delete/", {"post": "yes"})

    assert not APIKey.objects.filter(pk=key.pk).exists()
    assert gateway_id not in rest_gateway.api_keys()
    assert not GatewayAPIKey.objects.exists()


def test_the_chart_reads_api_gateways_usage_in_rest_mode(
    admin_client: Client, rest_gateway: RestGateway, make_key: Any, clock: FakeClock
) -> None:
    key = make_key()
    record = key.gateway
    today = clock.now.date()
    first = today - datetime.timedelta(days=29)
    pairs = [[0, 1000]] * 28 + [[12, 988], [3, 997]]
    stub = Stubber(gateway_client.client())
    stub.add_response(
        "get_usage",
        {"usagePlanId": record.gateway_plan_id, "items": {record.gateway_id: pairs}},
        {
            "usagePlanId": record.gateway_plan_id,
            "keyId": record.gateway_id,
            "startDate": first.isoformat(),
            "endDate": today.isoformat(),
        },
    )

    with stub:
        html = admin_client.get(f"/admin/api_keys/apikey/{key.pk}/change/").content.decode()

    assert "Counted by API Gateway (GetUsage)." in html
    assert f"{today - datetime.timedelta(days=1)}: 12 requests" in html
    assert f"{today}: 3 requests" in html
    stub.assert_no_pending_responses()


def test_when_api_gateway_cannot_say_the_chart_falls_back_and_says_so(
    admin_client: Client, rest_gateway: RestGateway, make_key: Any
) -> None:
    key = make_key()

    # moto has no GetUsage: a 404 "Not yet implemented", as an outage would look.
    html = admin_client.get(f"/admin/api_keys/apikey/{key.pk}/change/").content.decode()

    assert "Counted by this app&#x27;s meters: API Gateway&#x27;s usage is unavailable" in html


def test_with_the_sync_off_the_admin_shows_no_gateway_fields(
    admin_client: Client, make_key: Any
) -> None:
    key = make_key()

    page = admin_client.get(f"/admin/api_keys/apikey/{key.pk}/change/").content.decode()
    listing = admin_client.get("/admin/api_keys/apikey/").content.decode()

    assert "API Gateway (REST front door)" not in page
    assert "Counted by this app&#x27;s meters." in page
    assert ">off<" in listing
    assert not GatewayAPIKey.objects.exists()
    assert gateway_client.enabled() is False
