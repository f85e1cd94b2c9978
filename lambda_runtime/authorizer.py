"""The key authorizer's Lambda plumbing: log context and database connections per call.

The decision itself is apps.api_keys.authorizer.decide; Django is set up by the handler
module's init, as for every entry point.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core import signals

from apps.api_keys import conf
from apps.api_keys.authorizer import decide
from apps.common.logging import request_context

logger = logging.getLogger("gatewayproject.lambda")


def authorize(event: Any, context: Any) -> dict[str, Any]:
    """The decision; an error (the database is down, say) is raised, not turned into a
    deny: API Gateway then answers 500 and caches nothing, where a deny would be cached
    for the TTL and lock a good key out."""
    log_context: dict[str, Any] = {}
    if lambda_id := getattr(context, "aws_request_id", None):
        log_context["requestId"] = lambda_id
    request_context_ = event.get("requestContext") if isinstance(event, dict) else None
    if isinstance(request_context_, dict) and isinstance(request_context_.get("requestId"), str):
        log_context["gatewayRequestId"] = request_context_["requestId"]
    token = request_context.set(log_context)
    # What Django's handler sends around a request: its receivers drop connections past
    # CONN_MAX_AGE or broken and keep the others for the next (warm) invocation.
    signals.request_started.send(sender=__name__)
    try:
        if not isinstance(event, dict):
            logger.error("Key authorizer: the event is not an object")
            return {"isAuthorized": False}
        return decide(event, now=conf.now())
    except Exception:
        logger.exception("Key authorizer failed")
        raise
    finally:
        signals.request_finished.send(sender=__name__)
        request_context.reset(token)
