"""The Pet model: owned by one user, versioned on every update."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

NAME_MAX_LENGTH = 100
NOTES_MAX_LENGTH = 2000
BIRTH_DATE_IN_FUTURE = "Birth date cannot be in the future."


class Species(models.TextChoices):
    """The species a pet can have; `other` covers the rest."""

    DOG = "dog", "Dog"
    CAT = "cat", "Cat"
    BIRD = "bird", "Bird"
    FISH = "fish", "Fish"
    RABBIT = "rabbit", "Rabbit"
    RODENT = "rodent", "Rodent"
    REPTILE = "reptile", "Reptile"
    OTHER = "other", "Other"


class Pet(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pets"
    )
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    species = models.CharField(max_length=16, choices=Species.choices)
    birth_date = models.DateField(null=True, blank=True)
    notes = models.CharField(max_length=NOTES_MAX_LENGTH, blank=True, default="")
    # Bumped on every update; the basis for strong ETags and lost-update checks.
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "-pk")
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="pets_owner_created_idx"),
            models.Index(fields=["owner", "name"], name="pets_owner_name_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(name=""), name="pets_pet_name_not_empty"),
            models.CheckConstraint(
                condition=models.Q(species__in=Species.values), name="pets_pet_species_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_species_display()})"

    def clean(self) -> None:
        if self.birth_date and self.birth_date > timezone.localdate():
            raise ValidationError({"birth_date": BIRTH_DATE_IN_FUTURE})
