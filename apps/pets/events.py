"""The domain events of pets: pet.created, pet.updated, pet.deleted (apps.common.events)."""

from __future__ import annotations

from apps.common.events import DomainEvent
from apps.pets.models import Pet
from apps.pets.serializers import PetSerializer

CREATED = "pet.created"
UPDATED = "pet.updated"
DELETED = "pet.deleted"
TYPES = (CREATED, UPDATED, DELETED)


def pet_event(event_type: str, pet: Pet) -> DomainEvent:
    """The event for `pet` as it is now; a deletion carries no data."""
    data = None if event_type == DELETED else dict(PetSerializer(pet).data)
    return DomainEvent(
        type=event_type, owner_id=pet.owner_id, object_id=pet.pk, version=pet.version, data=data
    )
