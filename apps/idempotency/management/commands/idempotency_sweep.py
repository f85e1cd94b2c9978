"""`manage.py idempotency_sweep`: remove Idempotency-Key records past their expiry."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from apps.idempotency.services import idempotency_sweep


class Command(BaseCommand):
    help = (
        "Remove Idempotency-Key records older than IDEMPOTENCY['TTL']. Lambda runs the same "
        "sweep on the photo function's schedule (every 15 minutes); use cron elsewhere."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        removed = idempotency_sweep()
        self.stdout.write(f"Removed {removed} expired idempotency records.")
