"""`manage.py realtime_sweep`: what the realtime function's schedule does, from a shell."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from apps.realtime.services import connection_sweep


class Command(BaseCommand):
    help = (
        "Close connections of revoked or expired keys, forget connections API Gateway no "
        "longer holds, delete expired tickets."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        counts = connection_sweep(now=timezone.now())
        self.stdout.write(", ".join(f"{name}: {count}" for name, count in counts.items()))
