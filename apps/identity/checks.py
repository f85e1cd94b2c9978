"""System checks: a misspelt or mistyped IDENTITY setting fails at start-up."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from apps.identity.conf import KNOWN


@register()
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    configured = getattr(settings, "IDENTITY", None)
    if configured is None:
        return []
    if not isinstance(configured, dict):
        return [Error("IDENTITY must be a dict.", id="identity.E001")]
    errors: list[CheckMessage] = []
    unknown = sorted(str(key) for key in configured if key not in KNOWN)
    if unknown:
        errors.append(
            Error(
                f"IDENTITY has unknown keys: {', '.join(unknown)}.",
                hint=f"Known keys: {', '.join(sorted(KNOWN))}.",
                id="identity.E001",
            )
        )
    if not isinstance(configured.get("GATEWAY_CLAIM_HEADERS", False), bool):
        errors.append(
            Error("IDENTITY['GATEWAY_CLAIM_HEADERS'] must be a bool.", id="identity.E002")
        )
    issuers = configured.get("ISSUERS", ())
    if isinstance(issuers, str) or not all(isinstance(i, str) and i for i in issuers):
        errors.append(
            Error("IDENTITY['ISSUERS'] must be a list of issuer URLs.", id="identity.E003")
        )
    return errors
