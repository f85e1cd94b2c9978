"""App configuration for live updates: subscribes to domain events, registers the checks."""

from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "apps.realtime"
    label = "realtime"
    verbose_name = "Live updates"

    def ready(self) -> None:
        from apps.common.events import subscribe
        from apps.realtime import checks, receivers  # noqa: F401 (checks register on import)

        subscribe(receivers.on_domain_event, dispatch_uid="realtime")
