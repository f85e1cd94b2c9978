"""Response shapes for GET /v1/usage."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apps.api_keys.models import Period


class KeySummarySerializer(serializers.Serializer[Any]):
    prefix = serializers.CharField(help_text="The key's public prefix (the part before the dot).")
    name = serializers.CharField()
    expires_at = serializers.DateTimeField(allow_null=True, help_text="null: never expires.")


class TokenSummarySerializer(serializers.Serializer[Any]):
    issuer = serializers.CharField(help_text="The token's `iss`.")
    subject = serializers.CharField(help_text="The token's `sub`.")


class PlanSummarySerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    description = serializers.CharField(allow_blank=True)


class ThrottleSerializer(serializers.Serializer[Any]):
    rate = serializers.FloatField(help_text="Requests per second, steady state (> 0).")
    burst = serializers.IntegerField(min_value=1, help_text="Requests at once (bucket size).")


class QuotaSerializer(serializers.Serializer[Any]):
    limit = serializers.IntegerField(
        allow_null=True, min_value=0, help_text="Requests per period; null: unlimited."
    )
    used = serializers.IntegerField(min_value=0, help_text="Admitted this period, this one too.")
    remaining = serializers.IntegerField(
        allow_null=True, min_value=0, help_text="null when unlimited."
    )
    period = serializers.ChoiceField(choices=Period.choices)
    offset = serializers.IntegerField(
        min_value=0, help_text="WEEK: first weekday (0 = Sunday); MONTH: first day - 1."
    )
    period_start = serializers.DateTimeField(help_text="UTC start of the current period.")
    resets_at = serializers.DateTimeField(help_text="UTC start of the next period (ISO 8601).")


class UsageSerializer(serializers.Serializer[Any]):
    """The calling key (or token user), its plan, throttle and quota."""

    key = KeySummarySerializer(allow_null=True, help_text="null for a token user.")
    token = TokenSummarySerializer(allow_null=True, help_text="null for an API key.")
    plan = PlanSummarySerializer()
    throttle = ThrottleSerializer()
    quota = QuotaSerializer()
