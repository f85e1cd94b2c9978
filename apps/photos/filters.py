"""Query filters for the photos list."""

from __future__ import annotations

import django_filters
from django import forms

from apps.common.filters import StrictFilterSet
from apps.photos.models import MAX_ID, Photo, PhotoStatus


class IntegerFilter(django_filters.NumberFilter):
    """A whole number (django-filter's NumberFilter takes decimals such as 1.5)."""

    field_class = forms.IntegerField


class PhotoFilter(StrictFilterSet):
    # An id, not a choice among the caller's pets: someone else's pet just matches nothing,
    # since the list holds only the caller's photos anyway.
    pet = IntegerFilter(
        field_name="pet_id", min_value=1, max_value=MAX_ID, help_text="Only photos of this pet."
    )
    status = django_filters.ChoiceFilter(
        choices=PhotoStatus.choices, help_text="Only photos in this status."
    )

    class Meta:
        model = Photo
        fields = ("pet", "status")
