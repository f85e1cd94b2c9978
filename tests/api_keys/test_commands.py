"""manage.py create_api_key: prints the raw key once, clear errors for bad input."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from apps.api_keys.models import APIKey

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_key", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_prints_only_the_raw_key_on_stdout_and_it_works(user: Any, make_plan) -> None:
    make_plan(name="Gold")

    out, err = run("--user", "alice", "--plan", "Gold", "--name", "laptop")

    raw_key = out.strip()
    key = APIKey.objects.get()
    assert raw_key.startswith(key.prefix + ".")
    assert (key.owner, key.plan.name, key.name) == (user, "Gold", "laptop")
    assert "cannot be shown again" in err
    assert raw_key.partition(".")[2] not in err
    assert Client().get("/v1/usage", HTTP_X_API_KEY=raw_key).status_code == 200


def test_the_default_plan_and_name(user: Any) -> None:
    from apps.api_keys.models import UsagePlan

    UsagePlan.objects.get_or_create(name="Default", defaults={"rate": 10, "burst": 20})

    run("--user", "alice")

    key = APIKey.objects.get()
    assert (key.plan.name, key.name) == ("Default", "cli")


def test_each_run_makes_a_new_key(user: Any, make_plan) -> None:
    make_plan(name="Gold")

    first, _ = run("--user", "alice", "--plan", "Gold")
    second, _ = run("--user", "alice", "--plan", "Gold")

    assert first != second
    assert APIKey.objects.count() == 2


def test_with_an_expiry(user: Any, make_plan) -> None:
    make_plan(name="Gold")

    run("--user", "alice", "--plan", "Gold", "--expires", "2030-01-01T00:00Z")

    assert APIKey.objects.get().expiry_date.isoformat() == "2030-01-01T00:00:00+00:00"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--user", "nobody", "--plan", "Gold"],
            "No user named 'nobody' (add --create-user to create one).",
        ),
        (["--user", "alice", "--plan", "Platinum"], "No usage plan named 'Platinum' (plans: "),
        (["--user", "alice", "--plan", "Gold", "--name", "x" * 51], "name: Ensure this value"),
        (["--user", "alice", "--plan", "Gold", "--expires", "tomorrow"], "--expires must be"),
        (["--user", "alice", "--plan", "Gold", "--expires", "2030-13-45T00:00Z"], "--expires"),
        (["--user", "alice", "--plan", "Gold", "--expires", "2030-01-01T00:00"], "with a zone"),
    ],
)
def test_bad_input_is_a_clear_error_and_creates_nothing(
    user: Any, make_plan, args: list[str], message: str
) -> None:
    make_plan(name="Gold")

    with pytest.raises(CommandError, match=re.escape(message)):
        run(*args)

    assert not APIKey.objects.exists()


def test_user_is_required() -> None:
    with pytest.raises(CommandError, match="--user"):
        run("--plan", "Gold")


def test_create_user_makes_a_passwordless_user_whose_key_works(make_plan) -> None:
    from django.contrib.auth.models import User

    make_plan(name="Gold")

    out, err = run("--user", "newcomer", "--plan", "Gold", "--create-user")

    user = User.objects.get(username="newcomer")
    assert not user.has_usable_password()
    assert not user.is_staff
    assert "Created user 'newcomer'" in err
    assert Client().get("/v1/pets", HTTP_X_API_KEY=out.strip()).status_code == 200


def test_create_user_keeps_an_existing_user(user: Any, make_plan) -> None:
    make_plan(name="Gold")

    run("--user", "alice", "--plan", "Gold", "--create-user")

    assert APIKey.objects.get().owner == user


def test_without_create_user_an_unknown_user_is_refused(make_plan) -> None:
    make_plan(name="Gold")

    with pytest.raises(CommandError, match="--create-user"):
        run("--user", "ghost", "--plan", "Gold")


def test_create_user_refuses_an_invalid_username(make_plan) -> None:
    make_plan(name="Gold")

    with pytest.raises(CommandError, match="Cannot create user"):
        run("--user", "bad name!", "--plan", "Gold", "--create-user")


def test_create_admin_makes_a_superuser_with_a_generated_password() -> None:
    from django.contrib.auth.models import User

    out = io.StringIO()
    call_command("create_admin", "--username", "root", "--email", "r@example.com", stdout=out)

    password = out.getvalue().rsplit(": ", 1)[1].strip()
    user = User.objects.get(username="root")
    assert (user.is_staff, user.is_superuser, user.email) == (True, True, "r@example.com")
    assert len(password) >= 20
    assert user.check_password(password)


def test_create_admin_reset_password_replaces_the_old_one(user: Any) -> None:
    user.set_password("old-password-123")
    user.save()
    out = io.StringIO()

    call_command("create_admin", "--username", "alice", "--reset-password", stdout=out)

    user.refresh_from_db()
    assert not user.check_password("old-password-123")
    assert user.check_password(out.getvalue().rsplit(": ", 1)[1].strip())
    assert user.is_staff


def test_create_admin_refuses_an_existing_user_and_a_bad_name(user: Any) -> None:
    with pytest.raises(CommandError, match="--reset-password"):
        call_command("create_admin", "--username", "alice")
    with pytest.raises(CommandError):
        call_command("create_admin", "--username", "bad name!")
