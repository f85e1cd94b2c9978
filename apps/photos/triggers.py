"""What triggers the photo function: S3 notifications, the sweep schedule; the rest is ignored.

The schedule also removes expired Idempotency-Key records: it is the deployment's one
periodic job (`manage.py idempotency_sweep` does the same elsewhere).
"""

from __future__ import annotations

import logging
from typing import Any

from apps.idempotency.services import idempotency_sweep
from apps.photos import services
from apps.photos.notifications import close_stale_connections, handle_notification

logger = logging.getLogger(__name__)


def is_scheduled(event: Any) -> bool:
    """An EventBridge schedule's event (`rate(...)`/`cron(...)`)."""
    # https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html
    return (
        isinstance(event, dict)
        and event.get("source") == "aws.events"
        and event.get("detail-type") == "Scheduled Event"
    )


def dispatch(event: Any, context: object | None = None) -> dict[str, Any]:
    """Route one invocation; an event of unknown shape is logged and ignored, never a crash.

    Raising would make Lambda retry (and dead-letter) an event that can never succeed.
    """
    if is_scheduled(event):
        close_stale_connections()
        try:
            counts = services.photo_sweep()
            removed = idempotency_sweep()
        finally:
            close_stale_connections()
        logger.info("Swept photos", extra={"counts": counts, "idempotencyRemoved": removed})
        return {"swept": counts, "idempotency_records_removed": removed}
    if isinstance(event, dict) and isinstance(event.get("Records"), list):
        return handle_notification(event, context)
    shape = sorted(event)[:10] if isinstance(event, dict) else type(event).__name__
    logger.warning("Ignoring an event of unknown shape", extra={"shape": shape})
    return {"ignored": "unknown event"}
