"""App configuration for photos: connects the signal receivers and system checks."""

from django.apps import AppConfig


class PhotosConfig(AppConfig):
    name = "apps.photos"
    label = "photos"
    verbose_name = "Photos"

    def ready(self) -> None:
        from apps.photos import checks, signals  # noqa: F401 (registers on import)
