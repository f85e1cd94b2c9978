"""System checks: a misspelt or mistyped IDENTITY setting fails at start-up."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, register

from apps.common.conf import check_namespace
from apps.identity import conf


@register()
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors = check_namespace("IDENTITY", conf.DEFAULTS, id="identity.E001")
    if errors:
        return errors
    # Values as configured: the dataclass types say what they should be, not what they are.
    current: Any = conf.identity_settings()
    if not isinstance(current.GATEWAY_CLAIM_HEADERS, bool):
        errors.append(
            Error("IDENTITY['GATEWAY_CLAIM_HEADERS'] must be a bool.", id="identity.E002")
        )
    issuers = current.ISSUERS
    if isinstance(issuers, str) or not all(isinstance(i, str) and i for i in issuers):
        errors.append(
            Error("IDENTITY['ISSUERS'] must be a list of issuer URLs.", id="identity.E003")
        )
    return errors
