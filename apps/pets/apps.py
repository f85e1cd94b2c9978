"""App configuration for pets."""

from django.apps import AppConfig


class PetsConfig(AppConfig):
    name = "apps.pets"
    label = "pets"
    verbose_name = "Pets"
