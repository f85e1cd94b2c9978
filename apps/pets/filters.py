"""Query filters for the pets list."""

from __future__ import annotations

import django_filters

from apps.pets.models import Pet, Species


class PetFilter(django_filters.FilterSet):
    species = django_filters.ChoiceFilter(choices=Species.choices, help_text="Only this species.")

    class Meta:
        model = Pet
        fields = ("species",)

    def is_valid(self) -> bool:
        # django-filter reads `?species=` as "no filter"; the contract says a bad value is
        # a 400 naming the parameter, and the OpenAPI enum has no empty string.
        valid = bool(super().is_valid())
        if self.data.get("species") == "":
            self.form.add_error("species", "Select one of the species; an empty value is not.")
            return False
        return valid
