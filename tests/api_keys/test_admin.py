"""The admin control plane: plans, keys, raw key once, revoke, reset, users, usage chart."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client

from apps.api_keys.models import APIKey, DailyUsage, KeyMeter, UsagePlan
from tests.api_keys.clock import FakeClock
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PLAN_FORM = {
    "name": "Gold",
    "description": "",
    "rate": "5.5",
    "burst": "10",
    "limit": "1000",
    "period": "WEEK",
    "offset": "1",
}


@pytest.fixture
def staff() -> Any:
    return UserFactory(username="staff", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(staff: Any) -> Client:
    client = Client()
    client.force_login(staff)
    return client


# --- Usage plans ---------------------------------------------------------------------------


def test_a_valid_plan_is_created(admin_client: Client) -> None:
    response = admin_client.post("/admin/api_keys/usageplan/add/", PLAN_FORM)

    assert response.status_code == 302
    plan = UsagePlan.objects.get(name="Gold")
    assert (str(plan.rate), plan.burst, plan.limit, plan.period, plan.offset) == (
        "5.500",
        10,
        1000,
        "WEEK",
        1,
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"rate": "0"}, "rate"),
        ({"rate": "-1"}, "rate"),
        ({"rate": "abc"}, "rate"),
        ({"burst": "0"}, "burst"),
        ({"burst": "-3"}, "burst"),
        ({"limit": "-1"}, "limit"),
        ({"period": "YEAR"}, "period"),
        ({"period": "DAY", "offset": "1"}, "offset"),
        ({"period": "WEEK", "offset": "7"}, "offset"),
        ({"period": "MONTH", "offset": "28"}, "offset"),
        ({"name": ""}, "name"),
    ],
)
def test_invalid_plans_are_refused_with_a_field_error(
    admin_client: Client, changes: dict[str, str], field: str
) -> None:
    response = admin_client.post("/admin/api_keys/usageplan/add/", PLAN_FORM | changes)

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not UsagePlan.objects.filter(name=PLAN_FORM["name"]).exists()


def test_an_empty_limit_means_unlimited(admin_client: Client) -> None:
    admin_client.post("/admin/api_keys/usageplan/add/", PLAN_FORM | {"limit": ""})

    assert UsagePlan.objects.get(name="Gold").limit is None


def test_a_plan_in_use_cannot_be_deleted(admin_client: Client, make_key) -> None:
    key = make_key()

    response = admin_client.post(
        f"/admin/api_keys/usageplan/{key.plan.pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == 200
    assert "Cannot delete" in response.content.decode()
    assert UsagePlan.objects.filter(pk=key.plan.pk).exists()


# --- Keys: list, create, change -------------------------------------------------------------


def test_the_key_list_shows_owner_plan_prefix_status_last_used_and_usage(
    admin_client: Client, make_key, key_client, clock: FakeClock
) -> None:
    key = make_key(limit=100)
    key_client(key).get("/v1/pets")

    html = admin_client.get("/admin/api_keys/apikey/").content.decode()

    for column in ("name", "prefix", "owner", "plan", "status_label", "last_used"):
        assert f"column-{column}" in html
    assert key.prefix in html
    assert "alice" in html
    assert "active" in html
    assert "1 / 100 (day)" in html
    assert "Jan. 14, 2026" in html
    assert key.hashed_key not in html
    assert "sha512" not in html


def test_creating_a_key_shows_the_raw_key_once(admin_client: Client, make_plan, user: Any) -> None:
    plan = make_plan()

    response = admin_client.post(
        "/admin/api_keys/apikey/add/",
        {
            "owner": user.pk,
            "plan": plan.pk,
            "name": "laptop",
            "expiry_date_0": "",
            "expiry_date_1": "",
        },
    )

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    key = APIKey.objects.get(name="laptop")
    raw = re.search(r'value="([A-Za-z0-9]+\.[A-Za-z0-9]+)"', response.content.decode())
    assert raw is not None
    raw_key = raw.group(1)
    assert raw_key.startswith(key.prefix + ".")
    assert KeyMeter.objects.filter(pk=key.pk).exists()
    # It works, and is never shown again, nor kept in the session or a cookie.
    assert Client().get("/v1/usage", HTTP_X_API_KEY=raw_key).status_code == 200
    change_page = admin_client.get(f"/admin/api_keys/apikey/{key.pk}/change/").content.decode()
    listing = admin_client.get("/admin/api_keys/apikey/").content.decode()
    secret = raw_key.partition(".")[2]
    assert secret not in change_page + listing
    assert all(secret not in morsel.value for morsel in admin_client.cookies.values())
    assert LogEntry.objects.filter(object_id=str(key.pk), action_flag=1).exists()
    assert secret not in str(list(LogEntry.objects.values()))


def test_the_change_page_never_shows_the_hash(admin_client: Client, make_key) -> None:
    key = make_key()

    html = admin_client.get(f"/admin/api_keys/apikey/{key.pk}/change/").content.decode()

    assert key.prefix in html
    assert key.hashed_key.split("$$")[1] not in html
    assert "hashed_key" not in html


def test_revoked_cannot_be_unset_from_the_change_form(admin_client: Client, make_key) -> None:
    key = make_key()
    key.revoked = True
    key.save()

    admin_client.post(
        f"/admin/api_keys/apikey/{key.pk}/change/",
        {"name": "again", "plan": key.plan.pk, "revoked": ""},
    )

    key.refresh_from_db()
    assert key.revoked is True
    assert key.name != "again"


def test_the_change_page_has_an_accessible_svg_chart_of_30_days(
    admin_client: Client, make_key, clock: FakeClock
) -> None:
    key = make_key()
    DailyUsage.objects.create(key=key, date=datetime.date(2026, 1, 10), count=42)
    DailyUsage.objects.create(key=key, date=datetime.date(2025, 12, 1), count=999)  # too old
    KeyMeter.objects.filter(pk=key.pk).update(day=datetime.date(2026, 1, 14), day_count=7)

    response = admin_client.get(f"/admin/api_keys/apikey/{key.pk}/change/")

    html = response.content.decode()
    start = html.index('<svg xmlns="http://www.w3.org/2000/svg" role="img"')
    svg = html[start : html.index("</svg>", start)]
    assert "<title" in svg
    assert "<desc" in svg
    assert svg.count("<rect") == 30
    assert "2026-01-10: 42 requests" in svg
    assert "2026-01-14: 7 requests" in svg
    assert "999" not in svg
    assert "<table>" in html
    assert "<td>2025-12-16</td>" in html
    assert "<script" not in html[html.index('id="daily-usage"') :].split("</fieldset>")[0]


# --- Actions ---------------------------------------------------------------------------------


def test_revoking_asks_for_confirmation_then_is_final_and_logged(
    admin_client: Client, make_key, key_client
) -> None:
    key = make_key()
    data = {"action": "revoke_keys", "_selected_action": [key.pk]}

    confirm = admin_client.post("/admin/api_keys/apikey/", data)
    key.refresh_from_db()
    assert confirm.status_code == 200
    assert "cannot be undone" in confirm.content.decode()
    assert key.revoked is False

    done = admin_client.post("/admin/api_keys/apikey/", data | {"confirmed": "yes"})

    key.refresh_from_db()
    assert done.status_code == 302
    assert key.revoked is True
    assert key_client(key).get("/v1/pets").status_code == 403
    entry = LogEntry.objects.get(object_id=str(key.pk))
    assert "Revoked" in entry.get_change_message()


def test_reset_usage_starts_the_quota_again_and_is_logged(
    admin_client: Client, make_key, key_client, clock: FakeClock, staff: Any
) -> None:
    key = make_key(limit=2)
    client = key_client(key)
    assert [client.get("/v1/pets").status_code for _ in range(3)] == [200, 200, 429]

    response = admin_client.post(
        "/admin/api_keys/apikey/", {"action": "reset_usage", "_selected_action": [key.pk]}
    )

    assert response.status_code == 302
    assert client.get("/v1/pets").status_code == 200
    entry = LogEntry.objects.get(object_id=str(key.pk))
    assert entry.user == staff
    assert entry.get_change_message() == "Reset usage for this period (2 requests forgotten)."
    assert KeyMeter.objects.get(pk=key.pk).day_count == 3  # history keeps what happened


# --- Users, access ------------------------------------------------------------------------------


def test_a_users_page_lists_their_keys_inline(admin_client: Client, make_key, user: Any) -> None:
    key = make_key()

    html = admin_client.get(f"/admin/auth/user/{user.pk}/change/").content.decode()

    assert "API keys" in html
    assert key.prefix in html
    assert key.hashed_key not in html


def test_the_librarys_own_key_admin_is_not_registered(admin_client: Client) -> None:
    assert admin_client.get("/admin/rest_framework_api_key/apikey/").status_code == 404


@pytest.mark.parametrize(
    "path", ["/admin/api_keys/apikey/", "/admin/api_keys/usageplan/", "/admin/api_keys/apikey/add/"]
)
def test_the_admin_is_staff_only(path: str, user: Any) -> None:
    client = Client()
    client.force_login(user)

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_changelist_cannot_be_filtered_on_key_hashes(admin_client: Any, make_key) -> None:
    key = make_key()

    response = admin_client.get(
        "/admin/api_keys/apikey/", {"hashed_key__startswith": key.hashed_key[:12]}
    )

    # Django refuses a disallowed lookup (DisallowedModelAdminLookup): no filtering at all.
    assert response.status_code == 400
    assert key.prefix not in response.content.decode()


def test_editing_a_key_never_undoes_a_revocation_made_meanwhile(
    admin_client: Any, make_key
) -> None:
    from django.db.models.signals import pre_save

    from apps.api_keys.models import APIKey

    key = make_key()

    def revoke_meanwhile(sender: Any, instance: APIKey, **kwargs: Any) -> None:
        # Another admin revokes between this request's load and its save.
        APIKey.objects.filter(pk=instance.pk).update(revoked=True)

    pre_save.connect(revoke_meanwhile, sender=APIKey, dispatch_uid="revoke-meanwhile")
    try:
        admin_client.post(
            f"/admin/api_keys/apikey/{key.pk}/change/",
            {"name": "renamed", "plan": key.plan.pk, "expiry_date_0": "", "expiry_date_1": ""},
        )
    finally:
        pre_save.disconnect(dispatch_uid="revoke-meanwhile", sender=APIKey)

    stored = APIKey.objects.get(pk=key.pk)
    assert (stored.name, stored.revoked) == ("renamed", True)


def test_last_used_is_formatted_like_the_other_dates(
    admin_client: Client, make_key, key_client, clock: FakeClock
) -> None:
    key = make_key()
    key_client(key).get("/v1/pets")
    APIKey.objects.filter(pk=key.pk).update(created=clock.now)

    html = admin_client.get(f"/admin/api_keys/apikey/{key.pk}/change/").content.decode()

    def field(name: str) -> str:
        block = html[html.index(f'class="form-row field-{name}"') :]
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", block[: block.index("</div>\n")]))

    assert "Jan. 14, 2026, noon" in field("created")
    assert "Jan. 14, 2026, noon" in field("last_used")
    assert "2026-01-14" not in field("last_used")


def test_a_key_never_used_says_never(admin_client: Client, make_key) -> None:
    key = make_key()

    html = admin_client.get(f"/admin/api_keys/apikey/{key.pk}/change/").content.decode()

    block = html[html.index('class="form-row field-last_used"') :]
    assert "never" in block[: block.index("</div>\n")]
