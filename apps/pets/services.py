"""Writes to pets: create, update (bumping `version`), delete; each publishes its event."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.common.conditional import StaleVersionError
from apps.common.events import publish
from apps.pets import events
from apps.pets.exceptions import PetNotFoundError
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
def pet_update(*, pet: Pet, data: dict[str, Any], expected_version: int | None = None) -> Pet:
    """Apply `data` and bump the version in the same UPDATE, so concurrent writers each count.

    With `expected_version` the UPDATE also says `WHERE version = n`: the check and the
    write are one statement, so of concurrent writers holding the same version exactly
    one succeeds (PostgreSQL re-checks the WHERE on the row a queued writer finds; SQLite
    runs writers one at a time). The others raise StaleVersionError and write nothing.
    """
    unknown = set(data) - UPDATABLE_FIELDS
    if unknown:
        raise ValueError(f"Not updatable: {', '.join(sorted(unknown))}")
    for field, value in data.items():
        setattr(pet, field, value)
    _validate(pet)
    rows = Pet.objects.filter(pk=pet.pk)
    if expected_version is not None:
        rows = rows.filter(version=expected_version)
    if not rows.update(**data, version=F("version") + 1, updated_at=timezone.now()):
        _missed(pet)
    # Our UPDATE holds the row until commit, so it is still there to read back.
    pet.refresh_from_db(fields=["version", "updated_at"])
    publish(events.pet_event(events.UPDATED, pet))
    return pet


def _missed(pet: Pet) -> None:
    """A conditional write matched no row: the pet is gone (404) or at another version."""
    current = Pet.objects.filter(pk=pet.pk).values_list("version", flat=True).first()
    if current is None:
        # Deleted by a concurrent request since the view loaded it: gone, a 404.
        raise PetNotFoundError(pet.pk)
    raise StaleVersionError(current)


def _validate(pet: Pet) -> None:
    # Field rules only: the database enforces the check constraints, and the owner is
    # an object we already hold, so neither needs an extra query here.
    pet.full_clean(exclude=["owner"], validate_unique=False, validate_constraints=False)


@transaction.atomic
def pet_delete(*, pet: Pet, expected_version: int | None = None) -> None:
    """Delete the pet (and its photos); with `expected_version`, only at that version.

    The row is locked (SELECT ... FOR UPDATE WHERE version = n) before the delete, so no
    update slips in between the check and the delete; SQLite's write lock, taken at BEGIN,
    does the same there.
    """
    if expected_version is not None:
        locked = Pet.objects.select_for_update().filter(pk=pet.pk, version=expected_version)
        if not locked.values_list("pk", flat=True):
            _missed(pet)
    event = events.pet_event(events.DELETED, pet)  # before delete() clears the pk
    pet.delete()
    publish(event)
