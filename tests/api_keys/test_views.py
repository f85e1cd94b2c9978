"""GET /v1/usage, and the OpenAPI document: the x-api-key scheme, 403 and 429."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client

from apps.api_keys.serializers import UsageSerializer
from tests.api_keys.clock import FakeClock
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_usage_describes_the_key_plan_throttle_and_quota(
    make_plan, make_key, key_client, clock: FakeClock
) -> None:
    plan = make_plan(name="Gold", rate=2.5, burst=7, limit=100, period="WEEK", offset=1)
    key = make_key(plan=plan)
    client = key_client(key)
    client.get("/v1/pets")

    response = client.get("/v1/usage")

    assert response.status_code == 200
    assert response.json() == {
        "key": {"prefix": key.prefix, "name": key.name, "expires_at": None},
        "token": None,
        "plan": {"name": "Gold", "description": ""},
        "throttle": {"rate": 2.5, "burst": 7},
        "quota": {
            "limit": 100,
            "used": 2,
            "remaining": 98,
            "period": "WEEK",
            "offset": 1,
            # Wednesday 2026-01-14; weeks start on Monday.
            "period_start": "2026-01-12T00:00:00Z",
            "resets_at": "2026-01-19T00:00:00Z",
        },
    }
    assert response["X-RateLimit-Remaining"] == "98"


def test_usage_of_an_unlimited_plan_has_null_limit_and_remaining(
    make_key, key_client, clock
) -> None:
    key = make_key(limit=None, period="MONTH")
    key.expiry_date = datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)
    key.save()

    body = key_client(key).get("/v1/usage/").json()

    assert body["quota"]["limit"] is None
    assert body["quota"]["remaining"] is None
    assert body["quota"]["used"] == 1
    assert body["quota"]["resets_at"] == "2026-02-01T00:00:00Z"
    assert body["key"]["expires_at"] == "2030-01-01T00:00:00Z"


def test_usage_counts_itself_and_can_be_refused(make_key, key_client, clock) -> None:
    client = key_client(make_key(limit=1))

    first, second = client.get("/v1/usage"), client.get("/v1/usage")

    assert first.json()["quota"]["used"] == 1
    assert second.status_code == 429
    assert second.json() == {"message": "Limit Exceeded"}


def test_usage_needs_a_key(anon_client) -> None:
    response = anon_client.get("/v1/usage")

    assert response.status_code == 403
    assert response.json() == {"message": "Forbidden"}


def test_usage_is_forbidden_to_a_staff_session_without_a_key() -> None:
    client = Client()
    client.force_login(UserFactory(username="staff", is_staff=True))

    response = client.get("/v1/usage")

    assert response.status_code == 403
    assert response.json() == {"message": "Forbidden"}


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_usage_is_read_only(make_key, key_client, method: str) -> None:
    response = getattr(key_client(make_key()), method)("/v1/usage")

    assert response.status_code == 405


# --- OpenAPI ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema(django_db_blocker: Any) -> dict[str, Any]:
    with django_db_blocker.unblock():
        return dict(Client().get("/v1/openapi.json").json())


def test_the_key_and_bearer_schemes_are_the_documented_schemes(schema: dict[str, Any]) -> None:
    schemes = schema["components"]["securitySchemes"]

    assert set(schemes) == {"ApiKeyAuth", "BearerAuth"}
    assert (schemes["BearerAuth"]["type"], schemes["BearerAuth"]["scheme"]) == ("http", "bearer")
    assert (schemes["ApiKeyAuth"]["type"], schemes["ApiKeyAuth"]["in"]) == ("apiKey", "header")
    assert schemes["ApiKeyAuth"]["name"] == "x-api-key"


def test_keyed_operations_require_the_key_and_document_403_and_429(
    schema: dict[str, Any],
) -> None:
    # The local presigned-upload endpoint is authorised by its signed form, like S3 itself.
    open_by_design = {"/v1/photos/uploads/local"}
    for path, item in schema["paths"].items():
        if not path.startswith("/v1/") or path in open_by_design:
            continue
        for method, operation in item.items():
            # The key first: a generator that wires one scheme wires x-api-key.
            assert operation["security"] == [{"ApiKeyAuth": []}, {"BearerAuth": []}], (path, method)
            assert {"403", "429"} <= set(operation["responses"]), (path, method)


def test_open_operations_have_no_security_requirement(schema: dict[str, Any]) -> None:
    health = schema["paths"]["/health"]["get"]

    assert health.get("security", [{}]) == [{}] or "security" not in health
    assert "429" not in health["responses"]


def test_usage_response_schema(schema: dict[str, Any]) -> None:
    operation = schema["paths"]["/v1/usage"]["get"]
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    usage = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]

    assert set(usage["properties"]) == {"key", "token", "plan", "throttle", "quota"}
    quota = schema["components"]["schemas"]["Quota"]
    assert set(quota["required"]) == set(UsageSerializer().fields["quota"].fields)
    assert quota["properties"]["limit"]["nullable"] is True
    assert quota["properties"]["resets_at"]["format"] == "date-time"


def test_usage_across_a_period_boundary_describes_the_period_it_counted_in(
    make_key, key_client, clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime

    from apps.api_keys import throttling

    key = make_key(limit=100, period="DAY")
    midnight = datetime.datetime(2026, 1, 15, tzinfo=datetime.UTC)
    clock.set(midnight - datetime.timedelta(milliseconds=1))
    real_allow = throttling.UsagePlanThrottle.allow_request

    def admit_then_cross_midnight(self: Any, request: Any, view: Any) -> bool:
        allowed = real_allow(self, request, view)
        clock.set(midnight + datetime.timedelta(milliseconds=1))  # the day ends mid-request
        return allowed

    monkeypatch.setattr(throttling.UsagePlanThrottle, "allow_request", admit_then_cross_midnight)

    quota = key_client(key).get("/v1/usage").json()["quota"]

    assert quota["used"] == 1
    assert quota["resets_at"].startswith("2026-01-15T00:00:00")
    assert quota["period_start"].startswith("2026-01-14T00:00:00")
