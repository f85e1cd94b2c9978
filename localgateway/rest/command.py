"""What `rungateway` does for the REST API variant: choose it, read it, set the app up for it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError

from localgateway.rest.model import RestSpec
from localgateway.rest.spec import front_door, load_rest_spec
from localgateway.spec import TemplateError


def serves_rest(template: Path, *, api: str | None, parameters: dict[str, str]) -> bool:
    """Whether to serve the REST API: named by --api, or the one the parameters deploy."""
    try:
        return front_door(template, api=api, parameters=parameters) == "rest"
    except TemplateError as exc:
        raise CommandError(str(exc)) from exc


def rest_spec(template: Path, options: dict[str, Any], parameters: dict[str, str]) -> RestSpec:
    if options["upstream"]:
        raise CommandError(
            "--upstream serves the container variant, an HTTP API; the REST API invokes the "
            "Lambda handler"
        )
    if options["jwt_issuer"]:
        raise CommandError("--jwt-issuer configures the HTTP API's JWT authorizer")
    try:
        return load_rest_spec(
            template, api=options["api"], stage=options["stage"], parameters=parameters
        )
    except TemplateError as exc:
        raise CommandError(str(exc)) from exc


def handler_of(spec: RestSpec, override: str | None) -> str:
    handlers = {m.handler for m in spec.methods if m.integration == "lambda"}
    handler = override or (handlers.pop() if len(handlers) == 1 else None)
    if not handler:
        raise CommandError(
            f"methods use several handlers {sorted(handlers)}; choose one with --handler"
        )
    return handler


def gateway_metering() -> None:
    """Django's metering off for requests the REST API's usage plans metered, as the
    template's REST front door sets it (API_KEYS_GATEWAY_METERING): in this process, and in
    the --isolate workers, which read the environment when they start."""
    os.environ["API_KEYS_GATEWAY_METERING"] = "true"
    settings.API_KEYS = {**settings.API_KEYS, "GATEWAY_METERING": True}
