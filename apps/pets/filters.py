"""Query filters for the pets list."""

from __future__ import annotations

import django_filters

from apps.common.filters import StrictFilterSet
from apps.pets.models import Pet, Species


class PetFilter(StrictFilterSet):
    species = django_filters.ChoiceFilter(choices=Species.choices, help_text="Only this species.")

    class Meta:
        model = Pet
        fields = ("species",)
