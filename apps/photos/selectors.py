"""Reads of photos, always scoped to their owner."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from apps.pets.models import Pet
from apps.photos.models import Photo


def photo_list(*, owner: User | AnonymousUser) -> QuerySet[Photo]:
    """The owner's photos; someone else's photos are never in it."""
    if not owner.is_authenticated:
        return Photo.objects.none()
    return Photo.objects.filter(owner=owner)


def pet_choices(*, owner: User | AnonymousUser) -> QuerySet[Pet]:
    """The pets a photo of `owner` may belong to: only the owner's own."""
    if not owner.is_authenticated:
        return Pet.objects.none()
    return Pet.objects.filter(owner=owner)
