"""App settings, read lazily from the `IDENTITY` dict so tests can override them."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from django.conf import settings


@dataclass(frozen=True)
class IdentitySettings:
    """`settings.IDENTITY` over these defaults (unknown keys: the system check identity.E001)."""

    # Trust the claim headers that API Gateway's parameter mapping writes (x-gateway-jwt-*).
    # Only the container behind the VPC link turns this on (infra/template.yaml): anywhere
    # else those headers come from the client.
    GATEWAY_CLAIM_HEADERS: bool = False
    # Issuers whose tokens may sign users in; empty: any issuer the gateway accepted.
    ISSUERS: tuple[str, ...] = ()
    # The usage plan (by name) of token users that have no plan assigned in the admin.
    DEFAULT_PLAN: str = "Default"


DEFAULTS = IdentitySettings()
KNOWN = frozenset(field.name for field in fields(IdentitySettings))


def get() -> IdentitySettings:
    """The settings now (read on every call: override_settings applies)."""
    configured = getattr(settings, "IDENTITY", None) or {}
    known = {key: value for key, value in configured.items() if key in KNOWN}
    if "ISSUERS" in known:
        known["ISSUERS"] = tuple(known["ISSUERS"])
    return replace(DEFAULTS, **known) if known else DEFAULTS
