"""App configuration for API keys and usage plans."""

from django.apps import AppConfig


class ApiKeysConfig(AppConfig):
    name = "apps.api_keys"
    label = "api_keys"
    verbose_name = "API keys and usage plans"

    def ready(self) -> None:
        # Registers the system checks and the OpenAPI scheme for the key header.
        from apps.api_keys import checks, schema  # noqa: F401
