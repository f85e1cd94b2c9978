"""Typed app settings: `settings.IDENTITY` over the defaults below, read at each access."""

from __future__ import annotations

from typing import NamedTuple

from apps.common.conf import app_settings


class IdentitySettings(NamedTuple):
    """`settings.IDENTITY` keys and their defaults."""

    # Trust the claim headers that API Gateway's parameter mapping writes (x-gateway-jwt-*;
    # env IDENTITY_GATEWAY_CLAIM_HEADERS). Only the container behind the VPC link turns this
    # on (infra/template.yaml): anywhere else those headers come from the client.
    GATEWAY_CLAIM_HEADERS: bool = False
    # Issuers whose tokens may sign users in (env IDENTITY_ISSUERS, comma-separated);
    # empty: any issuer the gateway accepted.
    ISSUERS: tuple[str, ...] = ()


DEFAULTS = IdentitySettings()


def identity_settings() -> IdentitySettings:
    """The current settings (override_settings works: nothing is cached)."""
    return app_settings("IDENTITY", DEFAULTS)
