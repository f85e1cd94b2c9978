"""App configuration for Idempotency-Key records."""

from django.apps import AppConfig


class IdempotencyConfig(AppConfig):
    name = "apps.idempotency"
    label = "idempotency"
    verbose_name = "Idempotency keys"

    def ready(self) -> None:
        # Registers the system checks.
        from apps.idempotency import checks  # noqa: F401
