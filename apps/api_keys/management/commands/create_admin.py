"""`manage.py create_admin --username NAME [--email E] [--reset-password]`: the first admin.

Made for a deployed function, where `createsuperuser` cannot prompt and a password passed
in the invocation would stay in its payload and logs: the password is generated here and
printed once, in the command's output only (the Lambda `manage` entry point returns the
output to the caller and logs just the command name and arguments).
"""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction


class Command(BaseCommand):
    help = (
        "Create a superuser with a generated password, printed once; or, with "
        "--reset-password, give an existing user a new one (and staff rights)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--reset-password",
            action="store_true",
            help="The user exists: issue a new generated password and make it an active "
            "staff superuser (admin recovery) instead of failing.",
        )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        username, email = options["username"], options["email"]
        user = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username}).first()
        if user is not None and not options["reset_password"]:
            raise CommandError(
                f"A user named {username!r} exists; add --reset-password to issue a new password."
            )
        if user is None:
            user = user_model(**{user_model.USERNAME_FIELD: username}, email=email)
        user.is_staff = user.is_superuser = user.is_active = True
        password = secrets.token_urlsafe(18)
        try:
            user.full_clean(exclude=["password"])
            password_validation.validate_password(password, user)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        user.set_password(password)
        user.save()
        self.stdout.write(
            f"Superuser {username!r} is ready. Its password, shown only this once "
            f"(change it after signing in): {password}"
        )
