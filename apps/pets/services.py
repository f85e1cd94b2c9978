"""Writes to pets: create, update (bumping `version`), delete; each publishes its event."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone

from apps.common.events import publish
from apps.pets import events
from apps.pets.models import Pet

UPDATABLE_FIELDS = frozenset({"name", "species", "birth_date", "notes"})


@transaction.atomic
def pet_create(
    *,
    owner: User,
    name: str,
    species: str,
    birth_date: datetime.date | None = None,
    notes: str = "",
) -> Pet:
    pet = Pet(owner=owner, name=name, species=species, birth_date=birth_date, notes=notes)
    _validate(pet)
    pet.save()
    publish(events.pet_event(events.CREATED, pet))
    return pet


@transaction.atomic
def pet_update(*, pet: Pet, data: dict[str, Any]) -> Pet:
    """Apply `data` and bump the version in the same UPDATE, so concurrent writers each count."""
    unknown = set(data) - UPDATABLE_FIELDS
    if unknown:
        raise ValueError(f"Not updatable: {', '.join(sorted(unknown))}")
    for field, value in data.items():
        setattr(pet, field, value)
    _validate(pet)
    changed = Pet.objects.filter(pk=pet.pk).update(
        **data, version=F("version") + 1, updated_at=timezone.now()
    )
    if not changed:
        # Deleted by a concurrent request since the view loaded it: gone, a 404.
        raise Http404("No such pet.")
    # Our UPDATE holds the row until commit, so it is still there to read back.
    pet.refresh_from_db(fields=["version", "updated_at"])
    publish(events.pet_event(events.UPDATED, pet))
    return pet


def _validate(pet: Pet) -> None:
    # Field rules only: the database enforces the check constraints, and the owner is
    # an object we already hold, so neither needs an extra query here.
    pet.full_clean(exclude=["owner"], validate_unique=False, validate_constraints=False)


@transaction.atomic
def pet_delete(*, pet: Pet) -> None:
    event = events.pet_event(events.DELETED, pet)  # before delete() clears the pk
    pet.delete()
    publish(event)
