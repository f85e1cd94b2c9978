"""App configuration for gateway identities (JWT users)."""

from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "apps.identity"
    label = "identity"
    verbose_name = "Gateway identities"

    def ready(self) -> None:
        # Registers the system checks (the OpenAPI scheme loads with the generator: schema.py).
        from apps.identity import checks  # noqa: F401
