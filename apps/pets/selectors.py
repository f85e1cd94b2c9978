"""Reads of pets, always scoped to their owner."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from apps.common.scoping import owned_by
from apps.pets.models import Pet


def pet_list(*, owner: User | AnonymousUser) -> QuerySet[Pet]:
    """The owner's pets; someone else's pets are never in it."""
    if not owner.is_authenticated:
        return Pet.objects.none()
    return owned_by(Pet, owner.pk)
