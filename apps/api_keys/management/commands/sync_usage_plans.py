"""`manage.py sync_usage_plans`: bring API Gateway in line with the admin's plans and keys."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from apps.api_keys.gateway import client
from apps.api_keys.gateway.client import GatewayError
from apps.api_keys.gateway.sync import sync_all


class Command(BaseCommand):
    help = (
        "REST API front door: create, update and delete API Gateway usage plans and keys so "
        "they match the admin's (drift repair; safe to run again after any failure). Keys "
        "made before the sync was on cannot be synced: their value is unknown. Exit status "
        "1 when anything is left out of sync (see each one's page in the admin)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not client.enabled():
            raise CommandError(
                "The REST API sync is off: set API_GATEWAY_REST_API_ID (API_KEYS"
                "['GATEWAY_REST_API_ID']) and API_GATEWAY_REST_STAGE."
            )
        try:
            report = sync_all()
        except GatewayError as exc:
            raise CommandError(f"API Gateway could not be read: {exc}") from exc
        self.stdout.write(
            f"In sync: {report.synced}. Deleted in API Gateway: {report.deleted}. "
            f"Cannot sync (made before the sync, value unknown): {report.unsyncable}."
        )
        if not report.ok:
            for error in report.errors:
                self.stderr.write(f"Not in sync: {error}")
            raise CommandError(f"{len(report.errors)} left out of sync; run it again.")
