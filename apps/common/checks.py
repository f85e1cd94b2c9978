"""System checks: a misspelt or mistyped CONDITIONAL_REQUESTS or OBSERVABILITY fails at start-up."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, register

from apps.common.conditional import DEFAULTS, conditional_settings
from apps.common.conf import check_namespace
from apps.common.metrics import OBSERVABILITY_DEFAULTS, observability_settings


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


@register()
def check_observability(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors = check_namespace("OBSERVABILITY", OBSERVABILITY_DEFAULTS, id="common.E003")
    if errors:
        return errors
    config: Any = observability_settings()
    namespace = config.NAMESPACE
    # CloudWatch namespaces: 1-255 characters, not starting with "AWS/" (AWS's own).
    if (
        not isinstance(namespace, str)
        or not 0 < len(namespace) <= 255
        or namespace.startswith("AWS/")
    ):
        errors.append(
            Error(
                "OBSERVABILITY['NAMESPACE'] must be 1-255 characters, not starting with AWS/.",
                id="common.E004",
            )
        )
    if not isinstance(config.METRICS, bool):
        errors.append(Error("OBSERVABILITY['METRICS'] must be a bool.", id="common.E005"))
    cache = config.DEEP_HEALTH_CACHE
    if isinstance(cache, bool) or not isinstance(cache, int | float) or not 0 <= cache <= 3600:
        errors.append(
            Error("OBSERVABILITY['DEEP_HEALTH_CACHE'] must be 0 to 3600 seconds.", id="common.E006")
        )
    return errors
