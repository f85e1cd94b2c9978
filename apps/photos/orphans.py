"""The sweep of stored files a delete could not remove (storage.remember_orphan kept them)."""

from __future__ import annotations

from apps.photos import storage
from apps.photos.models import OrphanedFile

# One sweep's share: the rest waits for the next run, so a long outage's backlog never
# holds one invocation past its timeout.
SWEEP_BATCH = 500


def sweep(batch: int = SWEEP_BATCH) -> dict[str, int]:
    """Delete the remembered files again; counts of the ones deleted and the ones kept."""
    counts = {"orphans deleted": 0, "orphans kept": 0}
    for orphan in OrphanedFile.objects.all()[:batch]:
        try:
            storage.storage().delete(orphan.name)
        except Exception as exc:  # Storage backends raise their own types (botocore, OSError).
            storage.remember_orphan(orphan.name, exc)  # One more attempt, the new error.
            counts["orphans kept"] += 1
        else:
            orphan.delete()
            counts["orphans deleted"] += 1
    return {outcome: count for outcome, count in counts.items() if count}
