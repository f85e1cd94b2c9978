"""`manage.py create_api_key --user NAME --plan NAME [--name ...]`: prints the raw key once."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_datetime

from apps.api_keys.models import UsagePlan
from apps.api_keys.services import KeyNotCreatedError, api_key_create


class Command(BaseCommand):
    help = (
        "Create an API key for a user on a usage plan. The key alone goes to stdout, once "
        "(only its hash is stored), so scripts can capture it: KEY=$(manage.py create_api_key ...)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="The owner's username.")
        parser.add_argument(
            "--create-user",
            action="store_true",
            help="Create the user first if there is none (no password: API access only).",
        )
        parser.add_argument("--plan", default="Default", help='A usage plan name ("Default").')
        parser.add_argument("--name", default="", help="A label for the key (default: cli).")
        parser.add_argument(
            "--expires", default=None, help="Optional ISO 8601 expiry, e.g. 2030-01-01T00:00Z."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        try:
            owner = user_model._default_manager.get_by_natural_key(options["user"])
        except user_model.DoesNotExist:
            if not options["create_user"]:
                raise CommandError(
                    f"No user named {options['user']!r} (add --create-user to create one)."
                ) from None
            owner = self._create_user(options["user"])
        try:
            plan = UsagePlan.objects.get(name=options["plan"])
        except UsagePlan.DoesNotExist:
            known = ", ".join(UsagePlan.objects.values_list("name", flat=True)) or "none"
            raise CommandError(
                f"No usage plan named {options['plan']!r} (plans: {known})."
            ) from None
        expiry = self._expiry(options["expires"])
        try:
            key, raw_key = api_key_create(
                owner=owner, plan=plan, name=options["name"] or "cli", expiry_date=expiry
            )
        except KeyNotCreatedError as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            ) from None
        self.stdout.write(raw_key)
        self.stderr.write(
            f"Created API key {key.prefix!r} for {owner} on plan {plan}. "
            "Store it now: it cannot be shown again. Send it as the x-api-key header."
        )

    def _create_user(self, username: str) -> Any:
        user_model = get_user_model()
        user = user_model(**{user_model.USERNAME_FIELD: username})
        user.set_unusable_password()
        try:
            user.full_clean()
        except KeyNotCreatedError as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            raise CommandError(f"Cannot create user {username!r}: {exc.messages[0]}") from None
        user.save()
        self.stderr.write(f"Created user {username!r} (no password: it signs in with keys only).")
        return user

    @staticmethod
    def _expiry(value: str | None) -> datetime.datetime | None:
        if not value:
            return None
        try:
            parsed = parse_datetime(value.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            raise CommandError(
                f"--expires must be an ISO 8601 date-time with a zone, not {value!r}."
            )
        return parsed
