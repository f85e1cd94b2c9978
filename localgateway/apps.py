"""App configuration for the local API Gateway emulator."""

from django.apps import AppConfig


class GatewayConfig(AppConfig):
    name = "localgateway"
    label = "localgateway"
    verbose_name = "Local API Gateway"
