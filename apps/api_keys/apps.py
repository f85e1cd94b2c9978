"""App configuration for API keys and usage plans."""

from django.apps import AppConfig


class ApiKeysConfig(AppConfig):
    name = "apps.api_keys"
    label = "api_keys"
    verbose_name = "API keys and usage plans"

    def ready(self) -> None:
        # Registers the system checks (the OpenAPI scheme loads with the generator: schema.py).
        # Keys this process keeps (apps.api_keys.lookup) go when a key, plan or user is saved
        # or deleted here; other processes re-check at every request's metering UPDATE.
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save

        from apps.api_keys import checks  # noqa: F401
        from apps.api_keys.lookup import forget
        from apps.api_keys.models import APIKey, UsagePlan

        for model in (APIKey, UsagePlan, get_user_model()):
            for signal in (post_save, post_delete):
                signal.connect(forget, sender=model)

        # Refusal counts a process holds are written by its next request once due.
        from django.core.signals import request_started

        from apps.api_keys.refusals import flush_if_due

        request_started.connect(flush_if_due, dispatch_uid="api_keys.refusals.flush_if_due")
