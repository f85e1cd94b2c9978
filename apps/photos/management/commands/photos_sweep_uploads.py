"""`manage.py photos_sweep_uploads`: settle expired uploads and abandoned processing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from apps.photos import services


class Command(BaseCommand):
    help = (
        "Process photos still pending after their upload form expired: the ones whose bytes "
        "arrived (a lost S3 event) become ready, the others failed. Run it every few minutes "
        "(Lambda runs the same sweep every 15 minutes; cron elsewhere). Photos abandoned "
        "mid-processing by a dead worker are processed again, and stored files a delete could not "
        "remove (an S3 error) are deleted again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        counts = services.photo_sweep()
        summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(counts.items()))
        self.stdout.write(f"Swept expired uploads: {summary or 'none'}.")
