"""Request and response shapes for pets."""

from __future__ import annotations

import datetime

from django.utils import timezone
from rest_framework import serializers

from apps.common.fields import StrictCharField
from apps.common.serializers import CachedReadFieldsMixin
from apps.pets.models import BIRTH_DATE_IN_FUTURE, NAME_MAX_LENGTH, NOTES_MAX_LENGTH, Pet


class PetSerializer(CachedReadFieldsMixin, serializers.ModelSerializer[Pet]):
    """A pet as clients see it; `owner` is always the caller and never in the body."""

    name = StrictCharField(
        min_length=1, max_length=NAME_MAX_LENGTH, help_text="1 to 100 characters."
    )
    notes = StrictCharField(
        max_length=NOTES_MAX_LENGTH,
        allow_blank=True,
        required=False,
        default="",
        help_text="Free text, up to 2000 characters.",
    )
    birth_date = serializers.DateField(
        allow_null=True, required=False, default=None, help_text="Optional; not in the future."
    )

    class Meta:
        model = Pet
        fields = (
            "id",
            "name",
            "species",
            "birth_date",
            "notes",
            "version",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("id", "version", "created_at", "updated_at")

    def validate_birth_date(self, value: datetime.date | None) -> datetime.date | None:
        if value is not None and value > timezone.localdate():
            raise serializers.ValidationError(BIRTH_DATE_IN_FUTURE)
        return value
