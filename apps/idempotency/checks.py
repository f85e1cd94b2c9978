"""System checks: a misspelt or mistyped IDEMPOTENCY setting fails at start-up.

Registered at ready() (apps.idempotency.apps); the settings and stores modules are imported
when the check runs.
"""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, register

from apps.common.conf import check_namespace


@register()
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from apps.idempotency import conf
    from apps.idempotency.stores import STORES

    errors = check_namespace("IDEMPOTENCY", conf.DEFAULTS, id="idempotency.E001")
    if errors:
        return errors
    # Values as configured: the dataclass types say what they should be, not what they are.
    current: Any = conf.idempotency_settings()
    for name in ("TTL", "LEASE"):
        value = getattr(current, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            errors.append(
                Error(
                    f"IDEMPOTENCY['{name}'] must be a positive number of seconds.",
                    id="idempotency.E002",
                )
            )
    if current.STORE not in STORES:
        errors.append(
            Error(
                f"IDEMPOTENCY['STORE'] must be one of {', '.join(STORES)}.",
                id="idempotency.E004",
            )
        )
    if not errors and current.LEASE >= current.TTL:
        errors.append(
            Error(
                "IDEMPOTENCY['LEASE'] must be shorter than IDEMPOTENCY['TTL'].",
                id="idempotency.E003",
            )
        )
    return errors
