"""System checks: a misspelt or mistyped CONDITIONAL_REQUESTS setting fails at start-up."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, register

from apps.common.conditional import DEFAULTS, conditional_settings
from apps.common.conf import check_namespace


@register()
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors = check_namespace("CONDITIONAL_REQUESTS", DEFAULTS, id="common.E001")
    if errors:
        return errors
    # The value as configured: the dataclass type says what it should be, not what it is.
    required: Any = conditional_settings().REQUIRE_IF_MATCH
    if not isinstance(required, bool):
        return [Error("CONDITIONAL_REQUESTS['REQUIRE_IF_MATCH'] must be a bool.", id="common.E002")]
    return []
