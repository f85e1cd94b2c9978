"""App configuration for the local API Gateway emulator."""

from django.apps import AppConfig


class GatewayConfig(AppConfig):
    name = "apps.gateway"
    label = "gateway"
    verbose_name = "Local API Gateway"
