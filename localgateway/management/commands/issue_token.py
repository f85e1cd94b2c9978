"""`manage.py issue_token --user NAME --scope pets/read ...`: a token from the local issuer."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from localgateway import local_issuer


class Command(BaseCommand):
    help = (
        "Print an access token signed by the local issuer, whose keys `rungateway "
        "--jwt-issuer local` serves as a JWKS: the JWT authorizer then checks it for real."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--user", required=True, help="The token's subject (`sub`).")
        parser.add_argument(
            "--scope",
            action="append",
            default=None,
            help="A scope, e.g. pets/read (repeatable; default pets/read and pets/write).",
        )
        parser.add_argument("--email", help="An `email` claim (default: none).")
        parser.add_argument(
            "--issuer",
            default=local_issuer.default_issuer(),
            help="`iss`: the issuer URL rungateway serves (default %(default)s; use the "
            "gateway's own address if it listens elsewhere).",
        )
        parser.add_argument(
            "--audience",
            default=local_issuer.DEFAULT_AUDIENCE,
            help="`aud` and `client_id` (default %(default)s).",
        )
        parser.add_argument(
            "--expires-in", type=int, default=3600, help="Lifetime in seconds (default 3600)."
        )
        parser.add_argument(
            "--rotate",
            action="store_true",
            help="Make a new signing key (a new `kid`) first; the previous one stays in the JWKS.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["expires_in"] <= 0:
            raise CommandError("--expires-in must be positive")
        if not options["user"].strip():
            raise CommandError("--user must not be empty")
        directory = local_issuer.keys_dir()
        key = local_issuer.rotate(directory) if options["rotate"] else None
        claims = local_issuer.token_claims(
            issuer=options["issuer"].rstrip("/"),
            audience=options["audience"],
            user=options["user"],
            scopes=options["scope"] or ["pets/read", "pets/write"],
            email=options["email"],
            lifetime=options["expires_in"],
        )
        self.stdout.write(local_issuer.sign(claims, directory, key))
