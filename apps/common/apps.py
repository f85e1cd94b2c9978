"""App configuration for the shared API plumbing: only its system checks."""

from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "apps.common"
    label = "common"
    verbose_name = "Shared API plumbing"

    def ready(self) -> None:
        # Registers the system check of CONDITIONAL_REQUESTS.
        from apps.common import checks  # noqa: F401
