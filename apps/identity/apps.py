"""App configuration for gateway identities (JWT users)."""

from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "apps.identity"
    label = "identity"
    verbose_name = "Gateway identities"

    def ready(self) -> None:
        # Registers the system checks and the OpenAPI scheme for bearer tokens.
        from apps.identity import checks, schema  # noqa: F401
