"""`manage.py health [--deep]`: the health check from a shell or Lambda's manage entry point."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.common import health


class Command(BaseCommand):
    help = (
        "Check the database (and with --deep the bucket or media folder and Redis when "
        "configured), each timed, and print the JSON report with each failure's error. "
        "Exits 1 when a dependency fails. Never cached."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--deep", action="store_true", help="check every dependency, not only the database"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["deep"]:
            report = health.run_checks()
        else:
            report = health.HealthReport({"database": health.check_database()}, health.utc_now())
        self.stdout.write(json.dumps(report.as_dict(details=True), indent=2))
        if not report.ok:
            failed = [name for name, r in report.checks.items() if r.status == "fail"]
            raise CommandError(f"unhealthy: {', '.join(failed)}", returncode=1)
